"""Processing one batch: read -> map -> validate -> split -> threshold -> commit -> record.

The validated frame is persisted once; one aggregation counts records and errors, then failed
rows go to ``system/errors`` and good rows to the dataset from the cache. A batch over its error
threshold commits nothing: the dataset is unchanged. Every outcome is one catalog row and one
ingestion event.

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
from lakeport.lake.clock import utc_now
from lakeport.lake.delta import java_classes
from lakeport.lake.events import Event, emit
from lakeport.lake.hooks import checkpoint
from lakeport.lake.layout import Lake
from lakeport.lake.records import BatchRecord
from lakeport.pipeline.commit import commit_rows
from lakeport.pipeline.diagnostics import write_errors
from lakeport.pipeline.frame import validated_frame

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


def finish(spark: SparkSession, cfg: Config, record: BatchRecord) -> BatchRecord:
    """Record a batch's final state, then emit its event.

    A successful replay also moves the batches it replaced to ``replaced`` (``replaced_by`` names
    it), in the same catalog commit: their rows are gone from the dataset, so they no longer count
    as landed anywhere (``batch list``, the report).
    """
    lake = Lake(cfg.lake_root)
    replaced = []
    if record.status == "success":
        for old_id in record.replace:
            old = find_batch(spark, lake, old_id)
            if old is not None and old.batch_id != record.batch_id and old.status != "replaced":
                replaced.append(old.evolve(status="replaced", replaced_by=record.batch_id))
    stamped = record_batches(spark, lake, [record, *replaced])[0]
    checkpoint("batch-recorded")
    emit(spark, lake, [Event.for_batch(stamped)], cfg.events.webhook)
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


def process(spark: SparkSession, cfg: Config, record: BatchRecord) -> BatchRecord:
    """Process a batch's files; returns its final record.

    Raises:
        BatchError: the batch failed (recorded as failed, with an event; the dataset is unchanged).
    """
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    lake = Lake(cfg.lake_root)
    ds = cfg.dataset(record.dataset)
    batch_id = record.batch_id
    options, partial, diagnostics = effective_settings(ds, record)
    # An earlier attempt of this batch may have written rows before it died: then every write
    # replaces this batch id. A first attempt can append, which is cheaper.
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
    sizes: dict[str, Any] = {
        "input_file_count": len(files),
        "input_byte_size": sum(f.size for f in files),
    }
    try:
        frame, report = validated_frame(spark, ds, files, options, batch_id)
    except BatchError as exc:
        fail(spark, cfg, record, exc, **sizes)
        raise
    record = record.evolve(mapping_report=json.dumps(report), **sizes)

    lines = frame.withColumn("_failed", F.size("_errors") > 0).persist(StorageLevel.MEMORY_AND_DISK)
    frame = lines.where(~F.col("_skip"))
    try:
        counts = frame.agg(
            F.count(F.lit(1)).alias("n"),
            F.sum(F.col("_failed").cast("long")).alias("failed"),
            F.sum((~F.col("_failed") & (F.size("_warnings") > 0)).cast("long")).alias("warned"),
        ).first()
        assert counts is not None
        inputs, failed, warned = (
            int(counts["n"]),
            int(counts["failed"] or 0),
            int(counts["warned"] or 0),
        )
        summary: dict[str, int] = {}
        if failed or warned:
            codes = (
                frame.where("_failed")
                .select(F.explode("_errors.code").alias("code"))
                .groupBy("code")
                .count()
                .collect()
            )
            summary = {r["code"]: int(r["count"]) for r in codes}
        record = record.evolve(
            input_record_count=inputs,
            failed_record_count=failed,
            warning_record_count=warned,
            error_summary=summary,
        )
        if inputs == 0:
            empty = BatchError(
                "the files hold no records; check the format and the files",
                code=ErrorCode.BATCH_NO_RECORDS,
                batch_id=batch_id,
            )
            fail(spark, cfg, record, empty, output_record_count=0)
            raise empty
        ingested_at = utc_now()
        if diagnostics and (failed or warned):
            write_errors(lake, lines, ds.name, batch_id, ingested_at, replace=retry)
            checkpoint("batch-errors")
        reason = threshold_exceeded(partial, inputs, failed)
        if reason:
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
        good = frame.where(~F.col("_failed"))
        try:
            committed = commit_rows(
                spark, lake, ds, good, batch_id, list(record.replace), ingested_at, retry=retry
            )
        except (
            BatchError
        ) as refused:  # e.g. BATCH_SCHEMA_MISMATCH: record it, never leave it processing
            fail(spark, cfg, record, refused, output_record_count=0)
            raise
        checkpoint("batch-committed")
    except LakeportError:
        raise
    except Exception as exc:
        # Spark failed under the batch (a file truncated past its first megabyte, a disk full,
        # a lost executor): the batch fails with the JVM's reason, nothing is half-written.
        reason = fs.jvm_message(exc)
        unreadable = any(name in _UNREADABLE for name in java_classes(exc))
        err = BatchError(
            f"batch {batch_id} failed while Spark read or wrote it: {reason}"
            + (
                "; a file is truncated or corrupt, re-export it"
                if unreadable
                else "; the Spark log on stderr has details"
            ),
            code=ErrorCode.BATCH_FILE_UNREADABLE if unreadable else ErrorCode.BATCH_SPARK_FAILURE,
            batch_id=batch_id,
        )
        fail(spark, cfg, record, err, output_record_count=0)
        raise err from exc
    finally:
        lines.unpersist()
    accepted = inputs - failed
    done = record.evolve(
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
    return finish(spark, cfg, done)
