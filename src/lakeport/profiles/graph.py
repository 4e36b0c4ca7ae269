"""The identity graph: links -> connected components -> guarded graphs -> profile ids.

A profile's id is derived from its earliest-seen identity (ingestion time, batch, dataset,
namespace, value), so it is stable: a growing profile keeps its id, and when two profiles merge
the older one's id survives (the other is recorded in ``system/profile_merges``). The graph and
the links are written by MERGE, so unchanged rows are never rewritten; the graph keeps a change
feed, from which policies learn which profiles an incremental build touched.

An incremental build reads only the new batches' records, the graphs their identities belong to
(every node and link of those graphs, so the guardrails give the answer a full build gives) and
nothing else of the old graph.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lakeport.errors import ProfileBuildError
from lakeport.lake.clock import utc_now
from lakeport.lake.delta import delta_version, is_delta
from lakeport.lake.hooks import checkpoint
from lakeport.lake.layout import Lake
from lakeport.lake.threads import concurrently
from lakeport.profiles.components import component_labels, with_components
from lakeport.profiles.graphio import (
    ensure_change_feed,
    record_merges,
    write_errors,
    write_graph,
    write_links,
)
from lakeport.profiles.identities import (
    earliest,
    identity_records,
    occurrences,
    record_links,
)
from lakeport.profiles.replay import CAP, capped_components
from lakeport.profiles.rules import unique_namespaces
from lakeport.profiles.state import BuildRun, GraphWrite, Phases, scope_for
from lakeport.profiles.tables import (
    GRAPH_TARGET,
    IDENTITY_GRAPH_DDL,
    LINK_ORDER,
    LINKS_DDL,
    NODE_ORDER,
    graph_fingerprint,
    identity_datasets,
    node_key,
    profile_id_of,
    read_or_empty,
)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from lakeport.config.model import Config

NODE_COLUMNS = ("namespace", "id", "node_key", "first_dataset", "first_batch_id", "first_seen_at")


def _scope_graph(
    old_graph: DataFrame, old_links: DataFrame, new_nodes: DataFrame, new_links: DataFrame
) -> tuple[DataFrame, DataFrame, DataFrame]:
    """``(nodes, links, old_in_scope)`` of the graphs the new records touch."""
    from pyspark.sql import functions as F

    # every endpoint of a new link is a new node occurrence, so the new nodes are the touched set
    touched = new_nodes.select("node_key")
    graphs = (
        old_graph.join(F.broadcast(touched), "node_key", "left_semi").select("graph_id").distinct()
    )
    old_in_scope = old_graph.join(F.broadcast(graphs), "graph_id", "left_semi").localCheckpoint()
    known = old_in_scope.select(*NODE_COLUMNS)
    # nodes already known keep their first sighting; links already known keep theirs
    fresh = new_nodes.join(known.select("node_key"), "node_key", "left_anti")
    nodes = known.unionByName(fresh)
    scoped_old_links = old_links.join(
        F.broadcast(known.select(F.col("node_key").alias("src"))), "src", "left_semi"
    ).select(*new_links.columns)
    links = earliest(scoped_old_links.unionByName(new_links), ["src", "dst"], LINK_ORDER, [])
    return nodes, links, old_in_scope


def build_graph(
    spark: SparkSession, cfg: Config, run: BuildRun, *, force_full: bool = False
) -> dict[str, Any]:
    """Update ``identity_graph`` from the datasets; returns the graph part of the summary."""
    from pyspark.sql import functions as F

    lake = Lake(cfg.lake_root)
    guard = cfg.profiles.guardrails
    started = utc_now()
    fingerprint = graph_fingerprint(cfg)
    build_id = run.build_id
    datasets = identity_datasets(cfg)
    phase = Phases()
    scope = scope_for(spark, cfg, run, GRAPH_TARGET, datasets, fingerprint, force_full)
    gpath, lpath = lake.graph_path(), lake.system_path("identity_links")
    summary: dict[str, Any] = {"mode": scope.mode, "reason": scope.reason}
    if scope.mode == "unchanged" and is_delta(spark, gpath):
        if scope.versions != ((run.last.get(GRAPH_TARGET) or {}).get("versions") or {}):
            run.record(GRAPH_TARGET, scope, fingerprint, started, summary)
        return summary
    full = scope.mode != "incremental"
    records = identity_records(spark, cfg, None if full else scope.new, scope.versions)
    if records is None:
        raise ProfileBuildError(
            "no profile or event dataset with identities has any data yet; ingest a batch first "
            "(lakeport ingest --dataset <name> <files>)"
        )
    records = records.localCheckpoint()
    phase.mark("scope")
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
    if not full:  # read twice below: for the graphs it touches, and for the nodes not seen yet
        new_nodes = new_nodes.localCheckpoint()
    new_links = earliest(record_links(records), ["src", "dst"], LINK_ORDER, [])
    before = delta_version(spark, gpath)
    old_graph = read_or_empty(spark, gpath, IDENTITY_GRAPH_DDL)
    if full:
        nodes, links, old_in_scope = new_nodes, new_links, old_graph
    else:
        old_links = read_or_empty(spark, lpath, LINKS_DDL)
        nodes, links, old_in_scope = _scope_graph(old_graph, old_links, new_nodes, new_links)
    nodes = nodes.localCheckpoint()
    links = links.localCheckpoint()
    phase.mark("nodesAndLinks")

    budget = cfg.profiles.driver_max_links
    sparse = component_labels(spark, links.select("src", "dst"), driver_max_links=budget)
    node_order = nodes.select(F.col("node_key").alias("node"), *NODE_ORDER)
    comps = with_components(node_order.select("node"), sparse)
    labels, dropped = capped_components(
        comps,
        links.select("src", "dst", *LINK_ORDER),
        node_order,
        guard.max_identities_per_graph,
        node_order=NODE_ORDER,
        link_order=LINK_ORDER,
        unique=unique_namespaces(cfg.profiles.identity_rules),
        driver_max_links=budget,
    )
    phase.mark("components")
    label_ids = nodes.select(
        F.col("node_key").alias("label"),
        profile_id_of(F.col("namespace"), F.col("id")).alias("profile_id"),
    )
    assigned = (
        labels.join(label_ids, "label", "inner")
        .join(comps.withColumnRenamed("component", "graph_id"), "node", "inner")
        .withColumnRenamed("node", "node_key")
    )
    sizes = assigned.groupBy("profile_id").agg(F.count(F.lit(1)).cast("int").alias("graph_size"))
    new_graph = (
        nodes.join(assigned, "node_key", "inner")
        .join(sizes, "profile_id", "inner")
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
    stats = new_graph.agg(
        F.count(F.lit(1)).alias("identities"), F.countDistinct("profile_id").alias("profiles")
    ).collect()[0]
    in_scope = nodes.count()
    if stats["identities"] != in_scope:  # never write a graph that lost or doubled identities
        raise ProfileBuildError(
            f"internal error: {in_scope} identities in scope but {stats['identities']} placed in "
            "profiles (two identities sharing a 64-bit node key would do this); nothing was "
            "written; report this as a bug with the build log"
        )
    status = F.when(F.col("reason").isNull(), F.lit("kept"))
    status = status.when(F.col("reason") == CAP, F.lit("dropped")).otherwise(
        F.lit("dropped_unique")
    )
    link_rows = (
        links.join(dropped, ["src", "dst"], "left")
        .select(
            *new_links.columns,
            status.alias("status"),
            F.lit(build_id).alias("build_id"),
            "reason",
        )
        .localCheckpoint()
    )
    link_stats = link_rows.agg(
        F.count(F.lit(1)).alias("links"),
        F.count_if(F.col("status") == "dropped").alias("cap"),
        F.count_if(F.col("status") == "dropped_unique").alias("unique"),
    ).collect()[0]

    phase.mark("guardrails")
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

    # writes: the merges first (a build that dies after the graph commit would not see them
    # again: the graph it reads back is the new one), idempotently; then the graph and the
    # links by MERGE (unchanged rows untouched) and the identity errors, as three concurrent
    # commits on three tables. Each of the three is idempotent and none reads another, so a
    # build that dies with any subset committed is completed by its re-run; the build row
    # (state) is written last, by flush.
    merge_count = merges.count()
    if merge_count:
        record_merges(spark, lake.system_path("profile_merges"), merges)
    checkpoint("merges-written")
    if full:  # a graph table of an older lakeport: its first build here is a full one
        ensure_change_feed(spark, gpath)

    def graph_commit() -> None:
        write_graph(spark, gpath, new_graph, full)
        checkpoint("graph-written")

    counts = concurrently(
        graph_commit,
        lambda: write_links(spark, lpath, link_rows.drop("reason"), full),
        lambda: write_errors(
            spark, lake, records, link_rows, guard.max_identities_per_graph, build_id, now, scope
        ),
    )[2]
    phase.mark("write")
    after = delta_version(spark, gpath)
    if after == (0 if before is None else before + 1):  # no other commit came between
        run.graph_written = GraphWrite(
            before,
            after,
            frozenset(scope.new),
            new_graph.select("namespace", "id", "node_key", "profile_id"),
        )
    summary.update(
        {
            "recordsRead": counts["records"],
            "identitiesInScope": stats["identities"],
            "profilesInScope": stats["profiles"],
            "linksInScope": int(link_stats["links"]),
            "guardrails": {
                "linksDroppedGraphOverCap": int(link_stats["cap"] or 0),
                "recordsOverIdentityCap": int(counts["over_cap"] or 0),
                "valuesTooLong": int(counts["too_long"] or 0),
            },
            "identityRules": {
                "junkValues": int(counts["junk"] or 0),
                "linksDroppedUniqueNamespace": int(link_stats["unique"] or 0),
            },
            "merges": merge_count,
            "deltaVersion": after,
            "phaseSeconds": phase.seconds,
        }
    )
    run.record(GRAPH_TARGET, scope, fingerprint, started, summary)
    return summary
