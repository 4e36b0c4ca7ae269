"""Which files of a source were seen: ``<root>/system/source_files/``.

A Delta table, append-only: one row per state change of a file of a source (``claimed`` ->
``done`` | ``failed``); the latest row per (source, path, size, mtime) is the file's state. A file
that changes (new size or mtime) is a new key, so it is new again. A claim is one commit that
records a file set with a new batch id; a claim that was never marked is :func:`unfinished`.

Example:
    >>> claim(spark, lake, "landing", "landing-r20261123T120000Z", files)  # doctest: +SKIP
    >>> [b for b, _ in unfinished(seen(spark, lake, "landing"))]  # doctest: +SKIP
    ['landing-r20261123T120000Z']
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from lakeport.errors import ErrorCode
from lakeport.lake.clock import from_spark, utc_now
from lakeport.lake.delta import append_rows, read_table
from lakeport.lake.fs import FileInfo
from lakeport.lake.layout import Lake
from lakeport.lake.tables import struct_schema

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

SOURCE_FILES_DDL = (
    "source string, path string, size long, mtime long, status string, batch_id string, "
    "error_code string, recorded_at timestamp, seq long"
)
CLAIMED, DONE, FAILED = "claimed", "done", "failed"

FileKey = tuple[str, int, int]
"""A file's identity for a source: (path, size, mtime in epoch milliseconds)."""


def key_of(info: FileInfo) -> FileKey:
    """The key of a listed file: ``(path, size, mtime)``.

    Example:
        >>> key_of(FileInfo("file:/landing/a.jsonl", 12, 1700000000000))
        ('file:/landing/a.jsonl', 12, 1700000000000)
    """
    return (info.path, info.size, info.mtime)


@dataclass(frozen=True)
class FileState:
    """The latest row of one file key of a source (``recorded_at`` is aware UTC)."""

    source: str
    path: str
    size: int
    mtime: int
    status: str
    batch_id: str
    error_code: str | None
    recorded_at: datetime | None
    seq: int

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> FileState:
        """A state from a collected ``source_files`` row."""
        return cls(
            source=row["source"],
            path=row["path"],
            size=int(row["size"]),
            mtime=int(row["mtime"]),
            status=row["status"],
            batch_id=row["batch_id"],
            error_code=row["error_code"],
            recorded_at=from_spark(row["recorded_at"]),
            seq=int(row["seq"]),
        )

    @property
    def key(self) -> FileKey:
        """``(path, size, mtime)``."""
        return (self.path, self.size, self.mtime)

    @property
    def info(self) -> FileInfo:
        """The file as :func:`lakeport.lake.fs.list_files` would list it."""
        return FileInfo(self.path, self.size, self.mtime)


def file_states(spark: SparkSession, lake: Lake, source: str) -> DataFrame:
    """The latest state of every file key of ``source`` (one row per path, size and mtime).

    Args:
        spark: the session.
        lake: the lake whose ``system/source_files`` is read.
        source: the source's name.

    Returns:
        A frame of ``source_files`` rows, the latest (highest ``seq``) per file key; empty when
        the table does not exist yet.

    Example:
        >>> file_states(spark, Lake("./lake"), "landing").count()  # doctest: +SKIP
        4
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    df = read_table(spark, lake.system_path("source_files"), SOURCE_FILES_DDL)
    df = df.where(F.col("source") == source)
    latest = Window.partitionBy("path", "size", "mtime").orderBy(F.col("seq").desc())
    return df.withColumn("_n", F.row_number().over(latest)).where("_n = 1").drop("_n")


def seen(spark: SparkSession, lake: Lake, source: str) -> dict[FileKey, FileState]:
    """Every file key ``source`` has seen, with its latest state (small: one row per file).

    Args:
        spark: the session.
        lake: the lake whose ``system/source_files`` is read.
        source: the source's name.

    Returns:
        ``{(path, size, mtime): FileState}``.

    Example:
        >>> {k[0]: s.status for k, s in seen(spark, lake, "landing").items()}  # doctest: +SKIP
        {'file:/landing/a.jsonl': 'done'}
    """
    states = (FileState.from_row(r.asDict()) for r in file_states(spark, lake, source).collect())
    return {s.key: s for s in states}


def unfinished(known: dict[FileKey, FileState]) -> list[tuple[str, list[FileInfo]]]:
    """Batches whose files were claimed but never marked done or failed, oldest first.

    Args:
        known: :func:`seen` of the source.

    Returns:
        ``[(batch_id, files sorted by path), ...]``, ordered by the batch's first claim.

    Example:
        >>> unfinished(seen(spark, lake, "landing"))  # doctest: +SKIP
        [('landing-r20261123T120000Z', [FileInfo(path='file:/landing/a.jsonl', ...)])]
    """
    claims: dict[str, list[FileInfo]] = {}
    order: dict[str, int] = {}
    for state in known.values():
        if state.status == CLAIMED:
            claims.setdefault(state.batch_id, []).append(state.info)
            order[state.batch_id] = min(order.get(state.batch_id, state.seq), state.seq)
    return [
        (b, sorted(claims[b], key=lambda f: f.path)) for b in sorted(claims, key=order.__getitem__)
    ]


def record(
    spark: SparkSession,
    lake: Lake,
    source: str,
    batch_id: str,
    files: list[FileInfo],
    status: str,
    error_code: ErrorCode | str | None = None,
) -> None:
    """Append one state change (``claimed``, ``done``, ``failed``) for ``files``, in one commit.

    Args:
        spark: the session.
        lake: the lake whose ``system/source_files`` is appended to.
        source: the source's name.
        batch_id: the batch the files belong to.
        files: the files (as listed).
        status: ``claimed``, ``done`` or ``failed``.
        error_code: the batch's error code of a ``failed`` mark.

    Example:
        >>> record(spark, lake, "landing", "landing-r1", files, DONE)  # doctest: +SKIP
    """
    schema = struct_schema(SOURCE_FILES_DDL)
    now, seq = utc_now(), time.time_ns()
    code = str(error_code) if error_code is not None else None
    rows = [(source, f.path, f.size, f.mtime, status, batch_id, code, now, seq) for f in files]
    append_rows(spark.createDataFrame(rows, schema), lake.system_path("source_files"))


def claim(
    spark: SparkSession, lake: Lake, source: str, batch_id: str, files: list[FileInfo]
) -> None:
    """Claim ``files`` for ``batch_id``: one commit recording them ``claimed``.

    Args:
        spark: the session.
        lake: the lake whose ``system/source_files`` is appended to.
        source: the source's name.
        batch_id: the new batch's id.
        files: the files the batch will ingest.

    Example:
        >>> claim(spark, lake, "landing", "landing-r20261123T120000Z", files)  # doctest: +SKIP
    """
    record(spark, lake, source, batch_id, files, CLAIMED)
