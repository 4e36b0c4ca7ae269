"""Landing files of the inlet: a durable append log per dataset, rotated into JSON Lines files.

Protocol (local directories only, see :mod:`lakeport.config.inlet`):

1. a log is created as ``_inlet-<UTC ms>-<hex>.jsonl.open`` in the source's location (a name
   that starts with ``_`` is never read by a source or a stream) with ``O_EXCL``, locked with
   ``flock`` for as long as it is open, and the directory is fsynced: the name is durable;
2. each request's lines are appended with one ``write`` (looped on short writes), and the log
   is ``fdatasync``-ed before any request in it is answered (one fsync covers every request the
   writer thread gathered meanwhile: group commit);
3. when the log reaches ``rotate_bytes`` or is ``rotate_seconds`` old, it is renamed to
   ``inlet-<UTC ms>-<hex>.jsonl`` (atomic on a local filesystem, so a stream sees the whole file
   or nothing) and the directory is fsynced again.

An acknowledged record is therefore on disk in a durable log or a durable landing file. After a
crash, :func:`recover` (run by the inlet before it serves) takes every log no live process
holds (``flock`` fails only while its writer lives), cuts it after its last *complete* request
(every line carries ``<request id>:<index>/<count>``; a request is one contiguous write), and
renames it like a rotation. Requests cut there were never acknowledged.

Example:
    >>> log = LandingLog(Path("/data/landing/people"), rotate_bytes=8 << 20, rotate_seconds=1.0)  # doctest: +SKIP
    >>> log.append(b'{"_lakeport_request":"r1:0/1","id":"a"}\\n'); log.sync()  # doctest: +SKIP
    'inlet-20261202T011500123Z-3fa9c2d1.jsonl'
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from lakeport.config.inlet import inlet_file_name
from lakeport.inlet.envelope import parse_tag

log = logging.getLogger(__name__)

OPEN_SUFFIX = ".open"
_datasync = getattr(os, "fdatasync", os.fsync)  # macOS has no fdatasync


def fsync_dir(path: Path) -> None:
    """Make the directory's entries (a new or renamed file) durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def open_name(final: str) -> str:
    """``inlet-X.jsonl`` -> ``_inlet-X.jsonl.open`` (the name while it is written)."""
    return f"_{final}{OPEN_SUFFIX}"


def utc_ms() -> str:
    """The UTC time to the millisecond, ``20261202T011500123Z`` (names and request ids)."""
    now = datetime.now(timezone.utc)
    return now.strftime("%Y%m%dT%H%M%S") + f"{now.microsecond // 1000:03d}Z"


class LandingLog:
    """The open landing file of one dataset: appended, fsynced, then renamed to its landing name.

    Not thread-safe: one writer thread owns every log (:class:`lakeport.inlet.writer.Writer`).
    """

    def __init__(self, directory: Path, *, rotate_bytes: int, rotate_seconds: float) -> None:
        self.directory = directory
        self.rotate_bytes = rotate_bytes
        self.rotate_seconds = rotate_seconds
        self.final: str | None = None
        self.size = 0
        self.opened_at = 0.0
        self.rotated = 0
        self._fd: int | None = None

    def _open(self) -> int:
        if not self.directory.is_dir():
            self.directory.mkdir(parents=True, exist_ok=True)
            fsync_dir(self.directory.parent)
        final = inlet_file_name(utc_ms(), secrets.token_hex(4))
        fd = os.open(
            self.directory / open_name(final),
            os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND | os.O_CLOEXEC,
            0o644,
        )
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fsync_dir(self.directory)
        except OSError:
            os.close(fd)
            raise
        self._fd, self.final, self.size, self.opened_at = fd, final, 0, time.monotonic()
        return fd

    def append(self, data: bytes) -> str:
        """Append one request's lines (not yet durable: :meth:`sync`); returns the landing name.

        Raises:
            OSError: the write failed; the log is cut back to where it was before it.
        """
        fd = self._fd if self._fd is not None else self._open()
        view, before = memoryview(data), self.size
        try:
            while view:
                view = view[os.write(fd, view) :]
        except OSError:
            try:
                os.ftruncate(fd, before)
            except OSError:
                self.abandon()
            raise
        self.size += len(data)
        assert self.final is not None
        return self.final

    def sync(self) -> None:
        """Make every appended line durable (``fdatasync``).

        Raises:
            OSError: the disk did not take it; the caller answers no request of this log.
        """
        if self._fd is not None:
            _datasync(self._fd)

    def cut(self, size: int) -> None:
        """Drop what was appended after ``size`` (a group whose sync failed), best effort."""
        if self._fd is not None:
            try:
                os.ftruncate(self._fd, size)
                self.size = size
            except OSError:
                self.abandon()

    def due(self, now: float) -> bool:
        """Whether the log should be rotated now (size or age)."""
        return self._fd is not None and (
            self.size >= self.rotate_bytes or now - self.opened_at >= self.rotate_seconds
        )

    def rotate(self) -> str | None:
        """Rename the log to its landing name (durably); the next append opens a new log."""
        if self._fd is None or self.final is None:
            return None
        fd, final = self._fd, self.final
        try:
            if self.size == 0:
                os.unlink(self.directory / open_name(final))
            else:
                _datasync(fd)
                os.rename(self.directory / open_name(final), self.directory / final)
            fsync_dir(self.directory)
        finally:
            self._fd, self.final = None, None
            os.close(fd)  # releases the lock
        self.rotated += 1 if self.size else 0
        return final if self.size else None

    def abandon(self) -> None:
        """Close the log without renaming it: :func:`recover` lands it at the next start."""
        if self._fd is not None:
            fd, self._fd, self.final = self._fd, None, None
            os.close(fd)


@dataclass(frozen=True)
class Recovered:
    """One log a dead inlet left: where it landed, what was kept and what was cut."""

    file: str | None  # the landing name, or None when nothing complete was in it
    requests: int
    records: int
    cut_bytes: int


def complete_prefix(data: bytes) -> tuple[int, int, int]:
    """``(bytes, requests, records)`` of the longest prefix made of whole requests."""
    pos = good = requests = records = 0
    current: tuple[str, int] | None = None  # (request id, count) of the request being read
    seen = 0
    while (end := data.find(b"\n", pos)) >= 0:
        line = data[pos:end]
        tag = parse_tag(line)
        if tag is None:
            break
        rid, index, count = tag
        if current is None:
            if index != 0 or count < 1:
                break
            current, seen = (rid, count), 0
        elif (rid, count) != current or index != seen:
            break
        try:
            json.loads(line)
        except ValueError:
            break
        seen += 1
        pos = end + 1
        if seen == current[1]:
            good, requests, records, current = pos, requests + 1, records + seen, None
    return good, requests, records


def recover(directory: Path) -> list[Recovered]:
    """Land every log in ``directory`` that no live inlet holds, cut after its last whole request.

    Returns:
        One entry per log taken, oldest name first.
    """
    out: list[Recovered] = []
    if not directory.is_dir():
        return out
    for path in sorted(directory.glob(f"_inlet-*.jsonl{OPEN_SUFFIX}")):
        try:
            fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
        except FileNotFoundError:
            continue  # rotated meanwhile by its live writer
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a live inlet writes it
            try:
                if os.fstat(fd).st_ino != os.stat(path).st_ino:
                    continue
            except FileNotFoundError:
                continue
            data = path.read_bytes()
            keep, requests, records = complete_prefix(data)
            if keep < len(data):
                os.ftruncate(fd, keep)
            os.fsync(fd)
            final = path.name[1 : -len(OPEN_SUFFIX)]
            if keep == 0:
                os.unlink(path)
            else:
                os.rename(path, directory / final)
            fsync_dir(directory)
        finally:
            os.close(fd)
        out.append(Recovered(final if keep else None, requests, records, len(data) - keep))
        log.warning(
            "inlet: landed %s left by an inlet that stopped (%d request(s), %d record(s); "
            "%d byte(s) of an unacknowledged request cut)",
            final,
            requests,
            records,
            len(data) - keep,
        )
    return out
