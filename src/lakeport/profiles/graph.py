"""The identity graph: links -> connected components -> capped graphs -> profile ids.

A profile's id is derived from its earliest-seen identity (ingestion time, batch, dataset,
namespace, value), so it is stable: a growing profile keeps its id, and when two profiles merge
the older one's id survives (the other is recorded in ``system/profile_merges``). The graph and
the links are written by MERGE, so unchanged rows are never rewritten.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lakeport.errors import ProfileBuildError
from lakeport.lake.clock import utc_now
from lakeport.lake.delta import append_rows, delta_version, is_delta, retry, sql_string
from lakeport.lake.layout import Lake
from lakeport.profiles.components import capped_components, connected_components
from lakeport.profiles.identities import (
    drop_errors,
    earliest,
    identity_errors,
    identity_records,
    occurrences,
    record_links,
)
from lakeport.profiles.state import BuildRun, present_batches, scope_of
from lakeport.profiles.tables import (
    GRAPH_TARGET,
    IDENTITY_GRAPH_DDL,
    LINK_ORDER,
    LINKS_DDL,
    NODE_ORDER,
    create_table,
    graph_fingerprint,
    identity_datasets,
    in_batches,
    node_key,
    profile_id_of,
    read_or_empty,
)

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from lakeport.config.model import Config


def build_graph(
    spark: SparkSession, cfg: Config, run: BuildRun, *, force_full: bool = False
) -> dict[str, Any]:
    """Update ``identity_graph`` from the datasets; returns the graph part of the summary."""
    from delta.tables import DeltaTable
    from pyspark.sql import functions as F

    lake = Lake(cfg.lake_root)
    guard = cfg.profiles.guardrails
    started = utc_now()
    fingerprint = graph_fingerprint(cfg)
    build_id = run.build_id
    present = present_batches(spark, cfg, identity_datasets(cfg), run)
    scope = scope_of(run.last.get(GRAPH_TARGET), present, fingerprint, force_full)
    gpath, lpath = lake.graph_path(), lake.system_path("identity_links")
    summary: dict[str, Any] = {"mode": scope.mode, "reason": scope.reason}
    if scope.mode == "unchanged" and is_delta(spark, gpath):
        return summary
    full = scope.mode != "incremental"
    records = identity_records(spark, cfg, None if full else scope.new)
    if records is None:
        raise ProfileBuildError(
            "no profile or event dataset with identities has any data yet; ingest a batch first "
            "(lakeport ingest --dataset <name> <files>)"
        )
    records = records.localCheckpoint()
    now = utc_now()

    new_nodes = earliest(
        occurrences(records), ["namespace", "id"], ("ingested_at", "batch_id", "dataset"), []
    ).select(
        "namespace",
        "id",
        node_key(F.col("namespace"), F.col("id")).alias("node_key"),
        F.col("dataset").alias("first_dataset"),
        F.col("batch_id").alias("first_batch_id"),
        F.col("ingested_at").alias("first_seen_at"),
    )
    new_links = earliest(record_links(records), ["src", "dst"], LINK_ORDER, [])
    old_graph = read_or_empty(spark, gpath, IDENTITY_GRAPH_DDL)
    old_links = read_or_empty(spark, lpath, LINKS_DDL)
    if full:
        nodes, links = new_nodes, new_links
        old_in_scope = old_graph
    else:
        # nodes already known keep their first sighting; links already known keep theirs
        known = old_graph.select(
            "namespace", "id", "node_key", "first_dataset", "first_batch_id", "first_seen_at"
        )
        touched = new_nodes.select("node_key").unionByName(
            new_links.select(F.col("src").alias("node_key"))
        )
        touched = touched.unionByName(new_links.select(F.col("dst").alias("node_key"))).distinct()
        graphs = old_graph.join(touched, "node_key").select("graph_id").distinct()
        old_in_scope = old_graph.join(graphs, "graph_id", "left_semi")
        scoped_known = known.join(old_in_scope.select("node_key"), "node_key", "left_semi")
        fresh = new_nodes.join(known.select("node_key"), "node_key", "left_anti")
        nodes = scoped_known.unionByName(fresh)
        scoped_old_links = old_links.join(
            nodes.select(F.col("node_key").alias("src")), "src", "left_semi"
        ).select(*new_links.columns)
        links = earliest(scoped_old_links.unionByName(new_links), ["src", "dst"], LINK_ORDER, [])
    nodes = nodes.localCheckpoint()
    links = links.localCheckpoint()

    collisions = nodes.groupBy("node_key").count().where("count > 1").limit(1).collect()
    if collisions:  # pragma: no cover - 64-bit hash collisions are vanishingly rare
        raise ProfileBuildError(
            f"two identities share the node key {collisions[0][0]}; report this as a bug"
        )

    comps = connected_components(
        spark, links.select("src", "dst"), nodes.select(F.col("node_key").alias("node"))
    )
    node_order = nodes.select(F.col("node_key").alias("node"), *NODE_ORDER)
    labels, dropped = capped_components(
        comps,
        links.select("src", "dst", *LINK_ORDER),
        node_order,
        guard.max_identities_per_graph,
        node_order=NODE_ORDER,
        link_order=LINK_ORDER,
    )
    label_ids = nodes.select(
        F.col("node_key").alias("label"),
        profile_id_of(F.col("namespace"), F.col("id")).alias("profile_id"),
    )
    assigned = (
        labels.join(label_ids, "label")
        .join(comps.withColumnRenamed("component", "graph_id"), "node")
        .withColumnRenamed("node", "node_key")
    )
    sizes = assigned.groupBy("profile_id").agg(F.count(F.lit(1)).cast("int").alias("graph_size"))
    new_graph = (
        nodes.join(assigned, "node_key")
        .join(sizes, "profile_id")
        .select(
            "namespace",
            "id",
            "node_key",
            "profile_id",
            "graph_id",
            "graph_size",
            "first_dataset",
            "first_batch_id",
            "first_seen_at",
            F.lit(now).cast("timestamp").alias("updated_at"),
            F.lit(build_id).alias("build_id"),
        )
        .localCheckpoint()
    )
    placed, in_scope = new_graph.count(), nodes.count()
    if placed != in_scope:  # never write a graph that lost identities
        raise ProfileBuildError(
            f"internal error: {in_scope} identities in scope but {placed} placed in profiles; "
            "nothing was written; report this as a bug with the build log"
        )
    link_rows = (
        links.join(dropped.withColumn("status", F.lit("dropped")), ["src", "dst"], "left")
        .select(
            *[c for c in new_links.columns],
            F.coalesce("status", F.lit("kept")).alias("status"),
            F.lit(build_id).alias("build_id"),
        )
        .localCheckpoint()
    )
    dropped_links = link_rows.where("status = 'dropped'")
    link_stats = link_rows.agg(
        F.count(F.lit(1)).alias("links"),
        F.sum(F.when(F.col("status") == "dropped", 1).otherwise(0)).alias("dropped"),
    ).collect()[0]

    # merges: an old profile id that no longer exists went into the new id of its identities
    merges = (
        old_in_scope.select("node_key", F.col("profile_id").alias("old"))
        .join(new_graph.select("node_key", F.col("profile_id").alias("new")), "node_key")
        .join(new_graph.select(F.col("profile_id").alias("old")).distinct(), "old", "left_anti")
        .groupBy("old")
        .agg(F.min("new").alias("new"))
        .select(
            F.lit(build_id).alias("build_id"),
            F.col("old").alias("merged_profile_id"),
            F.col("new").alias("into_profile_id"),
            F.lit(now).cast("timestamp").alias("merged_at"),
        )
        .localCheckpoint()
    )

    # writes: graph and links by MERGE (unchanged rows untouched), then errors, merges, state
    changed = (
        "t.profile_id <> s.profile_id OR t.graph_id <> s.graph_id OR t.graph_size <> s.graph_size"
    )
    if not is_delta(spark, gpath):
        create_table(new_graph, gpath)
    else:
        m = (
            DeltaTable.forPath(spark, gpath)
            .alias("t")
            .merge(new_graph.alias("s"), "t.node_key = s.node_key")
            .whenMatchedUpdateAll(condition=changed)
            .whenNotMatchedInsertAll()
        )
        if full:
            m = m.whenNotMatchedBySourceDelete()
        m.execute()
    if not is_delta(spark, lpath):
        create_table(link_rows, lpath)
    else:
        m = (
            DeltaTable.forPath(spark, lpath)
            .alias("t")
            .merge(link_rows.alias("s"), "t.src = s.src AND t.dst = s.dst")
            .whenMatchedUpdateAll(condition="t.status <> s.status")
            .whenNotMatchedInsertAll()
        )
        if full:
            m = m.whenNotMatchedBySourceDelete()
        m.execute()
    errors = identity_errors(records, build_id, now).unionByName(
        drop_errors(
            in_batches(dropped_links, "batch_id", None if full else scope.new),
            guard.max_identities_per_graph,
            now,
        )
    )
    epath = lake.system_path("errors")
    where = "severity = 'identity'"
    if not full:
        where += " AND batch_id IN (" + ", ".join(sql_string(b) for b in scope.new) + ")"
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
    merge_count = merges.count()
    if merge_count:
        append_rows(merges, lake.system_path("profile_merges"))

    counts = records.agg(
        F.count(F.lit(1)).alias("records"),
        F.sum(F.when(F.col("over_cap"), 1).otherwise(0)).alias("over_cap"),
        F.sum(F.size("too_long")).alias("too_long"),
    ).collect()[0]
    stats = new_graph.agg(
        F.count(F.lit(1)).alias("identities"), F.countDistinct("profile_id").alias("profiles")
    ).collect()[0]
    summary.update(
        {
            "recordsRead": counts["records"],
            "identitiesInScope": stats["identities"],
            "profilesInScope": stats["profiles"],
            "linksInScope": int(link_stats["links"]),
            "guardrails": {
                "linksDroppedGraphOverCap": int(link_stats["dropped"] or 0),
                "recordsOverIdentityCap": int(counts["over_cap"] or 0),
                "valuesTooLong": int(counts["too_long"] or 0),
            },
            "merges": merge_count,
            "deltaVersion": delta_version(spark, gpath),
        }
    )
    run.record(GRAPH_TARGET, scope, fingerprint, started, summary)
    return summary
