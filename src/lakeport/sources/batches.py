"""One batch of claimed files: ingest with its batch id, then mark the files; and recovery.

A run and a stream epoch both end here. The files were claimed (one commit of ``claimed`` rows
with the batch id) before; this ingests them through the batch pipeline with that batch id and
marks them ``done`` (or ``failed`` with the batch's error code; a failed file is not retried until
it changes). A Spark failure leaves the claim open: the next run replays it. The pipeline is
idempotent on the batch id (a successful batch is returned as it is, a half-done one replaces its
own rows), so finishing a claim a crashed run left duplicates nothing.

Example:
    >>> ingest_claimed(spark, cfg, "landing", "landing-r1", files, lease=lease).status  # doctest: +SKIP
    'success'
"""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING

from lakeport.config import Config
from lakeport.errors import BatchError, ErrorCode, LakeportError
from lakeport.lake.catalog import get_batch
from lakeport.lake.fs import FileInfo
from lakeport.lake.hooks import checkpoint
from lakeport.lake.layout import Lake
from lakeport.lake.records import BatchResult
from lakeport.pipeline import ingest
from lakeport.sources.discovery import effective, source_config
from lakeport.sources.files import DONE, FAILED, FileKey, FileState, record, seen, unfinished
from lakeport.sources.leases import Lease
from lakeport.sources.results import SourceBatch

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)

# A Spark failure under a batch is worth retrying with the same files; data failures are not.
RETRYABLE = (ErrorCode.BATCH_SPARK_FAILURE,)


def outcome(spark: SparkSession, cfg: Config, batch_id: str, files: list[FileInfo]) -> SourceBatch:
    """The batch as the catalog has it now, over ``files``.

    Args:
        spark: the session.
        cfg: the loaded configuration (its lake root holds the catalog).
        batch_id: the batch.
        files: the batch's files.

    Returns:
        The batch with its catalog result; ``status`` ``failed`` (no result) when the catalog
        cannot give one.

    Example:
        >>> outcome(spark, cfg, "landing-r1", files).to_json()["status"]  # doctest: +SKIP
        'success'
    """
    try:
        result: BatchResult | None = BatchResult.of(get_batch(spark, Lake(cfg.lake_root), batch_id))
    except LakeportError:
        result = None
    return SourceBatch.of(batch_id, [f.path for f in files], result)


def ingest_claimed(
    spark: SparkSession,
    cfg: Config,
    name: str,
    batch_id: str,
    files: list[FileInfo],
    *,
    lease: Lease,
    hook_prefix: str = "",
    hook_suffix: str = "",
) -> SourceBatch:
    """Ingest claimed files with their batch id, then mark them ``done`` or ``failed``.

    Checkpoints ``<prefix>ingested<suffix>`` after the ingest and ``<prefix>marked<suffix>``
    after the mark (:func:`lakeport.lake.hooks.checkpoint`).

    Args:
        spark: the session.
        cfg: the loaded configuration.
        name: the source's name.
        batch_id: the id the files were claimed with.
        files: the claimed files.
        lease: the source's held lease (checked before the mark).
        hook_prefix: prefix of the checkpoint names (``stream-`` for an epoch).
        hook_suffix: suffix of the checkpoint names (``-e<N>`` for epoch N).

    Returns:
        The batch as the catalog has it after the ingest.

    Raises:
        BatchError: a Spark failure (the claim stays open and is replayed by the next run).
        SourceBusyError: the lease was lost meanwhile (nothing is marked).

    Example:
        >>> ingest_claimed(spark, cfg, "landing", "landing-r1", files, lease=lease).status  # doctest: +SKIP
        'success'
    """
    src = source_config(cfg, name)
    lake = Lake(cfg.lake_root)
    run_cfg, options, partial = effective(cfg, src)
    status, code = DONE, None
    try:
        ingest(
            spark,
            run_cfg,
            src.dataset,
            [f.path for f in files],
            batch_id=batch_id,
            options=options,
            partial=partial,
        )
    except BatchError as exc:
        if exc.code in RETRYABLE:
            raise
        status, code = FAILED, exc.code
        log.error("source %s: batch %s failed [%s]: %s", name, batch_id, exc.code, exc.message)
    checkpoint(f"{hook_prefix}ingested{hook_suffix}")
    lease.check()
    record(spark, lake, name, batch_id, files, status, code)
    checkpoint(f"{hook_prefix}marked{hook_suffix}")
    return outcome(spark, cfg, batch_id, files)


def recover(
    spark: SparkSession,
    cfg: Config,
    name: str,
    lease: Lease,
    known: dict[FileKey, FileState] | None = None,
) -> list[SourceBatch]:
    """Finish every batch a crashed run claimed and did not mark, with its own batch id.

    Args:
        spark: the session.
        cfg: the loaded configuration.
        name: the source's name.
        lease: the source's held lease.
        known: :func:`lakeport.sources.files.seen` of the source (read when not given).

    Returns:
        The finished batches, oldest claim first, each with ``recovered`` set.

    Raises:
        BatchError: a Spark failure (the claim stays open).
        SourceBusyError: the lease was lost meanwhile.

    Example:
        >>> [b.batch_id for b in recover(spark, cfg, "landing", lease)]  # doctest: +SKIP
        ['landing-r20261123T120000000000Z']
    """
    if known is None:
        known = seen(spark, Lake(cfg.lake_root), name)
    out = []
    for batch_id, files in unfinished(known):
        log.warning(
            "source %s: batch %s claimed %d file(s) and did not finish; finishing it",
            name,
            batch_id,
            len(files),
        )
        done = ingest_claimed(spark, cfg, name, batch_id, files, lease=lease)
        out.append(dataclasses.replace(done, recovered=True))
    return out
