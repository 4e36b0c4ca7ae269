"""``sources run``: ingest the new files of a source as one batch.

``run`` ingests every file not seen before (by path, size and modification time) as one batch
through the batch pipeline (:func:`lakeport.pipeline.ingest`). The order of its steps makes a
crash at any point harmless:

1. take the source's lease (``system/source_locks``; a second run exits with code 3);
2. finish what a crashed run left: a batch whose files were claimed but not marked is ingested
   again *with the same batch id*; the pipeline is idempotent on the batch id (a successful batch
   is returned as it is, a half-done one replaces its own rows), so nothing is duplicated;
3. list the location, keep the files not in ``system/source_files``;
4. **claim** them: one Delta commit that records the file set with a new batch id;
5. **ingest** them with that batch id;
6. **mark** them ``done`` (or ``failed`` with the batch's error code; a failed file is not
   retried until it changes). A Spark failure leaves the claim open: the next run replays it.

Checkpoints (:mod:`lakeport.lake.hooks`): ``locked``, ``claimed``, ``ingested``, ``marked``.

Example:
    >>> out = run(spark, cfg, "landing")  # doctest: +SKIP
    >>> out.status, [b.batch_id for b in out.batches]  # doctest: +SKIP
    ('ingested', ['landing-r20261123T120501123456Z'])
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from lakeport.config import Config
from lakeport.lake.clock import stamp, utc_now
from lakeport.lake.hooks import checkpoint
from lakeport.lake.layout import Lake
from lakeport.sources.batches import ingest_claimed, recover
from lakeport.sources.discovery import discover, source_config
from lakeport.sources.files import claim, key_of, seen
from lakeport.sources.leases import acquire
from lakeport.sources.results import SourceRun

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)


def run(spark: SparkSession, cfg: Config, name: str) -> SourceRun:
    """Ingest the source's new files as one batch (after finishing any batch a crash left).

    New files are taken oldest first (modification time, then path), at most
    ``max_files_per_batch`` of them; the batch id is ``<source>-r<UTC time to the microsecond>Z``.

    Args:
        spark: the session.
        cfg: the loaded configuration.
        name: the source's name.

    Returns:
        The run: its batches (recovered ones first), the new files it took and the ones it left
        (``pending_files``, beyond ``max_files_per_batch``) for the next run. ``to_json()`` is
        ``{"source", "dataset", "status": "ingested" | "no_new_files" | "failed", "batches",
        "newFiles", "pendingFiles"}``.

    Raises:
        ConfigError: no such source, or its dataset is not configured.
        SourceBusyError: another run holds the source (exit code 3).
        BatchError: Spark failed under the batch (the next run replays it).

    Example:
        >>> out = run(spark, cfg, "landing")  # doctest: +SKIP
        >>> out.to_json()["newFiles"], out.pending_files  # doctest: +SKIP
        (2, 0)
    """
    src = source_config(cfg, name)
    lake = Lake(cfg.lake_root)
    cfg.dataset(src.dataset)
    lease = acquire(spark, lake, name, src.lock_timeout_seconds)
    try:
        checkpoint("locked")
        known = seen(spark, lake, name)
        batches = recover(spark, cfg, name, lease, known)
        new = [f for f in discover(spark, src) if key_of(f) not in known]
        new.sort(key=lambda f: (f.mtime, f.path))
        take, pending = new[: src.max_files_per_batch], new[src.max_files_per_batch :]
        if take:
            batch_id = f"{name}-r{stamp(utc_now(), '%Y%m%dT%H%M%S%fZ')}"
            lease.check()
            claim(spark, lake, name, batch_id, take)
            log.info("source %s: claimed %d new file(s) as batch %s", name, len(take), batch_id)
            checkpoint("claimed")
            batches.append(ingest_claimed(spark, cfg, name, batch_id, take, lease=lease))
    finally:
        lease.release()
    return SourceRun.of(name, src.dataset, batches, len(take), len(pending))
