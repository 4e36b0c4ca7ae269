"""What an export returns: :class:`ExportResult`, whose :meth:`~ExportResult.to_json` is the CLI's
JSON summary (``lakeport export ... --json``).

Example:
    >>> r = export_snapshot(spark, cfg, "demo", "/exports", "json", incremental=True)  # doctest: +SKIP
    >>> r.status, r.mode, r.row_count, r.to_json()["rowCount"] == r.row_count  # doctest: +SKIP
    ('exported', 'incremental', 3, True)
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class ExportResult:
    """One export as a caller sees it: where it is, what it holds, and whether this run wrote it.

    ``status`` is ``exported`` (this run wrote it) or ``exists`` (complete already, nothing
    written). ``removed_count`` is set for incremental profile exports only; ``batch_ids`` and
    ``removed_batch_ids`` for incremental dataset exports only. ``manifest`` is the whole
    ``_manifest.json`` (schema, files, CSV columns, request).
    """

    status: str
    kind: str  # "profiles" | "dataset"
    name: str
    export_time: str
    path: str  # the qualified exportTime=T directory
    format: str
    compression: str
    mode: str  # "full" | "incremental"
    mode_reason: str
    incremental_to: dict[str, Any] | None
    source_version: int
    row_count: int
    file_count: int
    byte_size: int
    removed_count: int | None = None
    batch_ids: tuple[str, ...] | None = None
    removed_batch_ids: tuple[str, ...] | None = None
    duration_seconds: float = 0.0
    manifest: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_manifest(
        cls, manifest: dict[str, Any], path: str, status: str, duration_seconds: float = 0.0
    ) -> ExportResult:
        """The result of the export whose ``_manifest.json`` is ``manifest``, published at ``path``.

        Example:
            >>> ExportResult.from_manifest(read_manifest(spark, d), d, "exists").row_count  # doctest: +SKIP
            4
        """
        incremental = manifest["mode"] == "incremental"
        removed = manifest.get("removed") or {}
        batches = "batchIds" in manifest
        return cls(
            status=status,
            kind=manifest["kind"],
            name=manifest["name"],
            export_time=manifest["exportTime"],
            path=path,
            format=manifest["format"],
            compression=manifest["compression"],
            mode=manifest["mode"],
            mode_reason=manifest["modeReason"],
            incremental_to=manifest.get("incrementalTo"),
            source_version=manifest["source"]["version"],
            row_count=manifest["rowCount"],
            file_count=len(manifest["files"]),
            byte_size=sum(f["size"] for f in manifest["files"]),
            removed_count=(
                removed.get("count", 0) if manifest["kind"] == "profiles" and incremental else None
            ),
            batch_ids=tuple(manifest["batchIds"]) if batches else None,
            removed_batch_ids=tuple(manifest["removedBatchIds"]) if batches else None,
            duration_seconds=duration_seconds,
            manifest=manifest,
        )

    def with_duration(self, seconds: float) -> ExportResult:
        """A copy with ``duration_seconds`` rounded to 10 ms."""
        return replace(self, duration_seconds=round(seconds, 2))

    def to_json(self) -> dict[str, Any]:
        """The JSON object the CLI prints for an export (keys in this order).

        Example:
            >>> list(result.to_json())[:4]  # doctest: +SKIP
            ['kind', 'name', 'exportTime', 'path']
        """
        out: dict[str, Any] = {
            "kind": self.kind,
            "name": self.name,
            "exportTime": self.export_time,
            "path": self.path,
            "format": self.format,
            "compression": self.compression,
            "mode": self.mode,
            "modeReason": self.mode_reason,
            "incrementalTo": (
                dict(self.incremental_to) if self.incremental_to is not None else None
            ),
            "sourceVersion": self.source_version,
            "rowCount": self.row_count,
            "fileCount": self.file_count,
            "byteSize": self.byte_size,
        }
        if self.removed_count is not None:
            out["removedCount"] = self.removed_count
        if self.batch_ids is not None:
            out["batchIds"] = list(self.batch_ids)
            out["removedBatchIds"] = list(self.removed_batch_ids or ())
        out["status"] = self.status
        out["durationSeconds"] = self.duration_seconds
        return out
