"""A one-line progress display on stderr while Spark works (multi-file batches, long jobs).

Shown only when stderr is a terminal and the command is not in ``--json`` mode: orchestrators and
pipes see no carriage returns. A daemon thread polls the running SparkContext's status tracker
(it works with the UI off) and redraws ``stage 12: 5/40 tasks (2 running)``; it never starts
Spark itself and stays silent until a stage is active.

Example:
    >>> with progress(enabled=sys.stderr.isatty()):  # doctest: +SKIP
    ...     ingest_batch.ingest(spark, cfg, "purchases", ["landing/2026-11-23/"])
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterator
from typing import Any, TextIO


def stage_line(tracker: Any) -> str:
    """``stage 3: 5/12 tasks (2 running) | stage 4: 0/2 tasks`` for the active stages, or ''."""
    parts = []
    for stage_id in sorted(tracker.getActiveStageIds()):
        info = tracker.getStageInfo(stage_id)
        if info is None:
            continue
        running = f" ({info.numActiveTasks} running)" if info.numActiveTasks else ""
        parts.append(f"stage {stage_id}: {info.numCompletedTasks}/{info.numTasks} tasks{running}")
    return " | ".join(parts)


class SparkProgress(threading.Thread):
    """Polls ``SparkContext.statusTracker()`` and redraws one line on ``stream``."""

    def __init__(self, stream: TextIO, interval: float = 0.5) -> None:
        super().__init__(name="lakeport-progress", daemon=True)
        self.stream = stream
        self.interval = interval
        self.drawn = 0  # width of the line on screen
        self.updates = 0
        self._stop_event = threading.Event()

    def _tracker(self) -> Any:
        pyspark = sys.modules.get("pyspark")  # never import (or start) Spark from here
        sc = getattr(pyspark, "SparkContext", None)
        active = getattr(sc, "_active_spark_context", None)
        return active.statusTracker() if active is not None else None

    def _draw(self, line: str) -> None:
        pad = max(self.drawn - len(line), 0)
        self.stream.write("\r" + line + " " * pad + ("\r" + line if pad else ""))
        self.stream.flush()
        self.drawn = len(line)

    def run(self) -> None:
        while not self._stop_event.wait(self.interval):
            try:
                tracker = self._tracker()
                line = stage_line(tracker) if tracker is not None else ""
            except Exception:  # the context is stopping under us: stop drawing, never fail the job
                return
            if line:
                self._draw(f"[lakeport] {line}")
                self.updates += 1
            elif self.drawn:
                self.clear()

    def clear(self) -> None:
        if self.drawn:
            self.stream.write("\r" + " " * self.drawn + "\r")
            self.stream.flush()
            self.drawn = 0

    def stop(self) -> None:
        self._stop_event.set()
        if self.is_alive():
            self.join(timeout=2)
        self.clear()


def wanted(args: Any, stream: TextIO | None = None) -> bool:
    """Progress is for people: a terminal on stderr, and not ``--json``."""
    stream = stream or sys.stderr
    return not getattr(args, "json", False) and bool(getattr(stream, "isatty", lambda: False)())


@contextlib.contextmanager
def progress(
    enabled: bool, stream: TextIO | None = None, interval: float = 0.5
) -> Iterator[SparkProgress | None]:
    """Run the progress poller around a block when ``enabled``; yields it (or None)."""
    if not enabled:
        yield None
        return
    poller = SparkProgress(stream or sys.stderr, interval)
    poller.start()
    try:
        yield poller
    finally:
        poller.stop()
