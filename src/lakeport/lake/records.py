"""Typed records that travel: a batch's catalog row, and the result a caller gets for a batch.

A batch's state is one :class:`BatchRecord` (the latest row of ``system/batches`` for its id);
the pipeline moves it from status to status with :meth:`BatchRecord.evolve`, so a misspelt field
is an error at once, not a silent NULL in a system table. :class:`BatchResult` is what
``Lakeport.ingest`` returns; its :meth:`~BatchResult.to_json` is the CLI's JSON contract.

Example:
    >>> r = BatchResult.of(record)  # doctest: +SKIP
    >>> r.status, r.metrics.output_records  # doctest: +SKIP
    ('success', 988)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Any

from lakeport.lake.clock import from_spark, iso

FINAL_STATUSES = ("success", "failed", "aborted", "replaced")


@dataclass(frozen=True)
class BatchRecord:
    """One row of ``system/batches``: a status transition of a batch (the latest one is its state)."""

    batch_id: str
    dataset: str
    status: str
    input_format: str | None = None
    files: tuple[str, ...] = ()
    replace: tuple[str, ...] = ()
    created_at: datetime | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    input_file_count: int | None = None
    input_byte_size: int | None = None
    input_record_count: int | None = None
    output_record_count: int | None = None
    failed_record_count: int | None = None
    warning_record_count: int | None = None
    duplicate_record_count: int | None = None
    error_summary: dict[str, int] = field(default_factory=dict)
    error_code: str | None = None
    error_message: str | None = None
    delta_version: int | None = None
    options: str | None = None
    mapping_report: str | None = None
    replaced_by: str | None = None
    owner: str | None = None  # host:pid:token of the process that claimed it for processing
    seq: int | None = None
    updated_at: datetime | None = None

    def evolve(self, **changes: Any) -> BatchRecord:
        """A copy with ``changes`` (unknown field names raise TypeError)."""
        return replace(self, **changes)

    def to_row(self) -> dict[str, Any]:
        """The column values for ``system/batches``."""
        row = {f.name: getattr(self, f.name) for f in fields(self)}
        row["files"] = list(self.files)
        row["replace"] = list(self.replace)
        return row

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> BatchRecord:
        """A record from a collected row (timestamps made aware UTC)."""
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in row.items() if k in names}
        for key in ("created_at", "started_at", "completed_at", "updated_at"):
            values[key] = from_spark(values.get(key))
        values["files"] = tuple(values.get("files") or ())
        values["replace"] = tuple(values.get("replace") or ())
        values["error_summary"] = dict(values.get("error_summary") or {})
        return cls(**values)

    @property
    def settings(self) -> dict[str, Any]:
        """The per-batch overrides it was created with (reader options, partial ingestion)."""
        return dict(json.loads(self.options or "{}"))


@dataclass(frozen=True)
class BatchMetrics:
    """The platform's batch metrics; ``input_records == output_records + failed_records``."""

    input_files: int | None = None
    input_bytes: int | None = None
    input_records: int | None = None
    output_records: int | None = None
    failed_records: int | None = None
    warning_records: int | None = None
    duplicate_records: int | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        out = {
            "inputFileCount": self.input_files,
            "inputByteSize": self.input_bytes,
            "inputRecordCount": self.input_records,
            "outputRecordCount": self.output_records,
            "failedRecordCount": self.failed_records,
            "warningRecordCount": self.warning_records,
            "startedAt": iso(self.started_at),
            "completedAt": iso(self.completed_at),
        }
        if self.duplicate_records is not None:  # event datasets deduplicated on _id
            out["duplicateRecordCount"] = self.duplicate_records
        return out


@dataclass(frozen=True)
class BatchResult:
    """A batch as a caller sees it: status, metrics, error summary, and what went wrong."""

    batch_id: str
    dataset: str
    status: str
    input_format: str | None
    created_at: datetime | None
    metrics: BatchMetrics
    error_summary: dict[str, int]
    error_code: str | None = None
    error_message: str | None = None
    delta_version: int | None = None
    replaced: tuple[str, ...] = ()
    replaced_by: str | None = None
    mapping: dict[str, Any] | None = None
    duration_seconds: float | None = None

    @classmethod
    def of(cls, record: BatchRecord, *, duration_seconds: float | None = None) -> BatchResult:
        return cls(
            batch_id=record.batch_id,
            dataset=record.dataset,
            status=record.status,
            input_format=record.input_format,
            created_at=record.created_at,
            metrics=BatchMetrics(
                input_files=record.input_file_count,
                input_bytes=record.input_byte_size,
                input_records=record.input_record_count,
                output_records=record.output_record_count,
                failed_records=record.failed_record_count,
                warning_records=record.warning_record_count,
                duplicate_records=record.duplicate_record_count,
                started_at=record.started_at,
                completed_at=record.completed_at,
            ),
            error_summary=dict(sorted(record.error_summary.items())),
            error_code=record.error_code,
            error_message=record.error_message,
            delta_version=record.delta_version,
            replaced=record.replace,
            replaced_by=record.replaced_by,
            mapping=json.loads(record.mapping_report) if record.mapping_report else None,
            duration_seconds=duration_seconds,
        )

    def with_duration(self, seconds: float) -> BatchResult:
        return replace(self, duration_seconds=round(seconds, 2))

    def to_json(self) -> dict[str, Any]:
        """The JSON object the CLI prints for a batch."""
        out: dict[str, Any] = {
            "batch_id": self.batch_id,
            "dataset": self.dataset,
            "status": self.status,
            "input_format": self.input_format,
            "created_at": iso(self.created_at),
            "metrics": self.metrics.to_json(),
            "errorSummary": dict(self.error_summary),
        }
        if self.error_code:
            out["error"] = {"code": self.error_code, "message": self.error_message}
        if self.delta_version is not None:
            out["deltaVersion"] = self.delta_version
        if self.replaced:
            out["replaced"] = list(self.replaced)
        if self.replaced_by:
            out["replacedBy"] = self.replaced_by
        if self.mapping is not None:
            out["mapping"] = self.mapping
        if self.duration_seconds is not None:
            out["durationSeconds"] = self.duration_seconds
        return out
