"""One export written: pin the version, choose the rows, write them, hash, manifest, publish.

The rows and the manifest are written into a hidden ``_tmp_exportTime=T_<run>/`` next to the
final directory, which is then renamed to ``exportTime=T``; ``_SUCCESS`` comes after the rename.
Crash points (``LAKEPORT_TEST_CRASH_AT``, see :mod:`lakeport.lake.hooks`): ``after_data`` (rows
written, nothing published), ``after_manifest`` (rows and manifest written, nothing published),
``after_publish`` (renamed, no ``_SUCCESS`` yet).

Example:
    >>> manifest = write_export(spark, request, "/exports/demo",  # doctest: +SKIP
    ...                         "/exports/demo/exportTime=202611231000", "202611231000",
    ...                         "/lake/profiles/demo")
    >>> manifest["mode"], manifest["rowCount"]  # doctest: +SKIP
    ('full', 1000)
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from lakeport.exports import changes
from lakeport.exports.changes import PROFILE_KEY, REMOVED_SCRATCH, write_removed
from lakeport.exports.csvframe import csv_frame
from lakeport.exports.formats import write_counted
from lakeport.exports.publish import (
    MANIFEST,
    MANIFEST_VERSION,
    REMOVED_IDS,
    checksums,
    clean_leftovers,
    previous_export,
    previous_ref,
    publish,
    rename,
    tmp_dir,
)
from lakeport.exports.request import export_time_iso
from lakeport.lake import fs
from lakeport.lake.clock import iso, utc_now
from lakeport.lake.delta import delta_version
from lakeport.lake.hooks import checkpoint

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from lakeport.exports.request import ExportRequest

log = logging.getLogger("lakeport.export")

CRASH_STEPS = ("after_data", "after_manifest", "after_publish")


def write_export(
    spark: SparkSession,
    request: ExportRequest,
    base: str,
    final: str,
    when: str,
    source_path: str,
) -> dict[str, Any]:
    """Write and publish one export of ``source_path`` at its latest version; return the manifest.

    What a crashed run of the same export time left is deleted first.

    Args:
        spark: the session.
        request: the checked request.
        base: ``<target>/<name>``, which owns every directory the export writes or deletes.
        final: ``<base>/exportTime=<when>``.
        when: the export time (``YYYYMMDDHHMM``).
        source_path: the source Delta table (it exists: the caller checked).

    Returns:
        The manifest written to ``_manifest.json``.

    Raises:
        ExportError: the CSV cannot hold a column (nothing was written).
        UsageError: a ``--csv-drop`` path that is not a column.
        Exception: whatever Spark or the filesystem raises (nothing was published).

    Example:
        >>> write_export(spark, request, base, final, "202611231000", path)["source"]  # doctest: +SKIP
        {'path': 'file:/lake/profiles/demo', 'version': 3}
    """
    clean_leftovers(spark, base, final, when)
    version = delta_version(spark, source_path)
    assert version is not None  # the callers checked that the table exists
    snapshot = spark.read.format("delta").option("versionAsOf", version).load(source_path)
    previous = previous_export(spark, base, when, request.source)
    change = changes.plan(spark, request, source_path, snapshot, version, previous, base)

    tmp = tmp_dir(base, when)
    csv_columns: list[dict[str, Any]] | None = None
    try:
        data = change.data
        if request.fmt == "csv":
            data, csv_columns = csv_frame(data, arrays=request.csv_arrays, drop=request.csv_drop)
        row_count = write_counted(data, request, tmp)
        checkpoint("after_data")
        removed_part = None
        if change.removed is not None:
            removed_part = write_removed(spark, change.removed, tmp)
    finally:
        change.release()
    data_files = fs.list_files(spark, [tmp])  # visible files: the rows, not _removed_tmp
    # one hashing job for all files; binaryFile skips _names, so the removed ids are hashed
    # in their scratch directory and moved into place afterwards
    sums = checksums(spark, [*data_files, *([removed_part[0]] if removed_part else [])])
    files = sorted(sums[: len(data_files)], key=lambda e: e["path"])
    removed_info = None
    if removed_part is not None:
        rename(spark, removed_part[0].path, f"{tmp}/{REMOVED_IDS}")
        fs.delete(spark, f"{tmp}/{REMOVED_SCRATCH}", within=base)
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
        "exportTimeIso": export_time_iso(when),
        "createdAt": iso(utc_now()),
        "source": {"path": request.source, "version": version},
        "mode": change.mode,
        "modeReason": change.reason,
        "incrementalTo": previous_ref(previous) if change.mode == "incremental" else None,
        "format": request.fmt,
        "compression": request.compression,
        "rowCount": row_count,
        "schema": data.schema.jsonValue(),
        "files": files,
        **({"csv": {"arrays": request.csv_arrays, "columns": csv_columns}} if csv_columns else {}),
        **({"removed": removed_info} if removed_info else {}),
        **change.extra,
        "request": request.as_json(),
    }
    fs.write_text(spark, f"{tmp}/{MANIFEST}", json.dumps(manifest, indent=2) + "\n")
    publish(spark, tmp, final, base)
    log.info(
        "exported %s %s (%s, %d rows) to %s",
        request.kind,
        request.name,
        change.mode,
        row_count,
        final,
    )
    return manifest
