"""Merging fragments into profiles: every profile row of a policy's datasets -> one row per profile.

``timestamp_ordered``: for each attribute the value of the most recent fragment wins (by
ingestion time unless the dataset declares ``last_updated``; ties go to the later batch, then the
dataset name). ``dataset_precedence``: the first listed dataset with a value wins. A fragment
belongs to the profile of its primary identity, matched by its normalised value; its attributes
keep the values as sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lakeport.errors import ProfileBuildError
from lakeport.lake.delta import is_delta
from lakeport.lake.layout import Lake
from lakeport.profiles.rules import junk_reason, normalised
from lakeport.profiles.tables import node_key, profile_id_of, read_dataset
from lakeport.spec.schema import iter_leaves
from lakeport.transforms.types import field_type

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

    from lakeport.config.model import Config, Dataset
    from lakeport.spec.profiles import MergePolicy


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


def primary_value(cfg: Config, d: Dataset) -> tuple[str, Column, Column]:
    """``(namespace, value, usable)``: a profile row's primary identity as matched (normalised),
    and whether it is an identity (present, not junk, within the length cap)."""
    from pyspark.sql import functions as F

    rules = cfg.profiles.identity_rules
    path, primary = next((p, s) for p, s in d.schema_spec.identities() if s.primary)
    raw = F.col(path).cast("string")
    value = normalised(rules, primary.namespace, raw)
    usable = (
        raw.isNotNull()
        & (raw != "")
        & junk_reason(rules, primary.namespace, value).isNull()
        & (F.length(value) <= cfg.profiles.guardrails.max_identity_length)
    )
    return primary.namespace, value, usable


def fragments_of(
    spark: SparkSession,
    cfg: Config,
    name: str,
    datasets: list[Dataset],
    leaves: list[tuple[str, str]],
    versions: dict[str, int],
    batches: set[str] | None = None,
) -> DataFrame:
    """The profile rows of the policy's datasets (of ``batches`` only, when given) with their
    primary identity (``_ns``, ``_id``, ``node_key``), ordering keys and attributes ``a<i>``."""
    from pyspark.sql import functions as F

    lake = Lake(cfg.lake_root)
    rank = {d.name: i for i, d in enumerate(datasets)}
    frames = []
    for d in datasets:
        path = lake.dataset_path(d.name)
        if not is_delta(spark, path):
            continue
        df = read_dataset(spark, path, versions.get(d.name))
        if batches is not None:
            df = df.where(F.col("_batch_id").isin(sorted(batches)) if batches else F.lit(False))
        namespace, value, usable = primary_value(cfg, d)
        own = {p for p, _ in iter_leaves(d.schema_spec.fields)}
        ordered_at = (
            F.coalesce(F.col(d.config.last_updated), F.col("_ingested_at"))
            if d.config.last_updated
            else F.col("_ingested_at")
        )
        cols = [
            F.lit(namespace).alias("_ns"),
            value.alias("_id"),
            node_key(F.lit(namespace), value).alias("node_key"),
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
        frames.append(df.where(usable).select(*cols))
    if not frames:
        raise ProfileBuildError(
            f"policy {name!r} merges {', '.join(d.name for d in datasets) or 'no dataset'}, and none "
            "of them has data yet; ingest a profile dataset first"
        )
    df = frames[0]
    for f in frames[1:]:
        df = df.unionByName(f)
    return df


def with_profile_ids(fragments: DataFrame, graph: DataFrame | None) -> DataFrame:
    """Fragments with their ``profile_id``: from the graph (``node_key, profile_id``), or, for
    ``identity_graph: none``, from their own primary identity."""
    from pyspark.sql import functions as F

    if graph is None:
        return fragments.withColumn("profile_id", profile_id_of(F.col("_ns"), F.col("_id")))
    return fragments.join(graph.select("node_key", "profile_id"), "node_key", "inner")


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
