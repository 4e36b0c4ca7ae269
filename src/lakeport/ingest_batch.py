"""Job: batches through read -> map -> convert -> validate -> split -> commit, with a catalog.

Lifecycle (SEMANTICS.md, "Batches"): ``create`` (status ``loading``) -> ``upload`` files ->
``complete`` (``processing`` -> ``success`` | ``failed``) or ``abort`` (``aborted``). ``ingest``
is all three in one call and reads the files where they are. ``complete`` is safe to retry: a
batch that already succeeded is not processed again, and every write replaces its own batch id.

The pipeline is evaluated once: the validated frame is persisted, one aggregation counts records
and errors, then good rows go to the dataset and failed rows to ``system/errors`` from the cache.

Runs under spark-submit too::

    spark-submit --py-files dist/jobs.zip jobs/ingest_batch.py --config conf/lakeport.yaml \\
        --dataset loyalty sample-data/loyalty.jsonl

Example:
    >>> result = ingest(spark, cfg, "loyalty", ["sample-data/loyalty.jsonl"])
    >>> result["status"], result["metrics"]["outputRecordCount"]
    ('success', 1000)
"""

from __future__ import annotations

import json
import logging
import secrets
import sys
from datetime import datetime
from typing import TYPE_CHECKING, Any

from lakeport.config import Config, Dataset, PartialIngestion, ReaderOptions
from lakeport.errors import BatchError, BatchStateError, LakeportError, UsageError
from lakeport.names import check_batch_id
from lakeport.storage import fs, readers
from lakeport.storage import lake as lk
from lakeport.transforms.mapping import apply_mapping, resolve_mapping

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger(__name__)

FINAL = ("success", "failed", "aborted")


def new_batch_id() -> str:
    """A sortable, unique batch id such as ``b20261123T120501Z-3f9a1c``."""
    return f"b{lk.utc_now():%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def _options(ds: Dataset, overrides: dict[str, Any] | None) -> ReaderOptions:
    if not overrides:
        return ds.config.options
    return ds.config.options.model_copy(update=overrides)


# --------------------------------------------------------------------------------------------
# Lifecycle
# --------------------------------------------------------------------------------------------


def create_batch(
    spark: SparkSession,
    cfg: Config,
    dataset: str,
    *,
    batch_id: str | None = None,
    input_format: str | None = None,
    replace: list[str] | None = None,
    options: dict[str, Any] | None = None,
    partial: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Open a batch (status ``loading``) for ``dataset``; files are uploaded into it next.

    Example:
        >>> b = create_batch(spark, cfg, "loyalty")
        >>> upload(spark, cfg, b["batch_id"], ["loyalty.jsonl"]); complete(spark, cfg, b["batch_id"])
    """
    batch_id = check_batch_id(batch_id) if batch_id is not None else new_batch_id()
    replace = [check_batch_id(b) for b in replace or []]
    ds = cfg.dataset(dataset)
    lake = lk.Lake(cfg.lake_root)
    fmt = input_format or ds.config.format
    if fmt != ds.config.format:
        raise UsageError(
            f"dataset {dataset!r} takes format {ds.config.format!r}, not {fmt!r}; "
            "change 'format' in lakeport.yaml or convert the files"
        )
    try:
        existing = lk.get_batch(spark, lake, batch_id)
    except LakeportError:
        existing = None
    if existing is not None:
        raise BatchStateError(
            f"batch {batch_id} already exists (status {existing['status']}); choose another id"
        )
    settings = {"options": options or {}, "partial": partial or {}}
    lk.record_batch(
        spark,
        lake,
        {
            "batch_id": batch_id,
            "dataset": dataset,
            "status": "loading",
            "input_format": fmt,
            "files": [],
            "replace": list(replace or []),
            "created_at": lk.utc_now(),
            "options": json.dumps(settings),
        },
    )
    return lk.batch_summary(lk.get_batch(spark, lake, batch_id))


def upload(spark: SparkSession, cfg: Config, batch_id: str, files: list[str]) -> dict[str, Any]:
    """Copy files into an open batch's staging area.

    Raises:
        BatchStateError: the batch is not ``loading``.
        BatchError: a file does not exist (BATCH_FILE_NOT_FOUND).
    """
    check_batch_id(batch_id)
    lake = lk.Lake(cfg.lake_root)
    row = lk.get_batch(spark, lake, batch_id)
    if row["status"] != "loading":
        raise BatchStateError(
            f"batch {batch_id} is {row['status']}; files can only be uploaded into a "
            "loading batch. Create a new batch."
        )
    found = _list(
        spark, files, batch_id, allow_links=cfg.dataset(row["dataset"]).config.allow_links
    )
    staged = list(row["files"] or [])
    for f in found:
        name = f.path.rstrip("/").split("/")[-1]
        target = f"{lake.staging_path(batch_id)}/{name}"
        fs.copy(spark, f.path, target)
        staged.append(fs.qualify(spark, target))
    lk.record_batch(spark, lake, {**row, "files": list(dict.fromkeys(staged))})
    return lk.batch_summary(lk.get_batch(spark, lake, batch_id))


def abort(spark: SparkSession, cfg: Config, batch_id: str) -> dict[str, Any]:
    """Abort an open batch; its staged files are deleted and nothing is ingested."""
    check_batch_id(batch_id)
    lake = lk.Lake(cfg.lake_root)
    row = lk.get_batch(spark, lake, batch_id)
    if row["status"] == "aborted":
        return lk.batch_summary(row)
    if row["status"] != "loading":
        raise BatchStateError(
            f"batch {batch_id} is {row['status']}; only a loading batch can be aborted"
        )
    fs.delete(spark, lake.staging_path(batch_id), within=lake.staging_root())
    lk.record_batch(spark, lake, {**row, "status": "aborted", "completed_at": lk.utc_now()})
    return lk.batch_summary(lk.get_batch(spark, lake, batch_id))


def complete(spark: SparkSession, cfg: Config, batch_id: str) -> dict[str, Any]:
    """Process a batch's files. Safe to retry: a successful batch is returned as it is.

    Raises:
        BatchStateError: the batch was aborted.
        BatchError: the batch failed (the catalog says why; the dataset is unchanged).
    """
    check_batch_id(batch_id)
    lake = lk.Lake(cfg.lake_root)
    row = lk.get_batch(spark, lake, batch_id)
    if row["status"] == "success":
        return lk.batch_summary(row)
    if row["status"] == "aborted":
        raise BatchStateError(
            f"batch {batch_id} was aborted; it cannot be completed. Create a new batch."
        )
    if not row["files"]:
        raise BatchStateError(f"batch {batch_id} has no files; upload files before completing it")
    return _process(spark, cfg, row)


def ingest(
    spark: SparkSession,
    cfg: Config,
    dataset: str,
    files: list[str],
    *,
    batch_id: str | None = None,
    replace: list[str] | None = None,
    options: dict[str, Any] | None = None,
    partial: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Create, fill and complete a batch in one step; files are read where they are.

    Re-running with the same ``batch_id`` never duplicates rows: a successful batch is returned as
    it is, a failed one is processed again.
    """
    if batch_id is not None:
        check_batch_id(batch_id)
    replace = [check_batch_id(b) for b in replace or []]
    lake = lk.Lake(cfg.lake_root)
    if batch_id:
        try:
            existing: dict[str, Any] | None = lk.get_batch(spark, lake, batch_id)
        except LakeportError:
            existing = None
        if existing is not None:
            if existing["dataset"] != dataset:
                raise UsageError(
                    f"batch {batch_id} belongs to dataset {existing['dataset']!r}, not {dataset!r}"
                )
            return complete(spark, cfg, batch_id)
    ds = cfg.dataset(dataset)
    batch_id = batch_id or new_batch_id()
    row: dict[str, Any] = {
        "batch_id": batch_id,
        "dataset": dataset,
        "input_format": ds.config.format,
        "files": [],
        "replace": list(replace or []),
        "created_at": lk.utc_now(),
        "options": json.dumps({"options": options or {}, "partial": partial or {}}),
    }
    try:
        found = _list(spark, files, batch_id, allow_links=ds.config.allow_links)
    except BatchError as exc:
        _fail(spark, cfg, row, exc, started=lk.utc_now())
        raise
    # one catalog row for open+upload: ingest reads the files where they are
    return _process(spark, cfg, {**row, "files": [f.path for f in found]})


def _list(
    spark: SparkSession, files: list[str], batch_id: str, *, allow_links: bool = False
) -> list[fs.FileInfo]:
    found = []
    for pattern in files:
        try:
            found.extend(fs.list_files(spark, [pattern]))
        except FileNotFoundError as exc:
            raise BatchError(
                f"{pattern}: no such file; check the path (globs and directories are allowed)",
                code="BATCH_FILE_NOT_FOUND",
                batch_id=batch_id,
            ) from exc
        except Exception as exc:
            text = str(exc)
            if "AccessDenied" in text or "Permission denied" in text:
                raise BatchError(
                    f"{pattern}: permission denied; grant read access to lakeport's user",
                    code="BATCH_PERMISSION_DENIED",
                    batch_id=batch_id,
                ) from exc
            raise
    if not found:
        raise BatchError(
            "no input files; give at least one file", code="BATCH_FILE_NOT_FOUND", batch_id=batch_id
        )
    for f in found:
        kind = fs.special_kind(f.path)
        if kind is None or (kind == "symbolic link" and allow_links):
            continue
        advice = (
            "give the file it points to, or set allow_links: true for the dataset"
            if kind == "symbolic link"
            else "give a regular file (copy the data out of it first)"
        )
        raise BatchError(
            f"{f.path}: is a {kind}, not a regular file; {advice}",
            code="BATCH_FILE_NOT_REGULAR",
            batch_id=batch_id,
        )
    return found


def _fail(
    spark: SparkSession,
    cfg: Config,
    row: dict[str, Any],
    exc: BatchError,
    *,
    started: datetime,
    metrics: dict[str, Any] | None = None,
) -> None:
    done = lk.utc_now()
    failed = {
        **row,
        **(metrics or {}),
        "status": "failed",
        "error_code": exc.code,
        "error_message": exc.message,
        "started_at": started,
        "completed_at": done,
    }
    lk.record_batch(spark, lk.Lake(cfg.lake_root), failed)
    _event(spark, cfg, failed)


def _event(spark: SparkSession, cfg: Config, row: dict[str, Any]) -> None:
    """Write the batch's ingestion event, then deliver it to the webhook (never raises)."""
    import os

    from lakeport import notify

    status = row["status"]
    event = {
        # one event per attempt: a failed batch that is retried reports each outcome
        "event_id": f"{row['batch_id']}:{status}:{(row.get('started_at') or lk.utc_now()):%Y%m%dT%H%M%S%f}",
        "event_type": "ing_load_success" if status == "success" else "ing_load_failure",
        "batch_id": row["batch_id"],
        "dataset": row["dataset"],
        "status": status,
        "input_format": row.get("input_format"),
        "started_at": row.get("started_at"),
        "completed_at": row.get("completed_at"),
        "success_count": row.get("output_record_count") or 0,
        "failed_count": row.get("failed_record_count") or 0,
        "error_summary": row.get("error_summary") or {},
        "emitted_at": lk.utc_now(),
    }
    lk.emit_event(spark, lk.Lake(cfg.lake_root), event)
    hook = cfg.events.webhook
    if hook is not None:
        secret = os.environ.get(hook.secret_env) if hook.secret_env else None
        if hook.secret_env and not secret:
            log.warning(
                "events.webhook.secret_env names %s, which is not set; sending unsigned",
                hook.secret_env,
            )
        notify.deliver(
            hook.url,
            secret,
            notify.event_payload(event),
            attempts=hook.attempts,
            timeout=hook.timeout_seconds,
        )


# --------------------------------------------------------------------------------------------
# Processing
# --------------------------------------------------------------------------------------------


def validated_frame(
    spark: SparkSession,
    ds: Dataset,
    files: list[fs.FileInfo],
    options: ReaderOptions,
    batch_id: str | None = None,
) -> tuple[DataFrame, dict[str, Any]]:
    """The batch as one frame: target columns, ``_errors``, ``_warnings`` and the position columns.

    Pure up to the read: no action runs except the small header/sample reads on the driver.
    Returns the frame and the mapping report (auto-mapped, unmapped fields).
    """
    from pyspark.sql import functions as F

    fmt = ds.config.format
    if fmt == "aam":  # audience-partner files: fixed shape, nothing to map (jobs/storage/aam.py)
        from lakeport.storage import aam

        return aam.validated_frame(spark, files, batch_id), {}
    header = readers.check_files(spark, files, fmt, options, batch_id)
    info = readers.discover(spark, files, fmt, options, header)
    plan = resolve_mapping(ds.mapping, ds.schema_spec, info.fields)
    source = readers.read_source(spark, files, fmt, options, plan, ds.schema_spec, info)
    resolve = readers.resolver(source, fmt, info)
    keep = ["_raw", "_source_file", "_parse_error", "_block", "_row", "_skip"]
    mapped = apply_mapping(source, plan, ds.schema_spec, resolve, ds.mapping.timezone, keep=keep)
    parse_error = F.array(
        F.struct(
            F.col("_parse_error").alias("code"),
            F.lit(None).cast("string").alias("field"),
            F.when(
                F.col("_parse_error") == "PARSE_MALFORMED_JSON",
                F.lit("the line is not a JSON object"),
            )
            .otherwise(F.lit("the row does not have as many fields as the header"))
            .alias("message"),
        )
    )
    empty = F.array().cast(lk.ERROR_STRUCT)
    mapped = mapped.withColumn(
        "_errors",
        F.when(F.col("_parse_error").isNotNull(), parse_error).otherwise(F.col("_errors")),
    )
    mapped = mapped.withColumn(
        "_warnings", F.when(F.col("_parse_error").isNotNull(), empty).otherwise(F.col("_warnings"))
    )
    return mapped.drop("_parse_error"), plan.summary()


def _threshold_exceeded(partial: PartialIngestion, inputs: int, failed: int) -> str | None:
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


def _process(spark: SparkSession, cfg: Config, row: dict[str, Any]) -> dict[str, Any]:
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    lake = lk.Lake(cfg.lake_root)
    ds = cfg.dataset(row["dataset"])
    batch_id = row["batch_id"]
    started = lk.utc_now()
    settings = json.loads(row.get("options") or "{}")
    options = _options(ds, settings.get("options"))
    overrides = dict(settings.get("partial") or {})
    diagnostics = overrides.pop("diagnostics", ds.config.diagnostics)
    partial = ds.config.partial_ingestion.model_copy(update=overrides)
    # An earlier attempt of this batch may have written rows before it died: then every write
    # replaces this batch id. A first attempt can append, which is cheaper.
    retry = row.get("status") in ("processing", "failed")
    row = {**row, "status": "processing", "started_at": started}
    lk.record_batch(spark, lake, row)
    try:
        files = fs.list_files(spark, list(row["files"]))
    except FileNotFoundError as exc:
        err = BatchError(
            f"{exc}: the batch's file is gone; upload it again into a new batch",
            code="BATCH_FILE_NOT_FOUND",
            batch_id=batch_id,
        )
        _fail(spark, cfg, row, err, started=started)
        raise err from exc
    metrics: dict[str, Any] = {
        "input_file_count": len(files),
        "input_byte_size": sum(f.size for f in files),
    }
    try:
        frame, report = validated_frame(spark, ds, files, options, batch_id)
    except BatchError as exc:
        _fail(spark, cfg, row, exc, started=started, metrics=metrics)
        raise
    row["mapping_report"] = json.dumps(report)

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
        metrics.update(
            {
                "input_record_count": inputs,
                "failed_record_count": failed,
                "warning_record_count": warned,
                "error_summary": summary,
            }
        )
        if inputs == 0:
            empty = BatchError(
                "the files hold no records; check the format and the files",
                code="BATCH_NO_RECORDS",
                batch_id=batch_id,
            )
            _fail(
                spark,
                cfg,
                row,
                empty,
                started=started,
                metrics={**metrics, "output_record_count": 0},
            )
            raise empty
        ingested_at = lk.utc_now()
        if diagnostics and (failed or warned):
            _write_errors(spark, lake, lines, ds.name, batch_id, ingested_at, replace=retry)
        reason = _threshold_exceeded(partial, inputs, failed)
        if reason:
            over = BatchError(
                f"batch {batch_id} failed: {reason}",
                code="BATCH_THRESHOLD_EXCEEDED" if partial.enabled else "BATCH_ROW_ERRORS",
                batch_id=batch_id,
            )
            _fail(
                spark,
                cfg,
                row,
                over,
                started=started,
                metrics={**metrics, "output_record_count": 0},
            )
            raise over
        good = frame.where(~F.col("_failed"))
        try:
            version = _commit(
                spark,
                lake,
                ds,
                good,
                batch_id,
                list(row.get("replace") or []),
                ingested_at,
                retry=retry,
            )
        except (
            BatchError
        ) as refused:  # e.g. BATCH_SCHEMA_MISMATCH: record it, never leave it processing
            _fail(
                spark,
                cfg,
                row,
                refused,
                started=started,
                metrics={**metrics, "output_record_count": 0},
            )
            raise
        metrics["output_record_count"] = inputs - failed
    except LakeportError:
        raise
    except Exception as exc:
        # Spark failed under the batch (a file truncated past its first megabyte, a disk full,
        # a lost executor): the batch fails with the JVM's reason, nothing is half-written.
        reason = fs.jvm_message(exc)
        unreadable = any(
            k in reason
            for k in (
                "EOFException",
                "Unexpected end of input",
                "ZipException",
                "Not in GZIP format",
                "MalformedInputException",
            )
        )
        err = BatchError(
            f"batch {batch_id} failed while Spark read or wrote it: {reason}"
            + (
                "; a file is truncated or corrupt, re-export it"
                if unreadable
                else "; the Spark log on stderr has details"
            ),
            code="BATCH_FILE_UNREADABLE" if unreadable else "BATCH_SPARK_FAILURE",
            batch_id=batch_id,
        )
        _fail(spark, cfg, row, err, started=started, metrics={**metrics, "output_record_count": 0})
        raise err from exc
    finally:
        lines.unpersist()
    done = {
        **row,
        **metrics,
        "status": "success",
        "completed_at": lk.utc_now(),
        "delta_version": version,
        "error_code": None,
        "error_message": None,
    }
    lk.record_batch(spark, lake, done)
    _event(spark, cfg, done)
    return lk.batch_summary(done)


def _commit(
    spark: SparkSession,
    lake: lk.Lake,
    ds: Dataset,
    good: DataFrame,
    batch_id: str,
    replace: list[str],
    ingested_at: datetime,
    *,
    retry: bool = True,
) -> int | None:
    """Write the good rows in one Delta commit; a retry or a replay replaces this batch id (and ``replace``)."""
    from pyspark.sql import functions as F

    if ds.config.format == "aam":  # traits are state: one MERGE computed from the batch
        from lakeport.storage import aam

        return aam.merge_traits(spark, lake, ds, good, batch_id, replace, ingested_at)

    from lakeport.model.schema import to_struct_type

    target = to_struct_type(ds.schema_spec)
    rows = good.select(
        *[F.col(f.name).cast(f.dataType).alias(f.name) for f in target.fields],
        F.lit(batch_id).alias("_batch_id"),
        F.lit(ingested_at).cast("timestamp").alias("_ingested_at"),
        F.col("_source_file"),
    )
    path = lake.dataset_path(ds.name)
    try:
        merge = ds.config.schema_evolution == "add_columns"
        if retry or replace:
            lk.write_batch_rows(rows, path, [batch_id, *replace], merge_schema=merge)
        else:
            lk.append_rows(rows, path, merge_schema=merge)
    except Exception as exc:
        text = str(exc)
        if (
            "DELTA_FAILED_TO_MERGE_FIELDS" in text
            or "schema mismatch" in text.lower()
            or "DELTA_METADATA_MISMATCH" in text
        ):
            raise BatchError(
                f"dataset {ds.name}: the schema in {ds.schema_file} no longer matches the Delta table at {path}; "
                "set schema_evolution: add_columns for the dataset to add new fields",
                code="BATCH_SCHEMA_MISMATCH",
                batch_id=batch_id,
            ) from exc
        raise
    return lk.delta_version(spark, path)


def _write_errors(
    spark: SparkSession,
    lake: lk.Lake,
    lines: DataFrame,
    dataset: str,
    batch_id: str,
    recorded_at: datetime,
    *,
    replace: bool = True,
) -> None:
    """Failed records (and warnings of landed ones) to ``system/errors``, with line numbers.

    A line number is the lines of the file's earlier splits plus the line's place in its own split;
    the per-split counts come from the cached frame (one small aggregation). ``lines`` still holds
    the blank and header lines so that they are counted.
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    flagged = lines.where(~F.col("_skip") & (F.col("_failed") | (F.size("_warnings") > 0)))
    line_based = lines.where(F.col("_block").isNotNull())
    blocks = line_based.groupBy("_source_file", "_block").agg(
        F.count(F.lit(1)).alias("_n"), F.min("_row").alias("_first")
    )
    earlier = (
        Window.partitionBy("_source_file")
        .orderBy("_block")
        .rowsBetween(Window.unboundedPreceding, -1)
    )
    blocks = blocks.withColumn("_before", F.coalesce(F.sum("_n").over(earlier), F.lit(0)))
    positioned = flagged.join(blocks, on=["_source_file", "_block"], how="left")
    # _row is a monotonically increasing id: consecutive within a split. Parquet's _row is its row index.
    line = F.when(
        F.col("_block").isNotNull(), F.col("_before") + F.col("_row") - F.col("_first") + 1
    ).otherwise(F.col("_row") + 1)
    out = positioned.select(
        F.lit(batch_id).alias("batch_id"),
        F.lit(dataset).alias("dataset"),
        F.when(F.col("_failed"), F.lit("error")).otherwise(F.lit("warning")).alias("severity"),
        F.when(F.col("_failed"), F.col("_errors")).otherwise(F.col("_warnings")).alias("errors"),
        F.col("_raw").alias("raw"),
        F.col("_source_file").alias("source_file"),
        line.cast("long").alias("line"),
        F.lit(recorded_at).cast("timestamp").alias("recorded_at"),
    )
    if replace:
        lk.write_batch_rows(out, lake.system_path("errors"), [batch_id], id_column="batch_id")
    else:
        lk.append_rows(out, lake.system_path("errors"))


def batch_errors(
    spark: SparkSession,
    cfg: Config,
    batch_id: str,
    *,
    code: str | None = None,
    severity: str | None = "error",
) -> DataFrame:
    """The failed records of a batch, ordered by file and line; optionally one error code only."""
    from pyspark.sql import functions as F

    check_batch_id(batch_id)
    lake = lk.Lake(cfg.lake_root)
    lk.get_batch(spark, lake, batch_id)  # NotFoundError for an unknown batch
    df = lk.read_table(spark, lake.system_path("errors"), lk.ERRORS_DDL).where(
        F.col("batch_id") == batch_id
    )
    if severity:
        df = df.where(F.col("severity") == severity)
    if code:
        df = df.where(F.exists("errors", lambda e: e["code"] == code))
    return df.orderBy("source_file", "line")


def main(argv: list[str] | None = None) -> int:
    """spark-submit entry point: ``jobs/ingest_batch.py [--config F] [--lake L] --dataset D FILE...``."""
    from lakeport import cli

    return cli.main(["ingest", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
