"""The directories of an export: leftovers, the previous export, checksums, the atomic publish.

``<target>/<name>/`` holds one ``exportTime=T/`` per complete or interrupted export and, while a
run writes, its hidden ``_tmp_exportTime=T_<run>/``. A run renames its temporary directory to
``exportTime=T`` and writes ``_SUCCESS`` after the rename; every delete stays inside
``<target>/<name>/`` (:func:`lakeport.lake.fs.delete` refuses anything else).

Example:
    >>> clean_leftovers(spark, "/exports/demo", export_dir("/exports", "demo", "202611231000"),  # doctest: +SKIP
    ...                 "202611231000")
    >>> publish(spark, tmp, "/exports/demo/exportTime=202611231000", "/exports/demo")  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from typing import TYPE_CHECKING, Any

from lakeport.exports.request import is_export_time
from lakeport.lake import fs
from lakeport.lake.hooks import checkpoint

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger("lakeport.export")

MANIFEST = "_manifest.json"
SUCCESS = "_SUCCESS"
REMOVED_IDS = "_removed_ids.jsonl"
MANIFEST_VERSION = 1
_MANIFEST_MAX_BYTES = 1 << 26


def export_dir(target: str, name: str, export_time: str) -> str:
    """``<target>/<name>/exportTime=<export_time>``, where one export is published.

    Example:
        >>> export_dir("s3a://bucket/exports/", "demo", "202611231000")
        's3a://bucket/exports/demo/exportTime=202611231000'
    """
    return f"{target.rstrip('/')}/{name}/exportTime={export_time}"


def tmp_dir(base: str, export_time: str) -> str:
    """A fresh hidden ``<base>/_tmp_exportTime=<export_time>_<run>`` for one run's files.

    Example:
        >>> tmp_dir("/exports/demo", "202611231000")  # doctest: +SKIP
        '/exports/demo/_tmp_exportTime=202611231000_3f9c2a1b'
    """
    return f"{base}/_tmp_exportTime={export_time}_{uuid.uuid4().hex[:8]}"


def read_manifest(spark: SparkSession, directory: str) -> dict[str, Any]:
    """The ``_manifest.json`` of an export directory.

    Args:
        spark: the session (its Hadoop configuration reads the file).
        directory: an ``exportTime=T`` directory.

    Returns:
        The manifest as a dict.

    Raises:
        OSError: the manifest cannot be read.

    Example:
        >>> read_manifest(spark, "/exports/demo/exportTime=202611231000")["rowCount"]  # doctest: +SKIP
        1000
    """
    raw = fs.head(spark, f"{directory}/{MANIFEST}", _MANIFEST_MAX_BYTES)
    return dict(json.loads(raw.decode("utf-8")))


def glob_dirs(spark: SparkSession, pattern: str) -> list[str]:
    """The directories matching a Hadoop glob, qualified and sorted (files are left out).

    Example:
        >>> glob_dirs(spark, "/exports/demo/exportTime=*")  # doctest: +SKIP
        ['file:/exports/demo/exportTime=202611230900', 'file:/exports/demo/exportTime=202611231000']
    """
    jpath, hfs = _hadoop(spark, pattern)
    statuses = hfs.globStatus(jpath)
    if statuses is None:
        return []
    return sorted(str(s.getPath().toString()) for s in statuses if s.isDirectory())


def rename(spark: SparkSession, src: str, dst: str) -> None:
    """Rename a file or directory (atomic on HDFS and local filesystems).

    Raises:
        OSError: the filesystem refused the rename.

    Example:
        >>> rename(spark, f"{tmp}/part-00000.json", f"{tmp}/_removed_ids.jsonl")  # doctest: +SKIP
    """
    sp, hfs = _hadoop(spark, src)
    dp, _ = _hadoop(spark, dst)
    if not hfs.rename(sp, dp):
        raise OSError(f"rename {src} -> {dst} failed")


def clean_leftovers(spark: SparkSession, base: str, final: str, when: str) -> None:
    """Delete what a crashed run of this export time left behind.

    That is its temporary directories and an ``exportTime=T`` directory without ``_SUCCESS``;
    every delete stays inside ``base``.

    Args:
        spark: the session.
        base: ``<target>/<name>``, the directory that owns the export's directories.
        final: ``<base>/exportTime=<when>``.
        when: the export time.

    Example:
        >>> clean_leftovers(spark, base, final, "202611231000")  # doctest: +SKIP
    """
    for leftover in glob_dirs(spark, f"{base}/_tmp_exportTime={when}_*"):
        log.warning("removing %s, left by an interrupted export", leftover)
        fs.delete(spark, leftover, within=base)
    if fs.exists(spark, final) and not fs.exists(spark, f"{final}/{SUCCESS}"):
        log.warning("removing %s: published without _SUCCESS by an interrupted export", final)
        fs.delete(spark, final, within=base)


def previous_export(
    spark: SparkSession, base: str, when: str, source: str
) -> dict[str, Any] | None:
    """The manifest of the latest complete export before ``when`` of the same source table.

    Args:
        spark: the session.
        base: ``<target>/<name>``.
        when: the export time being written; only earlier ones count.
        source: the qualified source table path; exports of another table are ignored.

    Returns:
        The manifest, with its directory under ``"_dir"``, or None when there is none.

    Example:
        >>> previous_export(spark, base, "202611231000", "file:/lake/profiles/demo")["exportTime"]  # doctest: +SKIP
        '202611230900'
    """
    candidates = []
    for d in glob_dirs(spark, f"{base}/exportTime=*"):
        t = d.rsplit("exportTime=", 1)[-1]
        if is_export_time(t) and t < when and fs.exists(spark, f"{d}/{SUCCESS}"):
            candidates.append((t, d))
    for _t, d in sorted(candidates, reverse=True):
        manifest = read_manifest(spark, d)
        if manifest.get("source", {}).get("path") == source:
            manifest["_dir"] = d
            return manifest
        log.warning("ignoring %s: it exports %s, not %s", d, manifest.get("source"), source)
    return None


def previous_ref(previous: dict[str, Any] | None) -> dict[str, Any] | None:
    """The manifest's ``incrementalTo``: export time, directory and source version of ``previous``.

    Example:
        >>> previous_ref(previous_export(spark, base, when, source))  # doctest: +SKIP
        {'exportTime': '202611230900', 'path': 'file:/exports/demo/exportTime=202611230900',
         'sourceVersion': 1}
    """
    if previous is None:
        return None
    return {
        "exportTime": previous["exportTime"],
        "path": previous["_dir"],
        "sourceVersion": previous["source"]["version"],
    }


def checksums(spark: SparkSession, files: list[fs.FileInfo]) -> list[dict[str, Any]]:
    """``{path (file name), size, sha256}`` per file, in the given order, hashed by Spark.

    One job hashes every file next to the data (``binaryFile``); only the digests reach the
    driver. ``binaryFile`` skips files whose names start with ``_`` or ``.``: hash those before
    they are renamed into place.

    Example:
        >>> checksums(spark, fs.list_files(spark, [tmp]))[0]["sha256"][:8]  # doctest: +SKIP
        '9f86d081'
    """
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


def publish(spark: SparkSession, tmp: str, final: str, base: str) -> None:
    """Rename the complete temporary directory to ``final``, then write ``_SUCCESS`` in it.

    An incomplete ``final`` published since the clean-up (a concurrent crashed run) is deleted
    first. Crash points ``after_manifest`` (before) and ``after_publish`` (between the rename and
    ``_SUCCESS``) mark the steps for the crash tests.

    Args:
        spark: the session.
        tmp: the run's temporary directory, rows and manifest written.
        final: ``<base>/exportTime=T``.
        base: ``<target>/<name>``, the owner of both.

    Raises:
        OSError: the rename failed (nothing was published).

    Example:
        >>> publish(spark, tmp, final, base)  # doctest: +SKIP
    """
    checkpoint("after_manifest")
    if fs.exists(spark, final):
        fs.delete(spark, final, within=base)
    rename(spark, tmp, final)
    checkpoint("after_publish")
    fs.write_text(spark, f"{final}/{SUCCESS}", "")


def _hadoop(spark: SparkSession, path: str) -> tuple[Any, Any]:
    """The Hadoop ``Path`` of ``path`` and its ``FileSystem``."""
    jvm = spark.sparkContext._jvm
    assert jvm is not None
    jpath = jvm.org.apache.hadoop.fs.Path(path)
    return jpath, jpath.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
