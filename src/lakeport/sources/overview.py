"""Looking at sources: ``sources status`` (one source in detail) and ``sources list`` (all).

Nothing here takes a lease or writes; it reads ``system/source_files``, ``system/source_locks``
and the batch catalog, and lists the source's location.

Example:
    >>> status(spark, cfg, "landing").file_counts  # doctest: +SKIP
    {'done': 4}
    >>> [s.source for s in list_sources(spark, cfg)]  # doctest: +SKIP
    ['landing', 'landing_one']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from lakeport.config import Config
from lakeport.errors import LakeportError
from lakeport.lake.catalog import get_batch
from lakeport.lake.clock import from_spark
from lakeport.lake.delta import read_table
from lakeport.lake.layout import Lake
from lakeport.lake.records import BatchMetrics, BatchRecord, BatchResult
from lakeport.sources.discovery import discover, source_config
from lakeport.sources.files import SOURCE_FILES_DDL, FileKey, FileState, key_of, seen
from lakeport.sources.leases import LeaseHolder, holder
from lakeport.sources.results import SourceBatchStatus, SourceFile, SourceStatus, SourceSummary

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def status(spark: SparkSession, cfg: Config, name: str) -> SourceStatus:
    """Every file the source has seen (with its batch and state), files waiting, and the lease.

    A file that was deleted after it was seen keeps its rows, with ``present`` False.

    Args:
        spark: the session.
        cfg: the loaded configuration.
        name: the source's name.

    Returns:
        The source's files in the order they were recorded, its batches (status from the
        catalog, None when it has no row), counts per file state, the new files not ingested yet
        (``pending_files``) and the lease holder (None when free).

    Raises:
        ConfigError: no such source.

    Example:
        >>> out = status(spark, cfg, "landing")  # doctest: +SKIP
        >>> out.to_json()["fileCounts"], out.pending_files, out.held_by  # doctest: +SKIP
        ({'done': 4}, 0, None)
    """
    src = source_config(cfg, name)
    lake = Lake(cfg.lake_root)
    listed = {key_of(f) for f in discover(spark, src)}
    return assemble_status(
        cfg,
        name,
        listed,
        seen(spark, lake, name),
        lambda batch_id: get_batch(spark, lake, batch_id),
        holder(spark, lake, name),
    )


def assemble_status(
    cfg: Config,
    name: str,
    listed: set[FileKey],
    known: dict[FileKey, FileState],
    batch_of: Callable[[str], BatchRecord],
    held_by: LeaseHolder | None,
) -> SourceStatus:
    """A source's status from what was read (by Spark, or by the read-only path without it).

    ``listed`` are the file keys at the location now, ``known`` the latest state of each file
    the source has seen, ``batch_of`` the catalog lookup (raises when a batch has no row).
    """
    src = source_config(cfg, name)
    files = tuple(
        SourceFile(
            path=s.path,
            size=s.size,
            mtime=s.mtime,
            status=s.status,
            batch_id=s.batch_id,
            error_code=s.error_code,
            recorded_at=s.recorded_at,
            present=s.key in listed,
        )
        for s in sorted(known.values(), key=lambda s: (s.seq, s.key))
    )
    batches = []
    for batch_id in dict.fromkeys(f.batch_id for f in files):
        mine = [f for f in files if f.batch_id == batch_id]
        state: str | None
        metrics: BatchMetrics | None
        try:
            record = batch_of(batch_id)
        except LakeportError:
            state, metrics = None, None
        else:
            state, metrics = record.status, BatchResult.of(record).metrics
        times = [f.recorded_at for f in mine if f.recorded_at is not None]
        batches.append(
            SourceBatchStatus(
                batch_id=batch_id,
                status=state,
                files=len(mine),
                recorded_at=max(times) if times else None,
                metrics=metrics,
            )
        )
    counts: dict[str, int] = {}
    for f in files:
        counts[f.status] = counts.get(f.status, 0) + 1
    return SourceStatus(
        source=name,
        dataset=src.dataset,
        location=src.location,
        glob=src.glob,
        file_counts=dict(sorted(counts.items())),
        pending_files=len(listed - set(known)),
        held_by=held_by,
        batches=tuple(batches),
        files=files,
    )


def list_sources(spark: SparkSession, cfg: Config) -> list[SourceSummary]:
    """One line per configured source: where, into which dataset, its last batch and file counts.

    Args:
        spark: the session.
        cfg: the loaded configuration.

    Returns:
        The configured sources in the order of lakeport.yaml; ``files_seen`` counts distinct
        file keys, ``last_batch`` is the batch of the latest record (None before the first run).

    Raises:
        ConfigError: a source's dataset is not configured.

    Example:
        >>> [(s.source, s.files_seen, s.last_batch) for s in list_sources(spark, cfg)]  # doctest: +SKIP
        [('landing', 4, 'landing-r20261123T120501123456Z'), ('landing_one', 0, None)]
    """
    from pyspark.sql import functions as F

    lake = Lake(cfg.lake_root)
    df = read_table(spark, lake.system_path("source_files"), SOURCE_FILES_DDL)
    stats = {
        r["source"]: r.asDict()
        for r in df.groupBy("source")
        .agg(
            F.max_by("batch_id", "seq").alias("last_batch"),
            F.max("recorded_at").alias("last_at"),
            F.count_distinct("path", "size", "mtime").alias("files"),
        )
        .collect()
    }
    out = []
    for name, src in cfg.sources.items():
        s = stats.get(name, {})
        out.append(
            SourceSummary(
                source=name,
                dataset=src.dataset,
                location=src.location,
                glob=src.glob,
                format=src.format or cfg.dataset(src.dataset).config.format,
                files_seen=int(s.get("files") or 0),
                last_batch=s.get("last_batch"),
                last_activity_at=from_spark(s.get("last_at")),
            )
        )
    return out
