"""Profile snapshot exports and dataset exports: one pinned Delta version -> Parquet, JSON Lines or CSV.

An export of policy (or dataset) ``N`` at minute ``T`` lands in ``<target>/<N>/exportTime=T/``::

    part-*.parquet | part-*.json[.gz] | part-*.csv[.gz]   the rows
    _removed_ids.jsonl                                    incremental profile exports only
    _manifest.json                                        source path + version, rows, schema, files
    _SUCCESS                                              written last: the export is complete

Crash safety: the rows and the manifest are written into a hidden sibling
``<target>/<N>/_tmp_exportTime=T_<run>/``, which is then renamed to ``exportTime=T``; ``_SUCCESS``
is written after the rename. A reader that waits for ``_SUCCESS`` never sees partial data, and a
re-run of the same export time deletes what a crashed run left behind before writing again.
Idempotency: when ``exportTime=T/_SUCCESS`` exists, a re-run with the same request reports the
existing export and writes nothing (``status: "exists"``); a different request for the same time
(other format, compression, mode or CSV options) is refused with ``EXPORT_CONFLICT``.

Incremental mode (``incremental=True``) exports only what changed since the previous complete
export of the same target and name (the latest ``exportTime`` before ``T`` with ``_SUCCESS``):

* profiles: the Change Data Feed from the previous export's source version + 1 to the pinned
  version gives the changed profile ids (their rows are taken from the pinned snapshot) and the
  removed ids (existed before, deleted since, not re-inserted), written to ``_removed_ids.jsonl``;
* datasets (no CDF): the batches present at the pinned version whose ``_batch_id`` was not in the
  table at the previous export's version (a time-travel read of ``_batch_id`` only), and, in the
  manifest, the batch ids that disappeared (replaced by a replay).

When there is no previous export, or the change feed / the old version cannot be read (CDF off,
vacuumed, log expired), the export is full and the manifest's ``modeReason`` says why.

Example:
    >>> export_snapshot(spark, cfg, "timestamp_ordered", "s3a://bucket/exports", "parquet")
    {'status': 'exported', 'mode': 'full', 'rowCount': 1000, ...}
    >>> export_dataset(spark, cfg, "loyalty", "/exports", "csv", compression="gzip",
    ...                incremental=True)
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from lakeport.errors import LakeportError, UsageError
from lakeport.storage import fs
from lakeport.storage import lake as lk

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession
    from pyspark.sql import types as T

    from lakeport.config import Config

log = logging.getLogger("lakeport.export")

FORMATS = ("parquet", "json", "csv")
COMPRESSIONS = ("gzip", "snappy", "none")
CSV_ARRAYS = ("refuse", "json")
PROFILE_KEY = "profile_id"
BATCH_KEY = "_batch_id"
MANIFEST = "_manifest.json"
SUCCESS = "_SUCCESS"
REMOVED_IDS = "_removed_ids.jsonl"
MANIFEST_VERSION = 1
# microseconds and an offset: the Spark defaults keep milliseconds only, which would lose data
TIMESTAMP_FORMAT = "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX"
TIMESTAMP_NTZ_FORMAT = "yyyy-MM-dd'T'HH:mm:ss.SSSSSS"
# RFC 4180 quoting (a quote inside a value is doubled) and values kept byte for byte: Spark's CSV
# writer would otherwise escape with a backslash and trim leading/trailing spaces.
CSV_OPTIONS = {
    "header": "true",
    "quote": '"',
    "escape": '"',
    "ignoreLeadingWhiteSpace": "false",
    "ignoreTrailingWhiteSpace": "false",
    "timestampFormat": TIMESTAMP_FORMAT,
    "timestampNTZFormat": TIMESTAMP_NTZ_FORMAT,
}
JSON_OPTIONS = {"timestampFormat": TIMESTAMP_FORMAT, "timestampNTZFormat": TIMESTAMP_NTZ_FORMAT}

# Test-only crash injection. LAKEPORT_TEST_CRASH_AT=<step> makes the process exit at once
# (os._exit, no cleanup, no finally blocks) at that step, as a killed driver would:
#   after_data      rows written into the temporary directory, nothing published
#   after_manifest  rows and _manifest.json written, nothing published
#   after_publish   the directory renamed to exportTime=T, _SUCCESS not yet written
# tests/e2e/test_export_cli.py kills a real CLI subprocess this way and checks the re-run.
CRASH_ENV = "LAKEPORT_TEST_CRASH_AT"
CRASH_EXIT_CODE = 86
CRASH_STEPS = ("after_data", "after_manifest", "after_publish")
_exit = os._exit  # a module attribute so an in-process test can intercept the exit


class ExportError(LakeportError):
    """An export cannot be done as asked (the message says what to change).

    Exit code 2 for requests that can never work (CSV cannot hold a column, a conflicting
    export exists), 1 for a missing source table.
    """

    def __init__(self, message: str, *, code: str, exit_code: int = 2) -> None:
        super().__init__(message, code=code)
        self.exit_code = exit_code


@dataclass(frozen=True)
class _Request:
    """What was asked; two runs with equal requests for one export time are the same export."""

    kind: str  # "profiles" | "dataset"
    name: str
    source: str  # qualified source table path
    fmt: str
    compression: str
    incremental: bool
    csv_arrays: str
    csv_drop: tuple[str, ...] = field(default_factory=tuple)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "name": self.name,
            "source": self.source,
            "format": self.fmt,
            "compression": self.compression,
            "incremental": self.incremental,
        }
        if self.fmt == "csv":
            out["csvArrays"] = self.csv_arrays
            out["csvDrop"] = list(self.csv_drop)
        return out


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


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
) -> dict[str, Any]:
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
        The summary (``status`` ``exported`` or ``exists``, ``path``, ``mode``, ``rowCount``, ...).

    Raises:
        ExportError: no profile table (``EXPORT_SOURCE_MISSING``), CSV cannot hold a column
            (``EXPORT_CSV_NESTED``, ``EXPORT_CSV_NAME_CLASH``), a different export exists for
            that time (``EXPORT_CONFLICT``).
        UsageError: an impossible argument (format, compression, export time).

    Example:
        >>> export_snapshot(spark, cfg, "loyalty_first", "/exports", "json", incremental=True)
    """
    path = profiles_path(cfg, policy)
    if not lk.is_delta(spark, path):
        raise ExportError(
            f"no profile table for policy {policy!r} at {path}"
            f"{_existing_policies(spark, cfg)}; build it first with "
            f"'lakeport profiles build --policy {policy}'",
            code="EXPORT_SOURCE_MISSING",
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
) -> dict[str, Any]:
    """Export dataset ``name`` (``<lake>/datasets/<name>``) at one Delta version.

    Arguments and result as :func:`export_snapshot`; incremental exports hold the rows of the
    batches committed since the previous export, and the manifest lists the batch ids that
    disappeared since (``removedBatchIds``: replaced by a replay).

    Raises:
        ConfigError: no dataset of that name is configured.
        ExportError, UsageError: as :func:`export_snapshot`.

    Example:
        >>> export_dataset(spark, cfg, "purchases", "/exports", "parquet", incremental=True)
    """
    cfg.dataset(name)  # a ConfigError with a suggestion for a typo
    path = lk.Lake(cfg.lake_root).dataset_path(name)
    if not lk.is_delta(spark, path):
        raise ExportError(
            f"dataset {name!r} has no table yet at {path}; ingest a batch first "
            f"('lakeport ingest --dataset {name} FILE...')",
            code="EXPORT_SOURCE_MISSING",
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


def profiles_path(cfg: Config, policy: str) -> str:
    """``<lake>/profiles/<policy>``, the profile table of one merge policy."""
    return f"{cfg.lake_root.rstrip('/')}/profiles/{policy}"


def export_dir(target: str, name: str, export_time: str) -> str:
    """``<target>/<name>/exportTime=<export_time>``."""
    return f"{target.rstrip('/')}/{name}/exportTime={export_time}"


def read_manifest(spark: SparkSession, directory: str) -> dict[str, Any]:
    """The ``_manifest.json`` of an export directory."""
    return dict(json.loads(fs.head(spark, f"{directory}/{MANIFEST}", 1 << 26).decode("utf-8")))


def csv_frame(
    df: DataFrame, *, arrays: str = "refuse", drop: Sequence[str] = ()
) -> tuple[DataFrame, list[dict[str, Any]]]:
    """``df`` with structs flattened for CSV, and the column map (name, source path, encoding).

    ``person.firstName`` becomes ``person_firstName`` (path parts joined with ``_``); arrays and
    maps become JSON strings with ``arrays="json"`` and are refused otherwise; ``drop`` names
    paths to leave out (a struct path drops all its fields).

    Raises:
        ExportError: ``EXPORT_CSV_NESTED`` naming each array/map column and the flags that help,
            ``EXPORT_CSV_NAME_CLASH`` when two paths flatten to one name (case-insensitive).
        UsageError: a ``drop`` path that is not a column.

    Example:
        >>> flat, columns = csv_frame(profiles, arrays="json", drop=["_provenance"])
    """
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    wanted = {d.strip() for d in drop}
    used: set[str] = set()
    out: list[tuple[str, str, Column, str | None]] = []
    nested: list[str] = []

    def walk(schema: T.StructType, prefix: list[str], parent: Column | None) -> None:
        for f in schema.fields:
            path = [*prefix, f.name]
            dotted = ".".join(path)
            if dotted in wanted:
                used.add(dotted)
                continue
            col = F.col(f"`{f.name}`") if parent is None else parent.getField(f.name)
            if isinstance(f.dataType, T.StructType):
                walk(f.dataType, path, col)
            elif isinstance(f.dataType, (T.ArrayType, T.MapType)):
                if arrays == "json":
                    out.append(("_".join(path), dotted, F.to_json(col, JSON_OPTIONS), "json"))
                else:
                    nested.append(f"{dotted} ({f.dataType.simpleString()})")
            else:
                out.append(("_".join(path), dotted, col, None))

    walk(df.schema, [], None)
    unknown = sorted(wanted - used)
    if unknown:
        raise UsageError(
            f"--csv-drop {', '.join(unknown)}: no such column; columns are "
            f"{', '.join(_paths(df.schema))}"
        )
    if nested:
        names = [n.split(" ", 1)[0] for n in nested]
        raise ExportError(
            f"CSV cannot hold the array/map column(s) {', '.join(nested)}: pass --csv-arrays json "
            "to write them as JSON strings, or "
            + " ".join(f"--csv-drop {n}" for n in names)
            + " to leave them out (or use --format json or parquet, which keep nesting)",
            code="EXPORT_CSV_NESTED",
        )
    seen: dict[str, str] = {}
    for name, dotted, _, _ in out:
        other = seen.get(name.lower())
        if other is not None:
            raise ExportError(
                f"CSV column name {name!r} would come from both {other} and {dotted}: "
                f"leave one out with --csv-drop {dotted} (or --csv-drop {other})",
                code="EXPORT_CSV_NAME_CLASH",
            )
        seen[name.lower()] = dotted
    flat = df.select(*[col.alias(name) for name, _, col, _ in out])
    columns = [
        {"name": name, "path": dotted, **({"encoding": enc} if enc else {})}
        for name, dotted, _, enc in out
    ]
    return flat, columns


# --------------------------------------------------------------------------------------------
# The export
# --------------------------------------------------------------------------------------------


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
) -> dict[str, Any]:
    started = time.monotonic()
    started_at = lk.utc_now()
    fmt, codec, when = _check_args(fmt, compression, export_time, csv_arrays, csv_drop)
    request = _Request(
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
        return _existing(spark, request, final, when, started)
    try:
        summary = _write_export(spark, request, base, final, when, source_path)
    except LakeportError as exc:
        _event(spark, cfg, request, when, "failure", started_at, error=exc.code)
        raise
    except Exception as exc:
        _event(spark, cfg, request, when, "failure", started_at, error="EXPORT_SPARK_FAILURE")
        raise ExportError(
            f"export of {kind} {name} to {final} failed: {fs.jvm_message(exc)}; nothing was "
            "published (no _SUCCESS); re-run the same command to retry",
            code="EXPORT_SPARK_FAILURE",
            exit_code=1,
        ) from exc
    _event(spark, cfg, request, when, "success", started_at, rows=summary["rowCount"])
    summary["durationSeconds"] = round(time.monotonic() - started, 2)
    return summary


def _check_args(
    fmt: str,
    compression: str | None,
    export_time: str | None,
    csv_arrays: str,
    csv_drop: Sequence[str],
) -> tuple[str, str, str]:
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt}: use one of {', '.join(FORMATS)}")
    codec = (compression or ("snappy" if fmt == "parquet" else "none")).lower()
    if codec not in COMPRESSIONS:
        raise UsageError(f"--compression {compression}: use gzip or none (or snappy for parquet)")
    if codec == "snappy" and fmt != "parquet":
        raise UsageError(f"--compression snappy applies to parquet only; use gzip for {fmt}")
    if csv_arrays not in CSV_ARRAYS:
        raise UsageError(f"--csv-arrays {csv_arrays}: use refuse or json")
    if fmt != "csv" and (csv_drop or csv_arrays != "refuse"):
        raise UsageError(
            f"--csv-arrays/--csv-drop apply to --format csv only ({fmt} keeps nesting)"
        )
    if export_time is None:
        when = datetime.now(timezone.utc).strftime("%Y%m%d%H%M")
    else:
        when = export_time.strip()
        valid = re.fullmatch(r"\d{12}", when) is not None
        if valid:
            try:
                datetime.strptime(when, "%Y%m%d%H%M")
            except ValueError:
                valid = False
        if not valid:
            raise UsageError(
                f"--export-time {export_time!r}: expected YYYYMMDDHHMM in UTC, e.g. "
                f"{datetime.now(timezone.utc):%Y%m%d%H%M}"
            )
    return fmt, codec, when


def _existing(
    spark: SparkSession, request: _Request, final: str, when: str, started: float
) -> dict[str, Any]:
    """A complete export exists for this time: report it if it is the same request."""
    manifest = read_manifest(spark, final)
    if manifest.get("request") != request.as_json():
        old = manifest.get("request") or {}
        diff = ", ".join(
            f"{k}={old.get(k)!r} (asked {v!r})"
            for k, v in request.as_json().items()
            if old.get(k) != v
        )
        raise ExportError(
            f"{final} is already a complete export with a different request: {diff}; choose "
            "another --export-time, or delete that directory to export it again",
            code="EXPORT_CONFLICT",
        )
    log.info("%s is complete already (_SUCCESS present); nothing to do", final)
    return {
        **_summary(manifest, fs.qualify(spark, final)),
        "status": "exists",
        "durationSeconds": round(time.monotonic() - started, 2),
    }


def _write_export(
    spark: SparkSession, request: _Request, base: str, final: str, when: str, source_path: str
) -> dict[str, Any]:
    from pyspark.sql import Observation
    from pyspark.sql import functions as F

    _clean_leftovers(spark, base, final, when)
    version = lk.delta_version(spark, source_path)
    assert version is not None  # the callers checked that the table exists
    snapshot = spark.read.format("delta").option("versionAsOf", version).load(source_path)
    previous = _previous_export(spark, base, when, request.source)

    mode, data, removed, extra = "full", snapshot, None, {}
    cached: list[DataFrame] = []
    if not request.incremental:
        reason = "full export requested"
    elif previous is None:
        reason = f"first export: no earlier complete export under {base}"
    elif int(previous["source"]["version"]) > version:
        reason = (
            f"fell back to full: the previous export read version {previous['source']['version']}, "
            f"newer than the table's {version} (was the table re-created?)"
        )
    elif request.kind == "profiles":
        changes, reason = _profile_changes(
            spark, source_path, int(previous["source"]["version"]), version
        )
        if changes is not None:
            mode = "incremental"
            cached.append(changes)
            changed = changes.where(F.col("present")).select(PROFILE_KEY)
            data = snapshot.join(changed, PROFILE_KEY, "left_semi").select(snapshot.columns)
            removed = changes.where(F.col("existed") & ~F.col("present")).select(PROFILE_KEY)
    else:
        batches, reason = _batch_changes(
            spark, source_path, snapshot, int(previous["source"]["version"])
        )
        if batches is not None:
            mode = "incremental"
            prev_ids, added, gone = batches
            cached.append(prev_ids)
            # a join on a column name puts that column first: keep the table's order
            data = snapshot.join(prev_ids, BATCH_KEY, "left_anti").select(snapshot.columns)
            extra = {"batchIds": added, "removedBatchIds": gone}

    csv_columns: list[dict[str, Any]] | None = None
    if request.fmt == "csv":
        data, csv_columns = csv_frame(data, arrays=request.csv_arrays, drop=request.csv_drop)

    tmp = f"{base}/_tmp_exportTime={when}_{uuid.uuid4().hex[:8]}"
    try:
        seen = Observation("export")
        # counted while written: one pass over the source, not two
        _writer(data.observe(seen, F.count(F.lit(1)).alias("rows")), request).save(tmp)
        row_count = _observed(seen, data)
        _crash_point("after_data")
        removed_part = _write_removed(spark, removed, tmp) if removed is not None else None
    finally:
        for frame in cached:
            frame.unpersist()
    data_files = fs.list_files(spark, [tmp])  # visible files: the rows, not _removed_tmp
    # one hashing job for all files; binaryFile skips _names, so the removed ids are hashed
    # in their scratch directory and moved into place afterwards
    sums = _checksums(spark, [*data_files, *([removed_part[0]] if removed_part else [])])
    files = sorted(sums[: len(data_files)], key=lambda e: e["path"])
    removed_info = None
    if removed_part is not None:
        _rename(spark, removed_part[0].path, f"{tmp}/{REMOVED_IDS}")
        fs.delete(spark, f"{tmp}/_removed_tmp", within=tmp)
        removed_info = {
            "file": REMOVED_IDS,
            "key": PROFILE_KEY,
            "count": removed_part[1],
            "size": sums[-1]["size"],
            "sha256": sums[-1]["sha256"],
        }
    manifest: dict[str, Any] = {
        "manifestVersion": MANIFEST_VERSION,
        "kind": request.kind,
        "name": request.name,
        "exportTime": when,
        "exportTimeIso": datetime.strptime(when, "%Y%m%d%H%M").strftime("%Y-%m-%dT%H:%MZ"),
        "createdAt": _iso(lk.utc_now()),
        "source": {"path": request.source, "version": version},
        "mode": mode,
        "modeReason": reason,
        "incrementalTo": _prev_ref(previous) if mode == "incremental" else None,
        "format": request.fmt,
        "compression": request.compression,
        "rowCount": row_count,
        "schema": data.schema.jsonValue(),
        "files": files,
        **({"csv": {"arrays": request.csv_arrays, "columns": csv_columns}} if csv_columns else {}),
        **({"removed": removed_info} if removed_info else {}),
        **extra,
        "request": request.as_json(),
    }
    fs.write_text(spark, f"{tmp}/{MANIFEST}", json.dumps(manifest, indent=2) + "\n")
    _crash_point("after_manifest")
    if fs.exists(spark, final):  # an incomplete directory published since the clean-up above
        fs.delete(spark, final, within=base)
    _rename(spark, tmp, final)
    _crash_point("after_publish")
    fs.write_text(spark, f"{final}/{SUCCESS}", "")
    log.info(
        "exported %s %s (%s, %d rows) to %s", request.kind, request.name, mode, row_count, final
    )
    return {**_summary(manifest, fs.qualify(spark, final)), "status": "exported"}


def _writer(data: DataFrame, request: _Request) -> Any:
    writer = (
        data.write.format(request.fmt)
        .mode("errorifexists")
        # our _SUCCESS comes last, after the rename; Spark's own would be written too early
        .option("mapreduce.fileoutputcommitter.marksuccessfuljobs", "false")
        .option("compression", request.compression)
    )
    if request.fmt == "json":
        writer = writer.options(**JSON_OPTIONS)
    elif request.fmt == "csv":
        writer = writer.options(**CSV_OPTIONS)
    return writer


def _profile_changes(
    spark: SparkSession, path: str, prev_version: int, version: int
) -> tuple[DataFrame | None, str]:
    """Per changed profile id: ``present`` (in the pinned snapshot), ``existed`` (at the previous
    export). None and the reason when the change feed cannot be read for that range."""
    from pyspark.sql import functions as F

    if prev_version == version:
        empty = spark.createDataFrame([], f"{PROFILE_KEY} string, present boolean, existed boolean")
        return empty, f"incremental to version {prev_version}: the table has not changed since"
    props = spark.sql(f"DESCRIBE DETAIL delta.`{path}`").select("properties").first()
    cdf_on = ((props[0] if props else None) or {}).get("delta.enableChangeDataFeed", "false")
    if cdf_on.lower() != "true":
        return None, (
            "fell back to full: the profile table has no Change Data Feed "
            "(delta.enableChangeDataFeed is not true)"
        )
    cdf = (
        spark.read.format("delta")
        .option("readChangeFeed", "true")
        .option("startingVersion", prev_version + 1)
        .option("endingVersion", version)
        .load(path)
    )
    if PROFILE_KEY not in cdf.columns:
        return None, f"fell back to full: the profile table has no {PROFILE_KEY} column"
    # Within one commit a delete/pre-image comes before an insert/post-image of the same key.
    after = F.when(F.col("_change_type").isin("insert", "update_postimage"), 1).otherwise(0)
    event = F.struct(
        F.col("_commit_version").alias("v"), after.alias("a"), F.col("_change_type").alias("t")
    )
    keys = (
        cdf.groupBy(PROFILE_KEY)
        .agg(F.min(event).alias("first"), F.max(event).alias("last"))
        .select(
            PROFILE_KEY,
            F.col("last.t").isin("insert", "update_postimage").alias("present"),
            (F.col("first.t") != "insert").alias("existed"),
        )
        .where("present OR existed")  # inserted and deleted between two exports: never seen
    )
    try:
        keys = keys.cache()
        n = keys.count()  # reads the feed now, so a vacuumed range falls back before any write
    except Exception as exc:  # AnalysisException, SparkException: CDF not available
        keys.unpersist()
        return None, (
            f"fell back to full: the change data feed for versions {prev_version + 1}..{version} "
            f"cannot be read ({fs.jvm_message(exc)})"
        )
    return keys, f"incremental to version {prev_version}: {n} profile ids changed or removed"


def _batch_changes(
    spark: SparkSession, path: str, snapshot: DataFrame, prev_version: int
) -> tuple[tuple[DataFrame, list[str], list[str]] | None, str]:
    """The batch ids at the previous version, the ones added since and the ones gone since."""
    try:
        prev_ids = (
            spark.read.format("delta")
            .option("versionAsOf", prev_version)
            .load(path)
            .select(BATCH_KEY)
            .distinct()
            .cache()
        )
        prev_ids.count()
    except Exception as exc:  # vacuumed files or an expired log: time travel impossible
        return None, (
            f"fell back to full: version {prev_version} of the dataset cannot be read "
            f"({fs.jvm_message(exc)})"
        )
    now_ids = snapshot.select(BATCH_KEY).distinct()
    added = sorted(
        r[0] for r in now_ids.join(prev_ids, BATCH_KEY, "left_anti").collect()
    )  # batch ids, not rows: small
    gone = sorted(r[0] for r in prev_ids.join(now_ids, BATCH_KEY, "left_anti").collect())
    reason = f"incremental to version {prev_version}: {len(added)} new batch(es)"
    if gone:
        reason += f", {len(gone)} batch(es) replaced"
    return (prev_ids, added, gone), reason


def _write_removed(spark: SparkSession, removed: DataFrame, tmp: str) -> tuple[fs.FileInfo, int]:
    """The removed ids as one JSON Lines file (``{"profile_id": ...}``, sorted) in a scratch
    directory of the export; returns that file and the number of ids."""
    from pyspark.sql import Observation
    from pyspark.sql import functions as F

    scratch = f"{tmp}/_removed_tmp"
    seen = Observation("removed")
    (
        removed.observe(seen, F.count(F.lit(1)).alias("rows"))
        .repartition(1)
        .sortWithinPartitions(PROFILE_KEY)
        .write.mode("errorifexists")
        .option("mapreduce.fileoutputcommitter.marksuccessfuljobs", "false")
        .json(scratch)
    )
    parts = fs.list_files(spark, [scratch])
    if not parts:  # an empty frame may leave no part file
        fs.write_text(spark, f"{scratch}/part-empty.json", "")
        parts = fs.list_files(spark, [scratch])
    return parts[0], _observed(seen, removed)


def _observed(seen: Any, df: DataFrame) -> int:
    """The row count observed while ``df`` was written.

    A plan that Spark proves empty (an empty change set) runs no task and reports no metrics;
    counting it again is then free.
    """
    try:
        return int(seen.get["rows"])
    except Exception:  # Py4JJavaError "assertion failed" from an empty metrics row
        return int(df.count())


def _checksums(spark: SparkSession, files: list[fs.FileInfo]) -> list[dict[str, Any]]:
    """``{path (file name), size, sha256}`` per file, hashed by Spark next to the data."""
    from pyspark.sql import functions as F

    digests = {f.path: hashlib.sha256(b"").hexdigest() for f in files if f.size == 0}
    # binaryFile never yields 0-byte files (Spark drops them when planning the scan)
    non_empty = [f.path for f in files if f.size > 0]
    if non_empty:
        rows = (
            spark.read.format("binaryFile")
            .load(non_empty)
            .select("path", F.sha2("content", 256).alias("sha256"))
            .collect()
        )
        by_name = {r["path"].rsplit("/", 1)[-1]: r["sha256"] for r in rows}
        for path in non_empty:
            digests[path] = by_name[path.rsplit("/", 1)[-1]]
    return [
        {"path": f.path.rsplit("/", 1)[-1], "size": f.size, "sha256": digests[f.path]}
        for f in files
    ]


# --------------------------------------------------------------------------------------------
# Directories: previous exports, leftovers, rename
# --------------------------------------------------------------------------------------------


def _hadoop(spark: SparkSession, path: str) -> tuple[Any, Any]:
    jvm = spark.sparkContext._jvm
    assert jvm is not None
    jpath = jvm.org.apache.hadoop.fs.Path(path)
    return jpath, jpath.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())


def _glob_dirs(spark: SparkSession, pattern: str) -> list[str]:
    jpath, hfs = _hadoop(spark, pattern)
    statuses = hfs.globStatus(jpath)
    if statuses is None:
        return []
    return sorted(str(s.getPath().toString()) for s in statuses if s.isDirectory())


def _rename(spark: SparkSession, src: str, dst: str) -> None:
    sp, hfs = _hadoop(spark, src)
    dp, _ = _hadoop(spark, dst)
    if not hfs.rename(sp, dp):
        raise OSError(f"rename {src} -> {dst} failed")


def _clean_leftovers(spark: SparkSession, base: str, final: str, when: str) -> None:
    """Delete what a crashed run of this export time left: its temporary directories and an
    ``exportTime=T`` directory without ``_SUCCESS``."""
    for leftover in _glob_dirs(spark, f"{base}/_tmp_exportTime={when}_*"):
        log.warning("removing %s, left by an interrupted export", leftover)
        fs.delete(spark, leftover, within=base)
    if fs.exists(spark, final) and not fs.exists(spark, f"{final}/{SUCCESS}"):
        log.warning("removing %s: published without _SUCCESS by an interrupted export", final)
        fs.delete(spark, final, within=base)


def _previous_export(
    spark: SparkSession, base: str, when: str, source: str
) -> dict[str, Any] | None:
    """The manifest of the latest complete export before ``when`` of the same source table."""
    candidates = []
    for d in _glob_dirs(spark, f"{base}/exportTime=*"):
        t = d.rsplit("exportTime=", 1)[-1]
        if re.fullmatch(r"\d{12}", t) and t < when and fs.exists(spark, f"{d}/{SUCCESS}"):
            candidates.append((t, d))
    for _t, d in sorted(candidates, reverse=True):
        manifest = read_manifest(spark, d)
        if manifest.get("source", {}).get("path") == source:
            manifest["_dir"] = d
            return manifest
        log.warning("ignoring %s: it exports %s, not %s", d, manifest.get("source"), source)
    return None


def _prev_ref(previous: dict[str, Any] | None) -> dict[str, Any] | None:
    if previous is None:
        return None
    return {
        "exportTime": previous["exportTime"],
        "path": previous["_dir"],
        "sourceVersion": previous["source"]["version"],
    }


# --------------------------------------------------------------------------------------------
# Summary, events, crash points
# --------------------------------------------------------------------------------------------


def _summary(manifest: dict[str, Any], path: str) -> dict[str, Any]:
    removed = manifest.get("removed") or {}
    out = {
        "kind": manifest["kind"],
        "name": manifest["name"],
        "exportTime": manifest["exportTime"],
        "path": path,
        "format": manifest["format"],
        "compression": manifest["compression"],
        "mode": manifest["mode"],
        "modeReason": manifest["modeReason"],
        "incrementalTo": manifest.get("incrementalTo"),
        "sourceVersion": manifest["source"]["version"],
        "rowCount": manifest["rowCount"],
        "fileCount": len(manifest["files"]),
        "byteSize": sum(f["size"] for f in manifest["files"]),
    }
    if manifest["kind"] == "profiles" and manifest["mode"] == "incremental":
        out["removedCount"] = removed.get("count", 0)
    if "batchIds" in manifest:
        out["batchIds"] = manifest["batchIds"]
        out["removedBatchIds"] = manifest["removedBatchIds"]
    return out


def _event(
    spark: SparkSession,
    cfg: Config,
    request: _Request,
    when: str,
    status: str,
    started_at: datetime,
    *,
    rows: int = 0,
    error: str | None = None,
) -> None:
    """One ``exp_<kind>_success`` / ``_failure`` row in system/events (never raises)."""
    kind = "snapshot" if request.kind == "profiles" else "dataset"
    event = {
        "event_id": f"export:{request.name}:{when}:{status}:{started_at:%Y%m%dT%H%M%S%f}",
        "event_type": f"exp_{kind}_{status}",
        "batch_id": None,
        "dataset": request.name,
        "status": status,
        "input_format": request.fmt,
        "started_at": started_at,
        "completed_at": lk.utc_now(),
        "success_count": rows,
        "failed_count": 0,
        "error_summary": {error: 1} if error else {},
        "emitted_at": lk.utc_now(),
    }
    try:
        lk.emit_event(spark, lk.Lake(cfg.lake_root), event)
    except Exception as exc:  # the export itself is done (or failed for its own reason)
        log.warning("could not write the export event to system/events: %s", fs.jvm_message(exc))


def _crash_point(step: str) -> None:
    if os.environ.get(CRASH_ENV) == step:
        sys.stderr.write(f"lakeport: {CRASH_ENV}={step}: exiting now (test crash)\n")
        sys.stderr.flush()
        _exit(CRASH_EXIT_CODE)


def _existing_policies(spark: SparkSession, cfg: Config) -> str:
    found = [d.rstrip("/").rsplit("/", 1)[-1] for d in _glob_dirs(spark, profiles_path(cfg, "*"))]
    return f" (profile tables exist for: {', '.join(found)})" if found else ""


def _paths(schema: T.StructType, prefix: str = "") -> list[str]:
    from pyspark.sql import types as T

    out = []
    for f in schema.fields:
        out.append(prefix + f.name)
        if isinstance(f.dataType, T.StructType):
            out.extend(_paths(f.dataType, prefix + f.name + "."))
    return out


def _iso(value: datetime) -> str:
    return value.replace(tzinfo=timezone.utc).isoformat().replace("+00:00", "Z")


def main(argv: list[str] | None = None) -> int:
    """spark-submit entry point: ``jobs/export_snapshot.py [snapshot|dataset] [--config F] ...``.

    ``snapshot`` is the default action: ``jobs/export_snapshot.py --policy P --target T --format F``.
    """
    from lakeport import cli

    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] not in ("snapshot", "dataset"):
        args = ["snapshot", *args]
    return cli.main(["export", *args])


if __name__ == "__main__":
    sys.exit(main())
