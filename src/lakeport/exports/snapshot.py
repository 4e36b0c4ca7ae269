"""The public exports: a profile snapshot of one merge policy, or one dataset, at one version.

Each call checks its arguments and the source table, reports an export that is complete already
(``status: "exists"``) or refuses a different request for that time (``EXPORT_CONFLICT``), and
otherwise writes and publishes the export (:mod:`lakeport.exports.write`). Every outcome but
``exists`` adds one ``exp_snapshot_*`` / ``exp_dataset_*`` event to ``system/events``.

Example:
    >>> export_snapshot(spark, cfg, "timestamp_ordered", "s3a://bucket/exports", "parquet").mode  # doctest: +SKIP
    'full'
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from lakeport.errors import ErrorCode, ExportError, LakeportError
from lakeport.exports.publish import SUCCESS, export_dir, glob_dirs, read_manifest
from lakeport.exports.request import ExportRequest, check_args
from lakeport.exports.results import ExportResult
from lakeport.exports.write import write_export
from lakeport.lake import fs
from lakeport.lake.clock import stamp, utc_now
from lakeport.lake.delta import is_delta
from lakeport.lake.events import Event, emit
from lakeport.lake.layout import Lake

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from lakeport.config import Config

log = logging.getLogger("lakeport.export")


def export_snapshot(
    spark: SparkSession,
    cfg: Config,
    policy: str,
    target: str,
    fmt: str = "parquet",
    *,
    compression: str | None = None,
    export_time: str | None = None,
    incremental: bool = False,
    csv_arrays: str = "refuse",
    csv_drop: Sequence[str] = (),
) -> ExportResult:
    """Export the profiles of ``policy`` (``<lake>/profiles/<policy>``) at one Delta version.

    Args:
        spark: the session.
        cfg: the loaded config (its lake root locates the profiles table).
        policy: the merge policy whose profile table is exported.
        target: a local directory or any Hadoop URI; the export lands in
            ``<target>/<policy>/exportTime=<export_time>/``.
        fmt: ``parquet``, ``json`` (JSON Lines, nesting kept) or ``csv`` (structs flattened).
        compression: ``gzip``, ``snappy`` (Parquet only) or ``none``; default: Parquet's
            snappy, none for JSON and CSV.
        export_time: ``YYYYMMDDHHMM`` (UTC); default: now, to the minute.
        incremental: export only profiles changed since the previous export (plus removed ids).
        csv_arrays: ``refuse`` (default: array/map columns fail a CSV export) or ``json``.
        csv_drop: column paths (``identities``, ``person.email``) left out of a CSV export.

    Returns:
        The result (``status`` ``exported`` or ``exists``, ``path``, ``mode``, ``row_count``,
        ...); ``to_json()`` is the CLI's summary.

    Raises:
        ExportError: no profile table (``EXPORT_SOURCE_MISSING``, exit 1), CSV cannot hold a
            column (``EXPORT_CSV_NESTED``, ``EXPORT_CSV_NAME_CLASH``), a different export exists
            for that time (``EXPORT_CONFLICT``), Spark failed (``EXPORT_SPARK_FAILURE``, exit 1).
        UsageError: an impossible argument (format, compression, export time, CSV options).
        InvalidNameError: a policy name that cannot be a path.

    Example:
        >>> export_snapshot(spark, cfg, "loyalty_first", "/exports", "json", incremental=True)  # doctest: +SKIP
    """
    lake = Lake(cfg.lake_root)
    path = lake.profiles_path(policy)
    if not is_delta(spark, path):
        raise ExportError(
            f"no profile table for policy {policy!r} at {path}"
            f"{_existing_policies(spark, lake)}; build it first with "
            f"'lakeport profiles build --policy {policy}'",
            code=ErrorCode.EXPORT_SOURCE_MISSING,
            exit_code=1,
        )
    return _export(
        spark,
        cfg,
        "profiles",
        policy,
        path,
        target,
        fmt,
        compression=compression,
        export_time=export_time,
        incremental=incremental,
        csv_arrays=csv_arrays,
        csv_drop=csv_drop,
    )


def export_dataset(
    spark: SparkSession,
    cfg: Config,
    name: str,
    target: str,
    fmt: str = "parquet",
    *,
    compression: str | None = None,
    export_time: str | None = None,
    incremental: bool = False,
    csv_arrays: str = "refuse",
    csv_drop: Sequence[str] = (),
) -> ExportResult:
    """Export dataset ``name`` (``<lake>/datasets/<name>``) at one Delta version.

    Arguments and result as :func:`export_snapshot`; incremental exports hold the rows of the
    batches committed since the previous export, and the manifest lists the batch ids that
    disappeared since (``removedBatchIds``: replaced by a replay).

    Args:
        spark: the session.
        cfg: the loaded config.
        name: a configured dataset.
        target, fmt, compression, export_time, incremental, csv_arrays, csv_drop: as
            :func:`export_snapshot`.

    Returns:
        The result; ``batch_ids`` / ``removed_batch_ids`` are set for an incremental export.

    Raises:
        ConfigError: no dataset of that name is configured.
        ExportError: the dataset has no table yet (``EXPORT_SOURCE_MISSING``, exit 1), and as
            :func:`export_snapshot`.
        UsageError: as :func:`export_snapshot`.

    Example:
        >>> export_dataset(spark, cfg, "purchases", "/exports", "parquet", incremental=True)  # doctest: +SKIP
    """
    cfg.dataset(name)  # a ConfigError with a suggestion for a typo
    path = Lake(cfg.lake_root).dataset_path(name)
    if not is_delta(spark, path):
        raise ExportError(
            f"dataset {name!r} has no table yet at {path}; ingest a batch first "
            f"('lakeport ingest --dataset {name} FILE...')",
            code=ErrorCode.EXPORT_SOURCE_MISSING,
            exit_code=1,
        )
    return _export(
        spark,
        cfg,
        "dataset",
        name,
        path,
        target,
        fmt,
        compression=compression,
        export_time=export_time,
        incremental=incremental,
        csv_arrays=csv_arrays,
        csv_drop=csv_drop,
    )


def _export(
    spark: SparkSession,
    cfg: Config,
    kind: str,
    name: str,
    source_path: str,
    target: str,
    fmt: str,
    *,
    compression: str | None,
    export_time: str | None,
    incremental: bool,
    csv_arrays: str,
    csv_drop: Sequence[str],
) -> ExportResult:
    """Check the request, then report the existing export or write a new one."""
    started = time.monotonic()
    started_at = utc_now()
    fmt, codec, when = check_args(fmt, compression, export_time, csv_arrays, csv_drop)
    request = ExportRequest(
        kind=kind,
        name=name,
        source=fs.qualify(spark, source_path),
        fmt=fmt,
        compression=codec,
        incremental=incremental,
        csv_arrays=csv_arrays,
        csv_drop=tuple(csv_drop),
    )
    base = f"{target.rstrip('/')}/{name}"
    final = export_dir(target, name, when)
    if fs.exists(spark, f"{final}/{SUCCESS}"):
        return _existing(spark, request, final).with_duration(time.monotonic() - started)
    try:
        manifest = write_export(spark, request, base, final, when, source_path)
        result = ExportResult.from_manifest(manifest, fs.qualify(spark, final), "exported")
    except LakeportError as exc:
        _event(spark, cfg, request, when, "failure", started_at, error=exc.code)
        raise
    except Exception as exc:  # Spark, the JVM or the filesystem: nothing was published
        _event(
            spark, cfg, request, when, "failure", started_at, error=ErrorCode.EXPORT_SPARK_FAILURE
        )
        raise ExportError(
            f"export of {kind} {name} to {final} failed: {fs.jvm_message(exc)}; nothing was "
            "published (no _SUCCESS); re-run the same command to retry",
            code=ErrorCode.EXPORT_SPARK_FAILURE,
            exit_code=1,
        ) from exc
    _event(spark, cfg, request, when, "success", started_at, rows=result.row_count)
    return result.with_duration(time.monotonic() - started)


def _existing(spark: SparkSession, request: ExportRequest, final: str) -> ExportResult:
    """A complete export exists for this time: report it if it is the same request.

    Raises:
        ExportError: ``EXPORT_CONFLICT``, naming each field that differs.
    """
    manifest = read_manifest(spark, final)
    asked = request.as_json()
    if manifest.get("request") != asked:
        old = manifest.get("request") or {}
        diff = ", ".join(
            f"{k}={old.get(k)!r} (asked {v!r})" for k, v in asked.items() if old.get(k) != v
        )
        raise ExportError(
            f"{final} is already a complete export with a different request: {diff}; choose "
            "another --export-time, or delete that directory to export it again",
            code=ErrorCode.EXPORT_CONFLICT,
        )
    log.info("%s is complete already (_SUCCESS present); nothing to do", final)
    return ExportResult.from_manifest(manifest, fs.qualify(spark, final), "exists")


def _event(
    spark: SparkSession,
    cfg: Config,
    request: ExportRequest,
    when: str,
    status: str,
    started_at: datetime,
    *,
    rows: int = 0,
    error: ErrorCode | None = None,
) -> None:
    """One ``exp_<snapshot|dataset>_<success|failure>`` event (its write never raises)."""
    kind = "snapshot" if request.kind == "profiles" else "dataset"
    event = Event(
        event_id=f"export:{request.name}:{when}:{status}:{stamp(started_at, '%Y%m%dT%H%M%S%f')}",
        event_type=f"exp_{kind}_{status}",
        batch_id=None,
        dataset=request.name,
        status=status,
        input_format=request.fmt,
        started_at=started_at,
        completed_at=utc_now(),
        success_count=rows,
        failed_count=0,
        error_summary={error.value: 1} if error is not None else {},
    )
    emit(spark, Lake(cfg.lake_root), [event], cfg.events.webhook, strict=False)


def _existing_policies(spark: SparkSession, lake: Lake) -> str:
    """`` (profile tables exist for: a, b)`` for an error message, or ``""`` when there is none."""
    found = [
        d.rstrip("/").rsplit("/", 1)[-1] for d in glob_dirs(spark, f"{lake.profiles_root()}/*")
    ]
    return f" (profile tables exist for: {', '.join(found)})" if found else ""
