"""Typed results of the sources layer; each ``to_json()`` is the CLI's JSON contract.

:class:`SourceRun` is what ``sources run`` returns, :class:`SourceStream` what ``sources stream``
returns, :class:`SourceStatus` what ``sources status`` shows and :class:`SourceSummary` one line of
``sources list``. Times are aware UTC datetimes; ``to_json`` writes them as
``2026-11-23T12:05:01Z`` (seconds, as the CLI always has).

Example:
    >>> out = run(spark, cfg, "landing")  # doctest: +SKIP
    >>> out.status, out.to_json()["batches"][0]["status"]  # doctest: +SKIP
    ('ingested', 'success')
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lakeport.lake.clock import stamp
from lakeport.lake.records import BatchMetrics, BatchResult
from lakeport.sources.leases import LeaseHolder


def utc_seconds(value: datetime | None) -> str | None:
    """``2026-11-23T12:05:01Z`` for a datetime (aware, or naive as Spark collects it), else None.

    Args:
        value: the datetime, or None.

    Returns:
        The UTC time to the second with a ``Z``, or None when ``value`` is empty.

    Example:
        >>> utc_seconds(datetime(2026, 11, 23, 12, 5, 1, tzinfo=timezone.utc))  # doctest: +SKIP
        '2026-11-23T12:05:01Z'
    """
    return stamp(value, "%Y-%m-%dT%H:%M:%SZ") if value else None


@dataclass(frozen=True)
class SourceBatch:
    """One batch a run (or a stream's epoch) ran: its files, and the batch as the catalog has it.

    ``result`` is None when the catalog has no row for the batch (its ``status`` is then
    ``failed``); ``recovered`` is True for a batch a crashed run left and this one finished;
    ``profiles`` is the profile build that followed it (``sources stream --profiles``).
    """

    batch_id: str
    status: str
    files: tuple[str, ...]
    result: BatchResult | None = None
    recovered: bool = False
    profiles: dict[str, Any] | None = None

    @classmethod
    def of(
        cls, batch_id: str, files: list[str], result: BatchResult | None, *, recovered: bool = False
    ) -> SourceBatch:
        """The batch ``batch_id`` over ``files``, with its catalog result (None: not cataloged)."""
        status = result.status if result is not None else "failed"
        return cls(batch_id, status, tuple(files), result, recovered)

    @property
    def metrics(self) -> BatchMetrics | None:
        """The batch's metrics, or None when the catalog has no row for it."""
        return self.result.metrics if self.result is not None else None

    def to_json(self) -> dict[str, Any]:
        """The batch's JSON (the batch catalog's shape) plus ``files`` and, if so, ``recovered``."""
        out: dict[str, Any] = (
            self.result.to_json()
            if self.result is not None
            else {"batch_id": self.batch_id, "status": "failed"}
        )
        out["files"] = list(self.files)
        if self.recovered:
            out["recovered"] = True
        if self.profiles is not None:
            out["profiles"] = self.profiles
        return out


def _overall(batches: tuple[SourceBatch, ...]) -> str:
    """``failed`` when a batch did not succeed, else ``ingested``, or ``no_new_files``."""
    if any(b.status != "success" for b in batches):
        return "failed"
    return "ingested" if batches else "no_new_files"


@dataclass(frozen=True)
class SourceRun:
    """One ``sources run``: the batches it ran (recovered ones first) and the files it left.

    ``status`` is ``ingested``, ``no_new_files`` or ``failed``; ``pending_files`` are new files
    beyond ``max_files_per_batch``, left for the next run.
    """

    source: str
    dataset: str
    status: str
    batches: tuple[SourceBatch, ...]
    new_files: int
    pending_files: int

    @classmethod
    def of(
        cls, source: str, dataset: str, batches: list[SourceBatch], new_files: int, pending: int
    ) -> SourceRun:
        """The run's result; its status follows from the batches."""
        done = tuple(batches)
        return cls(source, dataset, _overall(done), done, new_files, pending)

    def to_json(self) -> dict[str, Any]:
        """``{"source", "dataset", "status", "batches", "newFiles", "pendingFiles"}``."""
        return {
            "source": self.source,
            "dataset": self.dataset,
            "status": self.status,
            "batches": [b.to_json() for b in self.batches],
            "newFiles": self.new_files,
            "pendingFiles": self.pending_files,
        }


@dataclass(frozen=True)
class SourceStream:
    """One ``sources stream`` until it ended: the micro-batches this process ran.

    ``mode`` is ``available-now`` or ``trigger <interval>`` (e.g. ``trigger 10 seconds``).
    """

    source: str
    dataset: str
    mode: str
    status: str
    batches: tuple[SourceBatch, ...]

    @classmethod
    def of(cls, source: str, dataset: str, mode: str, batches: list[SourceBatch]) -> SourceStream:
        """The stream's result; its status follows from the batches."""
        done = tuple(batches)
        return cls(source, dataset, mode, _overall(done), done)

    def to_json(self) -> dict[str, Any]:
        """``{"source", "dataset", "mode", "status", "batches"}``."""
        return {
            "source": self.source,
            "dataset": self.dataset,
            "mode": self.mode,
            "status": self.status,
            "batches": [b.to_json() for b in self.batches],
        }


@dataclass(frozen=True)
class SourceFile:
    """One file key a source has seen, with its latest state; ``present`` is False once deleted."""

    path: str
    size: int
    mtime: int
    status: str
    batch_id: str
    error_code: str | None
    recorded_at: datetime | None
    present: bool

    def to_json(self) -> dict[str, Any]:
        """``{"path", "size", "mtime", "status", "batch_id", "error_code", "recorded_at", "present"}``."""
        return {
            "path": self.path,
            "size": self.size,
            "mtime": self.mtime,
            "status": self.status,
            "batch_id": self.batch_id,
            "error_code": self.error_code,
            "recorded_at": utc_seconds(self.recorded_at),
            "present": self.present,
        }


@dataclass(frozen=True)
class SourceBatchStatus:
    """One batch of a source in ``sources status``: its catalog status (None: not cataloged)."""

    batch_id: str
    status: str | None
    files: int
    recorded_at: datetime | None
    metrics: BatchMetrics | None = None

    def to_json(self) -> dict[str, Any]:
        """``{"batch_id", "status", "files", "recordedAt", "metrics"}``."""
        return {
            "batch_id": self.batch_id,
            "status": self.status,
            "files": self.files,
            "recordedAt": utc_seconds(self.recorded_at),
            "metrics": self.metrics.to_json() if self.metrics is not None else None,
        }


@dataclass(frozen=True)
class SourceStatus:
    """What a source has seen and ingested, the files waiting, and who holds it now."""

    source: str
    dataset: str
    location: str
    glob: str
    file_counts: dict[str, int]
    pending_files: int
    held_by: LeaseHolder | None
    batches: tuple[SourceBatchStatus, ...] = ()
    files: tuple[SourceFile, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """``{"source", "dataset", "location", "glob", "fileCounts", "pendingFiles", "heldBy",
        "batches", "files"}``; ``heldBy`` is ``{"pid", "host", "until"}`` or None."""
        held = self.held_by
        return {
            "source": self.source,
            "dataset": self.dataset,
            "location": self.location,
            "glob": self.glob,
            "fileCounts": dict(self.file_counts),
            "pendingFiles": self.pending_files,
            "heldBy": (
                {"pid": held.pid, "host": held.host, "until": utc_seconds(held.expires_at)}
                if held is not None
                else None
            ),
            "batches": [b.to_json() for b in self.batches],
            "files": [f.to_json() for f in self.files],
        }


@dataclass(frozen=True)
class SourceSummary:
    """One configured source in ``sources list``: where, into what, files seen, last batch."""

    source: str
    dataset: str
    location: str
    glob: str
    format: str
    files_seen: int
    last_batch: str | None
    last_activity_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        """``{"source", "dataset", "location", "glob", "format", "filesSeen", "lastBatch",
        "lastActivityAt"}``."""
        return {
            "source": self.source,
            "dataset": self.dataset,
            "location": self.location,
            "glob": self.glob,
            "format": self.format,
            "filesSeen": self.files_seen,
            "lastBatch": self.last_batch,
            "lastActivityAt": utc_seconds(self.last_activity_at),
        }
