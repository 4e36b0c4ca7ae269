"""Writes of the identity graph build: merges, the graph and links tables, the identity errors.

Each is one Delta commit. The graph and links tables are written by MERGE keyed on the node and
the link, so a row whose values did not change is not rewritten (and is absent from the graph's
change feed); a full build also deletes rows no longer in the graph.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lakeport.lake.delta import append_rows, is_delta, retry, sql_string
from lakeport.profiles.identities import drop_errors, identity_errors
from lakeport.profiles.tables import create_table, in_batches

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from lakeport.lake.layout import Lake
    from lakeport.profiles.state import Scope

CHANGE_FEED = "delta.enableChangeDataFeed"


def ensure_change_feed(spark: SparkSession, path: str) -> None:
    """Turn on the change feed of a graph table created by an older lakeport (once)."""
    if not is_delta(spark, path):
        return
    from delta.tables import DeltaTable

    props = DeltaTable.forPath(spark, path).detail().select("properties").first()
    if props is not None and (props[0] or {}).get(CHANGE_FEED) == "true":
        return
    spark.sql(f"ALTER TABLE delta.`{path}` SET TBLPROPERTIES ({CHANGE_FEED} = true)")


def _source(df: DataFrame, full: bool) -> DataFrame:
    """An incremental build's MERGE source is small: broadcast it, so Delta finds the target rows
    it touches with one scan and no shuffle of the target (a checkpointed frame has no size
    statistics, so Spark would otherwise sort and shuffle the whole table)."""
    from pyspark.sql import functions as F

    return df if full else F.broadcast(df)


def write_graph(spark: SparkSession, path: str, new_graph: DataFrame, full: bool) -> None:
    from delta.tables import DeltaTable

    if not is_delta(spark, path):
        create_table(new_graph, path, change_feed=True)
        return
    changed = (
        "t.profile_id <> s.profile_id OR t.graph_id <> s.graph_id OR t.graph_size <> s.graph_size"
    )
    m = (
        DeltaTable.forPath(spark, path)
        .alias("t")
        .merge(_source(new_graph, full).alias("s"), "t.node_key = s.node_key")
        .whenMatchedUpdateAll(condition=changed)
        .whenNotMatchedInsertAll()
    )
    if full:
        m = m.whenNotMatchedBySourceDelete()
    m.execute()


def write_links(spark: SparkSession, path: str, link_rows: DataFrame, full: bool) -> None:
    from delta.tables import DeltaTable

    if not is_delta(spark, path):
        create_table(link_rows, path)
        return
    m = (
        DeltaTable.forPath(spark, path)
        .alias("t")
        .merge(_source(link_rows, full).alias("s"), "t.src = s.src AND t.dst = s.dst")
        .whenMatchedUpdateAll(condition="t.status <> s.status")
        .whenNotMatchedInsertAll()
    )
    if full:
        m = m.whenNotMatchedBySourceDelete()
    m.execute()


def write_errors(
    spark: SparkSession,
    lake: Lake,
    records: DataFrame,
    link_rows: DataFrame,
    cap: int,
    build_id: str,
    now: Any,
    scope: Scope,
) -> dict[str, Any]:
    """Replace the identity errors of the batches in scope; returns the records' counts."""
    from pyspark.sql import functions as F

    full = scope.mode != "incremental"
    dropped = link_rows.where(F.col("reason").isNotNull())
    errors = identity_errors(records, build_id, now).unionByName(
        drop_errors(in_batches(dropped, "batch_id", None if full else scope.new), cap, now)
    )
    epath = lake.system_path("errors")
    where = "severity = 'identity'"
    if not full:
        where += " AND batch_id IN (" + ", ".join(sql_string(b) for b in sorted(scope.new)) + ")"
    if is_delta(spark, epath):
        retry(
            lambda: (
                errors.write.format("delta")
                .mode("overwrite")
                .option("replaceWhere", where)
                .save(epath)
            )
        )
    else:
        append_rows(errors, epath)
    return dict(
        records.agg(
            F.count(F.lit(1)).alias("records"),
            F.count_if(F.col("over_cap")).alias("over_cap"),
            F.sum(F.size("too_long")).alias("too_long"),
            F.sum(F.size("junk")).alias("junk"),
        )
        .collect()[0]
        .asDict()
    )


def record_merges(spark: SparkSession, path: str, merges: DataFrame) -> None:
    """Record profile merges once: a re-run of a build that died records the same pairs again."""
    from delta.tables import DeltaTable
    from pyspark.sql import functions as F

    if not is_delta(spark, path):
        append_rows(merges, path)
        return
    on = "t.merged_profile_id = s.merged_profile_id AND t.into_profile_id = s.into_profile_id"
    retry(
        lambda: (
            DeltaTable.forPath(spark, path)
            .alias("t")
            .merge(F.broadcast(merges).alias("s"), on)
            .whenNotMatchedInsertAll()
            .execute()
        )
    )
