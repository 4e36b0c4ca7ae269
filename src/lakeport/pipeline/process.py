"""Processing one batch: read -> map -> validate -> split -> threshold -> commit -> record.

One pass over the input: the validated frame is observed (records, failed, warned, codes, the
positions of flagged records) while its good rows are written as data files of a Delta
transaction (:mod:`lakeport.pipeline.commit`). Then the flagged records alone are read again for
``system/errors``, the threshold is checked, and the transaction is committed, or discarded: a
batch over its threshold commits nothing and its dataset is unchanged. Every outcome is one
catalog row and one ingestion event, written at the same time.

Commit points (:func:`lakeport.lake.hooks.checkpoint`), in order: ``batch-processing`` (the
claim), ``batch-staged`` (files written, nothing visible), ``batch-errors``, ``batch-committed``,
``batch-row-pending`` / ``batch-event-pending`` (inside the concurrent catalog and event writes),
``batch-recorded``. A run killed at any of them is completed by the same command run again.

Example:
    >>> record = process(spark, cfg, get_batch(spark, lake, "b1"))  # doctest: +SKIP
    >>> record.status, record.output_record_count  # doctest: +SKIP
    ('success', 988)
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from lakeport.errors import BatchError, ErrorCode, LakeportError
from lakeport.lake import fs
from lakeport.lake.catalog import claim_batch, find_batch, record_batches
from lakeport.lake.clock import iso, parse_iso, utc_now
from lakeport.lake.delta import is_conflict, java_classes
from lakeport.lake.events import Event, deliver, missing
from lakeport.lake.events import write as write_events
from lakeport.lake.hooks import checkpoint
from lakeport.lake.layout import Lake
from lakeport.lake.records import BatchRecord
from lakeport.lake.threads import concurrently
from lakeport.lake.txn import committed_metadata
from lakeport.pipeline.commit import Committed, Staged, stage
from lakeport.pipeline.diagnostics import write_errors
from lakeport.pipeline.frame import MappedBatch, mapped_batch
from lakeport.pipeline.observe import Counts, is_failed, observed
from lakeport.readers import get_reader

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from lakeport.config.model import Config, Dataset
    from lakeport.spec.settings import PartialIngestion, ReaderOptions

log = logging.getLogger(__name__)

# Java exceptions under a batch's failure that mean "the file is truncated or corrupt"
_UNREADABLE = (
    "java.io.EOFException",
    "java.util.zip.ZipException",
    "java.nio.charset.MalformedInputException",
    "java.nio.charset.CharacterCodingException",
)


def threshold_exceeded(partial: PartialIngestion, inputs: int, failed: int) -> str | None:
    """Why a batch with ``failed`` of ``inputs`` records failed fails as a whole, or None."""
    if failed == 0:
        return None
    if not partial.enabled:
        return (
            f"{failed} of {inputs} records failed and partial ingestion is off; fix the records "
            "(lakeport batch errors <id>) or enable partial_ingestion for the dataset"
        )
    percent = failed / inputs * 100 if inputs else 100.0
    if percent > partial.error_threshold_percent:
        return (
            f"{failed} of {inputs} records failed ({percent:.2f}%), above error_threshold_percent "
            f"{partial.error_threshold_percent:g}; see 'lakeport batch errors <id>'"
        )
    if partial.error_threshold_count is not None and failed > partial.error_threshold_count:
        return (
            f"{failed} records failed, above error_threshold_count {partial.error_threshold_count}; "
            "see 'lakeport batch errors <id>'"
        )
    return None


def effective_settings(
    ds: Dataset, record: BatchRecord
) -> tuple[ReaderOptions, PartialIngestion, bool]:
    """Reader options, partial-ingestion policy and diagnostics of a batch (dataset + overrides)."""
    settings = record.settings
    overrides = settings.get("options") or {}
    options = ds.config.options.model_copy(update=overrides) if overrides else ds.config.options
    partial_overrides = dict(settings.get("partial") or {})
    diagnostics = bool(partial_overrides.pop("diagnostics", ds.config.diagnostics))
    partial = ds.config.partial_ingestion.model_copy(update=partial_overrides)
    return options, partial, diagnostics


def finish(
    spark: SparkSession, cfg: Config, record: BatchRecord, *, recovered: bool = False
) -> BatchRecord:
    """Record a batch's final state and its event, in two concurrent commits; then deliver it.

    A successful replay also moves the batches it replaced to ``replaced`` (``replaced_by`` names
    it), in the same catalog commit: their rows are gone from the dataset, so they no longer count
    as landed anywhere (``batch list``, the report). A ``recovered`` batch (an earlier run
    committed it and died) gets its event only if that run did not write it.
    """
    lake = Lake(cfg.lake_root)
    replaced = []
    if record.status == "success":
        for old_id in record.replace:
            old = find_batch(spark, lake, old_id)
            if old is not None and old.batch_id != record.batch_id and old.status != "replaced":
                replaced.append(old.evolve(status="replaced", replaced_by=record.batch_id))
    event = Event.for_batch(record)

    def row() -> BatchRecord:
        checkpoint("batch-row-pending")
        return record_batches(spark, lake, [record, *replaced])[0]

    def emitted() -> list[Event]:
        checkpoint("batch-event-pending")
        events = missing(spark, lake, [event]) if recovered else [event]
        if events:
            write_events(spark, lake, events)
        return events

    # two small commits on two tables: their fixed driver work overlaps
    stamped, events = concurrently(row, emitted, name="lakeport-finish")
    checkpoint("batch-recorded")
    deliver(events, cfg.events.webhook)
    return stamped


def fail(
    spark: SparkSession,
    cfg: Config,
    record: BatchRecord,
    exc: BatchError,
    **metrics: Any,
) -> BatchRecord:
    """Record a batch as failed with ``exc``'s code and message (the dataset is unchanged)."""
    failed = record.evolve(
        **metrics,
        status="failed",
        error_code=str(exc.code),
        error_message=exc.message,
        started_at=record.started_at or utc_now(),
        completed_at=utc_now(),
    )
    return finish(spark, cfg, failed)


def _spark_failure(batch_id: str, exc: BaseException) -> BatchError:
    """Spark failed under the batch (a file truncated past its first megabyte, a disk full, a
    lost executor): the batch fails with the JVM's reason, nothing is half-written."""
    reason = fs.jvm_message(exc)
    unreadable = any(name in _UNREADABLE for name in java_classes(exc))
    return BatchError(
        f"batch {batch_id} failed while Spark read or wrote it: {reason}"
        + (
            "; a file is truncated or corrupt, re-export it"
            if unreadable
            else "; the Spark log on stderr has details"
        ),
        code=ErrorCode.BATCH_FILE_UNREADABLE if unreadable else ErrorCode.BATCH_SPARK_FAILURE,
        batch_id=batch_id,
    )


def _counted(record: BatchRecord, counts: Counts) -> BatchRecord:
    return record.evolve(
        input_record_count=counts.inputs,
        failed_record_count=counts.failed,
        warning_record_count=counts.warned,
        error_summary=counts.summary,
    )


def _recover(
    spark: SparkSession, cfg: Config, record: BatchRecord, meta: dict[str, Any]
) -> BatchRecord:
    """An earlier attempt committed the batch and died before recording it: record it now, with
    the metrics and start time that attempt stored in its commit (its event id, too)."""
    log.info(
        "batch %s: committed by an earlier run (version %s); recording it",
        record.batch_id,
        meta.get("version"),
    )
    accepted = int(meta["inputs"]) - int(meta["failed"])
    written = meta.get("written")
    done = record.evolve(
        started_at=parse_iso(meta["startedAt"]) or record.started_at,
        input_record_count=int(meta["inputs"]),
        failed_record_count=int(meta["failed"]),
        warning_record_count=int(meta["warned"]),
        error_summary={k: int(v) for k, v in (meta.get("summary") or {}).items()},
        mapping_report=meta.get("mappingReport"),
        output_record_count=accepted,
        duplicate_record_count=accepted - int(written) if written is not None else None,
        status="success",
        completed_at=utc_now(),
        delta_version=meta.get("version"),
        error_code=None,
        error_message=None,
    )
    return finish(spark, cfg, done, recovered=True)


def process(spark: SparkSession, cfg: Config, record: BatchRecord) -> BatchRecord:
    """Process a batch's files; returns its final record.

    Raises:
        BatchError: the batch failed (recorded as failed, with an event; the dataset is unchanged).
    """
    from pyspark.sql import functions as F

    lake = Lake(cfg.lake_root)
    ds = cfg.dataset(record.dataset)
    batch_id = record.batch_id
    options, partial, diagnostics = effective_settings(ds, record)
    # a retry of a batch that was processing or failed: its error rows are replaced, and its
    # dataset may hold the commit of an attempt that died before recording it
    retry = record.status in ("processing", "failed")
    record = claim_batch(
        spark,
        lake,
        record.evolve(started_at=utc_now(), completed_at=None),
        timeout_seconds=ds.config.batch_timeout_seconds,
    )
    checkpoint("batch-processing")
    try:
        files = fs.list_files(spark, list(record.files))
    except FileNotFoundError as exc:
        err = BatchError(
            f"{exc}: the batch's file is gone; upload it again into a new batch",
            code=ErrorCode.BATCH_FILE_NOT_FOUND,
            batch_id=batch_id,
        )
        fail(spark, cfg, record, err)
        raise err from exc
    record = record.evolve(input_file_count=len(files), input_byte_size=sum(f.size for f in files))
    app = f"lakeport-batch-{batch_id}"
    if retry and not get_reader(ds.config.format).state_table:
        prior = committed_metadata(spark, lake.dataset_path(ds.name), app)
        if prior is not None:
            return _recover(spark, cfg, record, prior)
    try:
        batch: MappedBatch = mapped_batch(spark, ds, files, options, batch_id)
    except BatchError as exc:
        fail(spark, cfg, record, exc)
        raise
    frame = batch.frame()
    record = record.evolve(mapping_report=json.dumps(batch.report))
    ingested_at = utc_now()
    staged: Staged | None = None
    try:
        for attempt in range(3):
            watched, metrics = observed(frame, keys=diagnostics)
            try:
                staged = stage(
                    spark,
                    lake,
                    ds,
                    watched.where(~F.col("_skip") & ~is_failed()),
                    batch_id,
                    list(record.replace),
                    ingested_at,
                    app=(app, int(record.seq or 0)),
                )
            except BatchError as refused:  # e.g. BATCH_SCHEMA_MISMATCH: never left processing
                fail(spark, cfg, record, refused, output_record_count=0)
                raise
            counts = metrics.counts()
            record = _counted(record, counts)
            checkpoint("batch-staged")
            if counts.inputs == 0:
                staged.discard()
                empty = BatchError(
                    "the files hold no records; check the format and the files",
                    code=ErrorCode.BATCH_NO_RECORDS,
                    batch_id=batch_id,
                )
                fail(spark, cfg, record, empty, output_record_count=0)
                raise empty
            keys = metrics.keys(spark)
            if keys is not None and (counts.failed or counts.warned):
                # the same read finds the same positions; only the flagged lines are parsed again
                write_errors(
                    lake,
                    frame,
                    batch.frame(keys),
                    ds.name,
                    batch_id,
                    ingested_at,
                    replace=retry or attempt > 0,
                )
                checkpoint("batch-errors")
            reason = threshold_exceeded(partial, counts.inputs, counts.failed)
            if reason:
                staged.discard()
                over = BatchError(
                    f"batch {batch_id} failed: {reason}",
                    code=(
                        ErrorCode.BATCH_THRESHOLD_EXCEEDED
                        if partial.enabled
                        else ErrorCode.BATCH_ROW_ERRORS
                    ),
                    batch_id=batch_id,
                )
                fail(spark, cfg, record, over, output_record_count=0)
                raise over
            try:
                committed = staged.commit(_commit_metadata(app, record, counts))
                break
            except Exception as exc:
                staged.discard()
                if not is_conflict(exc) or attempt == 2:
                    raise
                log.info("batch %s: another writer committed first; writing it again", batch_id)
        checkpoint("batch-committed")
    except LakeportError:
        raise
    except Exception as exc:
        if staged is not None:
            staged.discard()
        err = _spark_failure(batch_id, exc)
        fail(spark, cfg, record, err, output_record_count=0)
        raise err from exc
    return finish(spark, cfg, _succeeded(record, committed))


def _commit_metadata(app: str, record: BatchRecord, counts: Counts) -> dict[str, Any]:
    """What a re-run needs to record the batch if this run dies right after its commit."""
    return {
        "app": app,
        "batch": record.batch_id,
        "startedAt": iso(record.started_at),
        "inputs": counts.inputs,
        "failed": counts.failed,
        "warned": counts.warned,
        "summary": counts.summary,
        "mappingReport": record.mapping_report,
    }


def _succeeded(record: BatchRecord, committed: Committed) -> BatchRecord:
    accepted = (record.input_record_count or 0) - (record.failed_record_count or 0)
    return record.evolve(
        output_record_count=accepted,
        duplicate_record_count=(
            accepted - committed.written if committed.written is not None else None
        ),
        status="success",
        completed_at=utc_now(),
        delta_version=committed.version,
        error_code=None,
        error_message=None,
    )
