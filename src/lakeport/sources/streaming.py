"""``sources stream``: the steps of ``sources run`` under Structured Streaming.

A ``binaryFile`` stream over the location (only path, length and modification time are read;
the content column is pruned), a checkpoint in ``<lake>/system/checkpoints/<source>``, and
``foreachBatch`` running the batch pipeline on each micro-batch's files with batch id
``<source>-e<epoch>``. Spark replays an epoch whose commit did not reach the checkpoint with the
same files and the same epoch id, so the replay reuses the batch id and the pipeline makes it a
no-op (no ``txnAppId`` is needed: the batch id plays that role, through the pipeline's
``replaceWhere`` on ``_batch_id``). The stream holds the source's lease while it runs.

With ``profiles=True`` each micro-batch is followed by the incremental profile build
(:mod:`lakeport.sources.follow`), inside the same ``foreachBatch`` call.

Checkpoints (:mod:`lakeport.lake.hooks`): ``locked``, then ``stream-claimed-e<N>``,
``stream-ingested-e<N>``, ``stream-marked-e<N>`` (and ``stream-profiles-e<N>``) for epoch N.

Example:
    >>> out = stream(spark, cfg, "landing", available_now=True)  # doctest: +SKIP
    >>> [b.batch_id for b in out.batches]  # doctest: +SKIP
    ['landing-e0', 'landing-e1']
"""

from __future__ import annotations

import dataclasses
import logging
import re
from typing import TYPE_CHECKING

from lakeport.config import Config
from lakeport.errors import BatchError, ErrorCode, UsageError
from lakeport.lake import fs
from lakeport.lake.hooks import checkpoint
from lakeport.lake.layout import Lake
from lakeport.lake.maintenance import STREAM_EVERY, lake_tables, maintain
from lakeport.sources.batches import ingest_claimed, recover
from lakeport.sources.discovery import pattern, source_config
from lakeport.sources.files import DONE, FAILED, claim, key_of, seen
from lakeport.sources.follow import follow_profiles
from lakeport.sources.leases import Lease, acquire
from lakeport.sources.results import SourceBatch, SourceStream

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.streaming import StreamingQuery

log = logging.getLogger(__name__)


def parse_trigger(text: str) -> str:
    """A micro-batch interval as Spark's interval text.

    Args:
        text: ``5s`` / ``500ms`` / ``2m`` / ``1h``, or Spark's own ``5 seconds``.

    Returns:
        Spark's interval text, e.g. ``5 seconds``.

    Raises:
        UsageError: anything else.

    Example:
        >>> parse_trigger("500ms")
        '500 milliseconds'
    """
    units = {"ms": "milliseconds", "s": "seconds", "m": "minutes", "h": "hours"}
    match = re.fullmatch(r"\s*(\d+)\s*(ms|s|m|h)\s*", text)
    if match:
        return f"{match.group(1)} {units[match.group(2)]}"
    if re.fullmatch(r"\s*\d+\s+(milliseconds?|seconds?|minutes?|hours?)\s*", text):
        return text.strip()
    raise UsageError(f"--trigger {text!r}: write a number and a unit, such as 5s, 500ms, 2m or 1h")


@dataclasses.dataclass
class StreamRun:
    """A running source stream: its query, its lease, and the batches it has run so far."""

    query: StreamingQuery
    lease: Lease
    batches: list[SourceBatch]
    failure: list[BaseException]

    def stop(self) -> None:
        """Stop the query and release the source."""
        try:
            self.query.stop()
        finally:
            self.lease.release()

    def wait(self, timeout: float | None = None) -> None:
        """Block until the query ends (``--available-now``) or ``timeout`` seconds pass.

        Raises:
            BatchError: the stream failed (the failure of the micro-batch, or
                ``BATCH_SPARK_FAILURE``); starting it again replays the unfinished micro-batch.
            SourceBusyError: the lease was lost while a micro-batch ran.
        """
        try:
            if timeout is None:
                self.query.awaitTermination()
            else:
                self.query.awaitTermination(int(timeout))
        except Exception as exc:
            if self.failure:
                raise self.failure[0] from exc
            raise BatchError(
                f"the stream failed: {fs.jvm_message(exc)}; start it again (the checkpoint "
                "replays the unfinished micro-batch)",
                code=ErrorCode.BATCH_SPARK_FAILURE,
            ) from exc
        if self.failure:
            raise self.failure[0]


def start_stream(
    spark: SparkSession,
    cfg: Config,
    name: str,
    *,
    trigger: str = "10s",
    available_now: bool = False,
    profiles: bool = False,
    compact_every: int = STREAM_EVERY,
) -> StreamRun:
    """Start the source's stream (non-blocking); the caller waits on or stops the StreamRun.

    Takes the source's lease and finishes any batch a crashed run left before it starts.

    Args:
        spark: the session.
        cfg: the loaded configuration.
        name: the source's name.
        trigger: the micro-batch interval (see :func:`parse_trigger`).
        available_now: ingest what is there now, in micro-batches of ``max_files_per_batch``
            files, then end.
        profiles: after each micro-batch, update the identity graph and every policy's
            profiles incrementally (:mod:`lakeport.sources.follow`).
        compact_every: after every this many micro-batches, compact the lake's system and
            profile tables and the source's dataset (:mod:`lakeport.lake.maintenance`); 0: never.

    Returns:
        The running stream, holding the source's lease until :meth:`StreamRun.stop`.

    Raises:
        ConfigError: no such source, or its dataset is not configured.
        UsageError: a trigger that cannot be read.
        SourceBusyError: another run holds the source (exit code 3).

    Example:
        >>> s = start_stream(spark, cfg, "landing", available_now=True)  # doctest: +SKIP
        >>> s.wait(); s.stop()  # doctest: +SKIP
    """
    from pyspark.sql import functions as F

    src = source_config(cfg, name)
    lake = Lake(cfg.lake_root)
    cfg.dataset(src.dataset)
    interval = None if available_now else parse_trigger(trigger)
    lease = acquire(spark, lake, name, src.lock_timeout_seconds)
    batches: list[SourceBatch] = []
    failure: list[BaseException] = []
    try:
        checkpoint("locked")
        batches.extend(recover(spark, cfg, name, lease))
        if profiles and batches:
            batches[-1] = dataclasses.replace(
                batches[-1], profiles=follow_profiles(spark, cfg, name, None)
            )
        files = (
            spark.readStream.format("binaryFile")
            .schema("path string, modificationTime timestamp, length long, content binary")
            .option("maxFilesPerTrigger", src.max_files_per_batch)
            # the default (7 days) would skip back-filled files older than the newest one
            .option("maxFileAge", "3650d")
            .load(pattern(src))
            .select(
                "path",
                F.col("length").alias("size"),
                F.unix_millis("modificationTime").alias("mtime"),
            )
        )

        def each(df: DataFrame, epoch_id: int) -> None:
            try:
                out = _epoch(spark, cfg, name, lease, df, epoch_id)
                if profiles:  # also for a replayed epoch: its build may not have run
                    built = follow_profiles(spark, cfg, name, epoch_id)
                    out = dataclasses.replace(out, profiles=built) if out is not None else None
                if out is not None:
                    batches.append(out)
                if compact_every and epoch_id % compact_every == compact_every - 1:
                    _compact(spark, cfg, name, src.dataset, epoch_id, compact_every)
            except BaseException as exc:
                failure.append(exc)
                raise

        writer = (
            files.writeStream.foreachBatch(each)
            .queryName(f"lakeport-source-{name}")
            .option("checkpointLocation", lake.checkpoint_path(name))
        )
        writer = (
            writer.trigger(availableNow=True)
            if available_now
            else writer.trigger(processingTime=str(interval))
        )
        query = writer.start()
    except BaseException:
        lease.release()
        raise
    return StreamRun(query, lease, batches, failure)


def _compact(
    spark: SparkSession, cfg: Config, name: str, dataset: str, epoch_id: int, every: int
) -> None:
    """The stream's periodic compaction: each micro-batch adds small files to the system tables,
    the dataset and (``--profiles``) the profile tables. A failure is logged, not raised: the
    stream's data is committed, and the next round compacts what this one could not."""
    tables = lake_tables(cfg, datasets=False)
    tables[f"datasets/{dataset}"] = Lake(cfg.lake_root).dataset_path(dataset)
    try:
        done = maintain(spark, tables)
    except Exception as exc:
        log.error(
            "source %s: epoch %d: compaction failed (data unaffected; retried in %d "
            "micro-batches, or run lakeport maintain): %s",
            name,
            epoch_id,
            every,
            fs.jvm_message(exc),
        )
        return
    if done.compacted:
        log.info(
            "source %s: epoch %d: compacted %s",
            name,
            epoch_id,
            ", ".join(
                f"{c.table} ({c.files_before} -> {c.files_after} files)" for c in done.compacted
            ),
        )


def _epoch(
    spark: SparkSession, cfg: Config, name: str, lease: Lease, df: DataFrame, epoch_id: int
) -> SourceBatch | None:
    """One micro-batch: its files (a few rows of metadata) through the batch pipeline."""
    lake = Lake(cfg.lake_root)
    batch_id = f"{name}-e{epoch_id}"
    listed = [
        fs.FileInfo(r["path"], int(r["size"]), int(r["mtime"])) for r in df.distinct().collect()
    ]
    if not listed:
        return None
    known = seen(spark, lake, name)
    # files that another batch (a 'sources run', an earlier epoch) already took are skipped;
    # a replayed epoch finds its own claim and goes on with it
    mine = [
        f for f in listed if (state := known.get(key_of(f))) is None or state.batch_id == batch_id
    ]
    if not mine:
        log.info("source %s: epoch %d holds only files ingested before", name, epoch_id)
        return None
    unclaimed = [f for f in mine if key_of(f) not in known]
    if unclaimed:
        lease.check()
        claim(spark, lake, name, batch_id, unclaimed)
    checkpoint(f"stream-claimed-e{epoch_id}")
    done = [
        f
        for f in mine
        if (state := known.get(key_of(f))) is not None and state.status in (DONE, FAILED)
    ]
    if done and len(done) == len(mine):
        log.info(
            "source %s: epoch %d (batch %s) was finished before; nothing to do",
            name,
            epoch_id,
            batch_id,
        )
        return None
    mine.sort(key=lambda f: f.path)
    return ingest_claimed(
        spark,
        cfg,
        name,
        batch_id,
        mine,
        lease=lease,
        hook_prefix="stream-",
        hook_suffix=f"-e{epoch_id}",
    )


def stream(
    spark: SparkSession,
    cfg: Config,
    name: str,
    *,
    trigger: str = "10s",
    available_now: bool = False,
    profiles: bool = False,
    compact_every: int = STREAM_EVERY,
) -> SourceStream:
    """Run the source's stream until it ends (``available_now``) or is interrupted.

    Args:
        spark: the session.
        cfg: the loaded configuration.
        name: the source's name.
        trigger: the micro-batch interval (see :func:`parse_trigger`).
        available_now: ingest what is there now, in micro-batches, then end.
        profiles: update the identity graph and the profiles after each micro-batch.
        compact_every: compact the lake's small files every this many micro-batches (0: never).

    Returns:
        The micro-batches this process ran (and the batches it recovered first); ``to_json()``
        is ``{"source", "dataset", "mode", "status", "batches": [...]}``.

    Raises:
        ConfigError: no such source, or its dataset is not configured.
        UsageError: a trigger that cannot be read.
        SourceBusyError: another run holds the source (exit code 3).
        BatchError: the stream failed (starting it again replays the unfinished micro-batch).
        KeyboardInterrupt: the stream was interrupted (it is stopped and the source released).

    Example:
        >>> out = stream(spark, cfg, "landing", available_now=True)  # doctest: +SKIP
        >>> out.to_json()["mode"], out.status  # doctest: +SKIP
        ('available-now', 'ingested')
    """
    run_ = start_stream(
        spark,
        cfg,
        name,
        trigger=trigger,
        available_now=available_now,
        profiles=profiles,
        compact_every=compact_every,
    )
    try:
        run_.wait()
    finally:
        run_.stop()
    src = source_config(cfg, name)
    mode = "available-now" if available_now else f"trigger {parse_trigger(trigger)}"
    return SourceStream.of(name, src.dataset, mode, run_.batches)
