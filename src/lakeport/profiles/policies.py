"""Merge policies: fragments of every profile dataset -> one row per profile, per policy.

``timestamp_ordered``: for each attribute the value of the most recent fragment wins (by
ingestion time unless the dataset declares ``last_updated``; ties go to the later batch, then the
dataset name). ``dataset_precedence``: the first listed dataset with a value wins.
``identity_graph: none`` keeps each primary identity as its own profile. The table is written by
MERGE with a content hash, so its change feed holds exactly the changed and removed profiles.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from lakeport.errors import ProfileBuildError
from lakeport.lake.clock import utc_now
from lakeport.lake.delta import delta_version, is_delta
from lakeport.lake.layout import Lake
from lakeport.profiles.identities import identity_records, occurrences
from lakeport.profiles.state import BuildRun, present_batches, scope_of
from lakeport.profiles.tables import (
    create_table,
    identity_datasets,
    node_key,
    policy_datasets,
    policy_fingerprint,
    profile_id_of,
    resolve_policy,
)
from lakeport.spec.schema import iter_leaves
from lakeport.transforms.types import field_type

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

    from lakeport.config.model import Config, Dataset
    from lakeport.spec.settings import MergePolicy

log = logging.getLogger(__name__)


def attribute_leaves(datasets: list[Dataset]) -> list[tuple[str, str]]:
    """(dot path, Spark type) of every attribute, first dataset's order first."""
    out: dict[str, str] = {}
    for d in datasets:
        for path, spec in iter_leaves(d.schema_spec.fields):
            out.setdefault(path, field_type(spec).simpleString())
    return list(out.items())


def nest(leaves: list[tuple[str, Column]]) -> list[Column]:
    """Top-level columns (structs for objects) from leaf columns keyed by dot path."""
    from pyspark.sql import functions as F

    tree: dict[str, Any] = {}
    for path, col in leaves:
        node = tree
        parts = path.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = col

    def build(node: dict[str, Any]) -> list[Column]:
        return [
            (F.struct(*build(v)) if isinstance(v, dict) else v).alias(k) for k, v in node.items()
        ]

    return build(tree)


def fragments_of(
    spark: SparkSession,
    cfg: Config,
    name: str,
    policy: MergePolicy,
    datasets: list[Dataset],
    leaves: list[tuple[str, str]],
    graph: DataFrame | None,
) -> DataFrame:
    """Every profile row of the policy's datasets with its profile id and ordering key."""
    from pyspark.sql import functions as F

    lake = Lake(cfg.lake_root)
    guard = cfg.profiles.guardrails
    rank = {d.name: i for i, d in enumerate(datasets)}
    frames = []
    for d in datasets:
        path = lake.dataset_path(d.name)
        if not is_delta(spark, path):
            continue
        df = spark.read.format("delta").load(path)
        primary_path, primary = next((p, s) for p, s in d.schema_spec.identities() if s.primary)
        own = {p for p, _ in iter_leaves(d.schema_spec.fields)}
        value = F.col(primary_path).cast("string")
        ordered_at = (
            F.coalesce(F.col(d.config.last_updated), F.col("_ingested_at"))
            if d.config.last_updated
            else F.col("_ingested_at")
        )
        cols = [
            F.lit(primary.namespace).alias("_ns"),
            value.alias("_id"),
            F.lit(d.name).alias("_dataset"),
            F.col("_batch_id"),
            F.col("_ingested_at"),
            F.coalesce(F.col("_source_file"), F.lit("")).alias("_file"),
            ordered_at.alias("_ordered_at"),
            F.lit(-rank[d.name]).alias("_precedence"),
        ]
        cols += [
            (F.col(p) if p in own else F.lit(None)).cast(t).alias(f"a{i}")
            for i, (p, t) in enumerate(leaves)
        ]
        frames.append(
            df.where(value.isNotNull() & (F.length(value) <= guard.max_identity_length)).select(
                *cols
            )
        )
    if not frames:
        raise ProfileBuildError(
            f"policy {name!r} merges {', '.join(d.name for d in datasets) or 'no dataset'}, and none "
            "of them has data yet; ingest a profile dataset first"
        )
    df = frames[0]
    for f in frames[1:]:
        df = df.unionByName(f)
    if policy.identity_graph == "none" or graph is None:
        return df.withColumn("profile_id", profile_id_of(F.col("_ns"), F.col("_id")))
    key = node_key(F.col("_ns"), F.col("_id"))
    return df.withColumn("node_key", key).join(graph.select("node_key", "profile_id"), "node_key")


def merge_profiles(
    fragments: DataFrame, policy: MergePolicy, leaves: list[tuple[str, str]]
) -> DataFrame:
    """One row per profile id: each attribute from its winning fragment, plus provenance."""
    from pyspark.sql import functions as F

    value_hash = F.xxhash64(F.to_json(F.struct(*[F.col(f"a{i}") for i in range(len(leaves))])))
    frag = fragments.withColumn("_vh", value_hash)
    base = ["_ordered_at", "_ingested_at", "_batch_id", "_dataset", "_file", "_vh"]
    order = base if policy.merge == "timestamp_ordered" else ["_precedence", *base]
    aggs = []
    for i, (_path, _t) in enumerate(leaves):
        a = F.col(f"a{i}")
        ordering = F.when(a.isNotNull(), F.struct(*[F.col(c) for c in order]))
        winner = F.struct(
            a.alias("v"),
            F.col("_dataset").alias("dataset"),
            F.col("_batch_id").alias("batch_id"),
            F.col("_ingested_at").alias("ingested_at"),
        )
        aggs.append(F.max_by(F.when(a.isNotNull(), winner), ordering).alias(f"w{i}"))
    return frag.groupBy("profile_id").agg(*aggs)


def profile_rows(
    merged: DataFrame,
    identities: DataFrame,
    leaves: list[tuple[str, str]],
    build_id: str,
    now: Any,
) -> DataFrame:
    from pyspark.sql import functions as F

    attrs = nest([(p, F.col(f"w{i}.v")) for i, (p, _) in enumerate(leaves)])
    provenance = F.map_from_entries(
        F.filter(
            F.array(
                *[
                    F.struct(
                        F.lit(p).alias("key"),
                        F.struct(
                            F.col(f"w{i}.dataset").alias("dataset"),
                            F.col(f"w{i}.batch_id").alias("batch_id"),
                            F.col(f"w{i}.ingested_at").alias("ingested_at"),
                        ).alias("value"),
                    )
                    for i, (p, _) in enumerate(leaves)
                ]
            ),
            lambda e: e["value"]["dataset"].isNotNull(),
        )
    )
    rows = identities.join(merged, "profile_id", "left").select(
        "profile_id", "identities", *attrs, provenance.alias("_provenance")
    )
    content = [c for c in rows.columns if c != "_provenance"]
    hashed = F.sha2(
        F.to_json(
            F.struct(
                *[F.col(c) for c in content],
                F.map_entries("_provenance").alias("_provenance"),
            )
        ),
        256,
    )
    return rows.select(
        "*",
        hashed.alias("_hash"),
        F.lit(now).cast("timestamp").alias("_updated_at"),
        F.lit(build_id).alias("_build_id"),
    )


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
    build_id = run.build_id
    present = present_batches(spark, cfg, watched, run)
    ppath = lake.profiles_path(name)
    scope = scope_of(run.last.get(target), present, fingerprint, force_full)
    summary: dict[str, Any] = {"policy": name, "mode": scope.mode, "reason": scope.reason}
    if scope.mode == "unchanged" and is_delta(spark, ppath):
        summary["deltaVersion"] = delta_version(spark, ppath)
        return summary
    full = scope.mode != "incremental"
    now = utc_now()
    graph = spark.read.format("delta").load(lake.graph_path()) if stitched else None
    fragments = fragments_of(spark, cfg, name, policy, datasets, leaves, graph)

    if stitched:
        assert graph is not None
        identities_all = graph.groupBy("profile_id").agg(
            F.array_sort(F.collect_list(F.struct("namespace", "id"))).alias("identities")
        )
    else:
        identities_all = (
            fragments.select(
                "profile_id",
                F.struct(F.col("_ns").alias("namespace"), F.col("_id").alias("id")).alias("i"),
            )
            .groupBy("profile_id")
            .agg(F.array_sort(F.collect_set("i")).alias("identities"))
        )
    affected_old = None
    if full:
        identities = identities_all
    else:
        # profiles touched by the new batches: their current ids, and the ids they had here
        records = identity_records(spark, cfg, scope.new)
        touched = (
            occurrences(records)
            .select(node_key(F.col("namespace"), F.col("id")).alias("node_key"))
            .distinct()
            if records is not None
            else spark.createDataFrame([], "node_key long")
        )
        if stitched:
            assert graph is not None
            affected = graph.join(touched, "node_key").select("profile_id").distinct()
        else:
            affected = (
                touched.join(
                    fragments.select("node_key", "profile_id")
                    if "node_key" in fragments.columns
                    else fragments.select(
                        node_key(F.col("_ns"), F.col("_id")).alias("node_key"), "profile_id"
                    ),
                    "node_key",
                )
                .select("profile_id")
                .distinct()
            )
        existing = spark.read.format("delta").load(ppath)
        affected_old = (
            existing.select("profile_id", F.explode("identities").alias("i"))
            .select("profile_id", node_key(F.col("i.namespace"), F.col("i.id")).alias("node_key"))
            .join(touched, "node_key", "left_semi")
            .select("profile_id")
            .distinct()
        )
        identities = identities_all.join(affected, "profile_id", "left_semi")
        fragments = fragments.join(affected, "profile_id", "left_semi")
    merged = merge_profiles(fragments, policy, leaves)
    rows = profile_rows(merged, identities, leaves, build_id, now).localCheckpoint()

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
            source = rows
            if affected_old is not None:
                gone = affected_old.join(rows.select("profile_id"), "profile_id", "left_anti")
                source = rows.withColumn("_delete", F.lit(False)).unionByName(
                    gone.withColumn("_delete", F.lit(True)), allowMissingColumns=True
                )
            else:
                source = rows.withColumn("_delete", F.lit(False))
            m = (
                DeltaTable.forPath(spark, ppath)
                .alias("t")
                .merge(source.alias("s"), "t.profile_id = s.profile_id")
                .whenMatchedDelete(condition="s._delete")
                .whenMatchedUpdate(
                    condition="NOT s._delete AND t._hash <> s._hash",
                    set={c: f"s.`{c}`" for c in rows.columns},
                )
                .whenNotMatchedInsert(
                    condition="NOT s._delete", values={c: f"s.`{c}`" for c in rows.columns}
                )
            )
            if full:
                m = m.whenNotMatchedBySourceDelete()
            m.execute()
    version = delta_version(spark, ppath)
    summary.update({"profilesWritten": rows.count(), "deltaVersion": version})
    run.record(target, scope, fingerprint, started, summary)
    return summary
