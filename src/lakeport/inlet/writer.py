"""The inlet's one writer thread: group commit of requests into the landing logs, and rotation.

Requests are queued with their lines; the thread takes everything queued, appends each request
to its dataset's log with one write, fsyncs each touched log once, and only then resolves the
requests' futures (the HTTP answer waits on them). While it fsyncs, new requests queue up, so
one fsync covers many requests under load. Between groups it rotates logs that are big or old
enough. :meth:`Writer.stop` lands what is queued, rotates every log and ends the thread.

Example:
    >>> w = Writer({"people": LandingLog(...)}, tick=0.1); w.start()  # doctest: +SKIP
    >>> w.submit("people", b'{"_lakeport_request":"r1:0/1"}\\n').result()  # doctest: +SKIP
    'inlet-20261202T011500123Z-3fa9c2d1.jsonl'
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field

from lakeport.inlet.landing import LandingLog

log = logging.getLogger(__name__)

_MAX_GROUP = 10_000


@dataclass
class _Item:
    dataset: str
    data: bytes
    records: int
    future: Future[str] = field(default_factory=Future)


class Stopped(RuntimeError):
    """The writer is stopping: the request was not landed."""


@dataclass
class WriterStats:
    """What the writer landed: requests, records, bytes, fsyncs, rotated files."""

    requests: int = 0
    records: int = 0
    bytes: int = 0
    syncs: int = 0
    files: int = 0


class Writer:
    """Owns every landing log; one thread appends, fsyncs and rotates (see the module)."""

    def __init__(self, logs: dict[str, LandingLog], *, tick: float = 0.1) -> None:
        self.logs = logs
        self.tick = tick
        self.stats = WriterStats()
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="lakeport-inlet-writer", daemon=True)
        self._stopping = False
        self._lock = threading.Lock()

    def start(self) -> None:
        self._thread.start()

    def submit(self, dataset: str, data: bytes, records: int) -> Future[str]:
        """Queue one request's lines; the future gives the landing file's name once durable.

        Raises:
            Stopped: the writer is stopping (nothing was queued).
        """
        item = _Item(dataset, data, records)
        with self._lock:
            if self._stopping:
                raise Stopped("the inlet is stopping")
            self._queue.put(item)
        return item.future

    def stop(self, timeout: float = 60.0) -> WriterStats:
        """Land everything queued, rotate every log, end the thread."""
        with self._lock:
            self._stopping = True
            self._queue.put(None)
        self._thread.join(timeout)
        return self.stats

    def _run(self) -> None:
        stop = False
        while not stop:
            try:
                first: _Item | None = self._queue.get(timeout=self.tick)
                items = [first]
            except queue.Empty:
                items = []
            while len(items) < _MAX_GROUP:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            work = [i for i in items if i is not None]
            stop = len(work) < len(items)
            if work:
                self._commit(work)
            self._rotate(everything=stop)

    def _commit(self, items: list[_Item]) -> None:
        by_log: dict[str, list[_Item]] = {}
        for item in items:
            by_log.setdefault(item.dataset, []).append(item)
        for dataset, group in by_log.items():
            landing = self.logs[dataset]
            done: list[tuple[_Item, str]] = []
            start = landing.size
            for item in group:
                try:
                    done.append((item, landing.append(item.data)))
                except OSError as exc:
                    log.error("inlet: cannot append to %s: %s", landing.directory, exc)
                    item.future.set_exception(exc)
            if not done:
                continue
            try:
                landing.sync()
            except OSError as exc:
                log.error("inlet: fsync of a landing log in %s failed: %s", landing.directory, exc)
                landing.cut(start)
                landing.abandon()
                for item, _ in done:
                    item.future.set_exception(exc)
                continue
            self.stats.syncs += 1
            for item, name in done:
                self.stats.requests += 1
                self.stats.records += item.records
                self.stats.bytes += len(item.data)
                item.future.set_result(name)

    def _rotate(self, *, everything: bool) -> None:
        now = time.monotonic()
        for landing in self.logs.values():
            if not (everything or landing.due(now)):
                continue
            try:
                if landing.rotate():
                    self.stats.files += 1
            except OSError as exc:
                # the records are durable in the log; the next start of the inlet lands it
                log.error("inlet: cannot land a log in %s: %s", landing.directory, exc)
                landing.abandon()
