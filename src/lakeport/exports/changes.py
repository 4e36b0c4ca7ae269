"""What an incremental export holds: the changes since the previous complete export.

* profiles: the Change Data Feed from the previous export's source version + 1 to the pinned
  version gives the changed profile ids (their rows come from the pinned snapshot) and the
  removed ids (existed before, deleted since, not re-inserted), written to ``_removed_ids.jsonl``;
* datasets (no CDF): the batches present at the pinned version whose ``_batch_id`` was not in the
  table at the previous export's version (a time-travel read of ``_batch_id`` only), and the
  batch ids that disappeared (replaced by a replay).

When there is no previous export, or the change feed / the old version cannot be read (CDF off,
vacuumed, log expired), the export is full and the reason says why.

Example:
    >>> changes = plan(spark, request, path, snapshot, 3, previous, "/exports/demo")  # doctest: +SKIP
    >>> changes.mode, changes.reason  # doctest: +SKIP
    ('incremental', 'incremental to version 1: 4 profile ids changed or removed')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lakeport.exports.formats import NO_SUCCESS_MARKER, observed
from lakeport.lake import fs

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from lakeport.exports.request import ExportRequest

PROFILE_KEY = "profile_id"
BATCH_KEY = "_batch_id"
REMOVED_SCRATCH = "_removed_tmp"  # inside the run's temporary directory


@dataclass(frozen=True)
class ChangeSet:
    """The rows to export, the removed profile ids (if any) and why the export has this mode.

    ``extra`` holds the manifest keys of a dataset's incremental export (``batchIds``,
    ``removedBatchIds``); ``cached`` the frames to unpersist once the export is written.
    """

    mode: str  # "full" | "incremental"
    reason: str
    data: DataFrame
    removed: DataFrame | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    cached: tuple[DataFrame, ...] = ()

    def release(self) -> None:
        """Unpersist the cached frames."""
        for frame in self.cached:
            frame.unpersist()


def plan(
    spark: SparkSession,
    request: ExportRequest,
    path: str,
    snapshot: DataFrame,
    version: int,
    previous: dict[str, Any] | None,
    base: str,
) -> ChangeSet:
    """Decide full or incremental, and what the export holds.

    Args:
        spark: the session.
        request: the export request (``kind``, ``incremental``).
        path: the source table.
        snapshot: the table at the pinned ``version``.
        version: the pinned version.
        previous: the previous complete export's manifest (see ``publish.previous_export``).
        base: ``<target>/<name>`` (named in the reason of a first export).

    Returns:
        The change set; ``mode`` ``full`` with its ``reason`` when an incremental one cannot be
        made.

    Example:
        >>> plan(spark, request, path, snapshot, 3, None, base).reason  # doctest: +SKIP
        'first export: no earlier complete export under /exports/demo'
    """
    from pyspark.sql import functions as F

    if not request.incremental:
        return ChangeSet("full", "full export requested", snapshot)
    if previous is None:
        return ChangeSet("full", f"first export: no earlier complete export under {base}", snapshot)
    prev_version = int(previous["source"]["version"])
    if prev_version > version:
        return ChangeSet(
            "full",
            f"fell back to full: the previous export read version {prev_version}, "
            f"newer than the table's {version} (was the table re-created?)",
            snapshot,
        )
    if request.kind == "profiles":
        keys, reason = profile_changes(spark, path, prev_version, version)
        if keys is None:
            return ChangeSet("full", reason, snapshot)
        changed = keys.where(F.col("present")).select(PROFILE_KEY)
        data = snapshot.join(changed, PROFILE_KEY, "left_semi").select(snapshot.columns)
        removed = keys.where(F.col("existed") & ~F.col("present")).select(PROFILE_KEY)
        return ChangeSet("incremental", reason, data, removed, cached=(keys,))
    batches, reason = batch_changes(spark, path, snapshot, prev_version)
    if batches is None:
        return ChangeSet("full", reason, snapshot)
    prev_ids, added, gone = batches
    # a join on a column name puts that column first: keep the table's order
    data = snapshot.join(prev_ids, BATCH_KEY, "left_anti").select(snapshot.columns)
    extra: dict[str, Any] = {"batchIds": added, "removedBatchIds": gone}
    return ChangeSet("incremental", reason, data, extra=extra, cached=(prev_ids,))


def profile_changes(
    spark: SparkSession, path: str, prev_version: int, version: int
) -> tuple[DataFrame | None, str]:
    """Per changed profile id: ``present`` (in the pinned snapshot), ``existed`` (at the previous
    export), read from the Change Data Feed of ``prev_version + 1 .. version``.

    Returns:
        The cached frame (``profile_id``, ``present``, ``existed``) and the reason; None and the
        reason when the change feed cannot be read for that range.

    Example:
        >>> keys, reason = profile_changes(spark, "/lake/profiles/demo", 1, 3)  # doctest: +SKIP
    """
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


def batch_changes(
    spark: SparkSession, path: str, snapshot: DataFrame, prev_version: int
) -> tuple[tuple[DataFrame, list[str], list[str]] | None, str]:
    """The batch ids at the previous version, the ones added since and the ones gone since.

    Returns:
        ``(previous ids (cached), added, gone)`` and the reason; None and the reason when
        ``prev_version`` cannot be read (vacuumed files, expired log).

    Example:
        >>> (prev_ids, added, gone), reason = batch_changes(spark, path, snapshot, 0)  # doctest: +SKIP
        >>> added, gone  # doctest: +SKIP
        (['b2', 'b3'], ['b1'])
    """
    prev_ids: DataFrame | None = None
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
        if prev_ids is not None:
            prev_ids.unpersist()
        return None, (
            f"fell back to full: version {prev_version} of the dataset cannot be read "
            f"({fs.jvm_message(exc)})"
        )
    now_ids = snapshot.select(BATCH_KEY).distinct()
    # batch ids, not rows: small
    added = sorted(r[0] for r in now_ids.join(prev_ids, BATCH_KEY, "left_anti").collect())
    gone = sorted(r[0] for r in prev_ids.join(now_ids, BATCH_KEY, "left_anti").collect())
    reason = f"incremental to version {prev_version}: {len(added)} new batch(es)"
    if gone:
        reason += f", {len(gone)} batch(es) replaced"
    return (prev_ids, added, gone), reason


def write_removed(spark: SparkSession, removed: DataFrame, tmp: str) -> tuple[fs.FileInfo, int]:
    """Write the removed ids as one JSON Lines file (``{"profile_id": ...}``, sorted).

    The file lands in a scratch directory of the run's temporary directory, so that it is hashed
    under a visible name before it is renamed to ``_removed_ids.jsonl``.

    Returns:
        That file and the number of ids.

    Example:
        >>> part, count = write_removed(spark, changes.removed, tmp)  # doctest: +SKIP
    """
    from pyspark.sql import Observation
    from pyspark.sql import functions as F

    scratch = f"{tmp}/{REMOVED_SCRATCH}"
    seen = Observation("removed")
    (
        removed.observe(seen, F.count(F.lit(1)).alias("rows"))
        .repartition(1)
        .sortWithinPartitions(PROFILE_KEY)
        .write.mode("errorifexists")
        .option(*NO_SUCCESS_MARKER)
        .json(scratch)
    )
    parts = fs.list_files(spark, [scratch])
    if not parts:  # an empty frame may leave no part file
        fs.write_text(spark, f"{scratch}/part-empty.json", "")
        parts = fs.list_files(spark, [scratch])
    return parts[0], observed(seen, removed)
