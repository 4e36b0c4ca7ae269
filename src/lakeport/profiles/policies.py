"""Merge policies: one Delta table of merged profiles per policy, rebuilt in full or in part.

``identity_graph: none`` keeps each primary identity as its own profile. The table is written by
MERGE with a content hash, so its change feed holds exactly the changed and removed profiles.

An incremental build recomputes only the affected profiles: those whose identities changed in
the identity graph since this policy's last build (read from the graph's change feed, pre- and
post-images, so merged-away ids are among them) and those that gained a fragment in a new batch.
Their identities come from the graph rows of those profiles, their fragments from the rows whose
primary identity is one of those profiles' identities.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from lakeport.lake.clock import utc_now
from lakeport.lake.delta import delta_version, is_delta
from lakeport.lake.layout import Lake
from lakeport.profiles.merging import (
    attribute_leaves,
    fragments_of,
    merge_profiles,
    profile_rows,
    with_profile_ids,
)
from lakeport.profiles.state import BuildRun, Phases, Scope, scope_for
from lakeport.profiles.tables import (
    GRAPH_TARGET,
    create_table,
    identity_datasets,
    policy_datasets,
    policy_fingerprint,
    resolve_policy,
)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from lakeport.config.model import Config, Dataset

log = logging.getLogger(__name__)


def _identities(frame: DataFrame) -> DataFrame:
    from pyspark.sql import functions as F

    return frame.groupBy("profile_id").agg(
        F.array_sort(F.collect_set(F.struct("namespace", "id"))).alias("identities")
    )


def _graph_changes(spark: SparkSession, path: str, since: int, until: int) -> DataFrame | None:
    """Profile ids in the graph's change feed after version ``since`` (None: no feed there)."""
    from pyspark.sql.utils import AnalysisException

    try:
        changes = (
            spark.read.format("delta")
            .option("readChangeFeed", "true")
            .option("startingVersion", since + 1)
            .option("endingVersion", until)
            .load(path)
            .select("profile_id")
            .distinct()
            .localCheckpoint()
        )
    except AnalysisException as exc:  # the feed was off for part of the range
        log.info("profiles: no change feed on the identity graph since %d (%s)", since, exc)
        return None
    return changes


def _affected(
    spark: SparkSession,
    cfg: Config,
    name: str,
    scope: Scope,
    datasets: list[Dataset],
    leaves: list[tuple[str, str]],
    graph: DataFrame | None,
    last: dict[str, Any],
) -> DataFrame | None:
    """``profile_id`` of every profile an incremental build must recompute (None: build it all)."""
    from pyspark.sql import functions as F

    new = fragments_of(spark, cfg, name, datasets, leaves, scope.versions, scope.new)
    if graph is None:
        return with_profile_ids(new, None).select("profile_id").distinct()
    since = (last.get("versions") or {}).get(GRAPH_TARGET)
    until = scope.versions.get(GRAPH_TARGET)
    if since is None or until is None or since > until:
        return None
    keys = new.select("node_key").distinct()
    gained = graph.join(F.broadcast(keys), "node_key", "left_semi").select("profile_id")
    if since == until:
        return gained.distinct()
    changed = _graph_changes(spark, Lake(cfg.lake_root).graph_path(), since, until)
    if changed is None:
        return None
    return gained.unionByName(changed).distinct()


def build_policy(
    spark: SparkSession,
    cfg: Config,
    name: str,
    run: BuildRun,
    *,
    force_full: bool = False,
) -> dict[str, Any]:
    """Write ``profiles/<name>`` for one policy; returns its part of the summary."""
    from delta.tables import DeltaTable
    from pyspark.sql import functions as F

    _, policy = resolve_policy(cfg, name)
    lake = Lake(cfg.lake_root)
    started = utc_now()
    target = f"profiles/{name}"
    datasets = policy_datasets(cfg, policy)
    leaves = attribute_leaves(datasets)
    stitched = policy.identity_graph == "stitched"
    fingerprint = policy_fingerprint(cfg, policy, datasets)
    watched = identity_datasets(cfg) if stitched else datasets
    ppath, gpath = lake.profiles_path(name), lake.graph_path()
    phase = Phases()
    scope = scope_for(spark, cfg, run, target, watched, fingerprint, force_full)
    graph_version = delta_version(spark, gpath) if stitched else None
    if graph_version is not None:
        scope.versions[GRAPH_TARGET] = graph_version
    summary: dict[str, Any] = {"policy": name, "mode": scope.mode, "reason": scope.reason}
    last = run.last.get(target) or {}
    if scope.mode == "unchanged" and is_delta(spark, ppath):
        summary["deltaVersion"] = delta_version(spark, ppath)
        if scope.versions != (last.get("versions") or {}):
            run.record(target, scope, fingerprint, started, summary)
        return summary
    now = utc_now()
    graph = None
    if stitched:
        graph = (
            spark.read.format("delta")
            .option("versionAsOf", graph_version)
            .load(gpath)
            .select("namespace", "id", "node_key", "profile_id")
        )
    affected = None
    if scope.mode == "incremental":
        # this run's graph build holds every graph row the recomputed profiles need: use its
        # frame instead of scanning the whole graph table twice
        scoped = run.scoped_graph(scope, last) if stitched else None
        if scoped is not None:
            graph = scoped
        if stitched:
            summary["graphRowsFrom"] = "build" if scoped is not None else "table"
        affected = _affected(spark, cfg, name, scope, datasets, leaves, graph, last)
        if affected is None:
            scope = Scope(
                "full",
                scope.batches,
                scope.batches,
                "the identity graph has no change feed since this policy's last build",
                scope.versions,
                scope.dataset_batches,
            )
            summary.update({"mode": scope.mode, "reason": scope.reason})
        else:
            affected = affected.localCheckpoint()
    phase.mark("scope")
    fragments = fragments_of(spark, cfg, name, datasets, leaves, scope.versions)
    if graph is not None:
        members = graph
        if affected is not None:
            members = graph.join(F.broadcast(affected), "profile_id", "left_semi").localCheckpoint()
        identities = _identities(members)
        fragments = with_profile_ids(
            fragments, F.broadcast(members) if affected is not None else members
        )
    else:
        fragments = with_profile_ids(fragments, None)
        if affected is not None:
            fragments = fragments.join(F.broadcast(affected), "profile_id", "left_semi")
        identities = _identities(
            fragments.select(
                "profile_id", F.col("_ns").alias("namespace"), F.col("_id").alias("id")
            )
        )
    merged = merge_profiles(fragments, policy, leaves)
    rows = profile_rows(merged, identities, leaves, run.build_id, now).localCheckpoint()
    phase.mark("merge")

    if not is_delta(spark, ppath):
        create_table(rows, ppath, change_feed=True)
    else:
        existing_schema = spark.read.format("delta").load(ppath).schema
        if [f.simpleString() for f in existing_schema] != [f.simpleString() for f in rows.schema]:
            log.info("profiles/%s: the attribute schema changed; rewriting the table", name)
            (
                rows.write.format("delta")
                .mode("overwrite")
                .option("overwriteSchema", "true")
                .save(ppath)
            )
        else:
            source = rows.withColumn("_delete", F.lit(False))
            if affected is not None:
                gone = affected.join(rows.select("profile_id"), "profile_id", "left_anti")
                source = source.unionByName(
                    gone.withColumn("_delete", F.lit(True)), allowMissingColumns=True
                )
            m = (
                DeltaTable.forPath(spark, ppath)
                .alias("t")
                .merge(
                    (source if affected is None else F.broadcast(source)).alias("s"),
                    "t.profile_id = s.profile_id",
                )
                .whenMatchedDelete(condition="s._delete")
                .whenMatchedUpdate(
                    condition="NOT s._delete AND t._hash <> s._hash",
                    set={c: f"s.`{c}`" for c in rows.columns},
                )
                .whenNotMatchedInsert(
                    condition="NOT s._delete", values={c: f"s.`{c}`" for c in rows.columns}
                )
            )
            if affected is None:
                m = m.whenNotMatchedBySourceDelete()
            m.execute()
    version = delta_version(spark, ppath)
    written = rows.count()
    phase.mark("write")
    summary.update(
        {"profilesWritten": written, "deltaVersion": version, "phaseSeconds": phase.seconds}
    )
    run.record(target, scope, fingerprint, started, summary)
    return summary
