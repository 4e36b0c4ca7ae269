"""The profile tables and the small helpers every profile step shares.

``<root>/identity_graph/`` (namespace, id) -> profile id; ``<root>/system/identity_links/`` the
links rows make; ``<root>/profiles/<policy>/`` one row per profile; ``system/profile_builds``
what each build covered; ``system/profile_merges`` profile ids that went into others.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from lakeport.errors import UsageError
from lakeport.lake.delta import read_table
from lakeport.spec.schema import iter_leaves

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

    from lakeport.config.model import Config, Dataset
    from lakeport.spec.profiles import MergePolicy

GRAPH_TARGET = "identity_graph"
IDENTITY_GRAPH_DDL = (
    "namespace string, id string, node_key long, profile_id string, graph_id long, "
    "graph_size int, first_dataset string, first_batch_id string, first_seen_at timestamp, "
    "updated_at timestamp, build_id string"
)
LINKS_DDL = (
    "src long, dst long, src_namespace string, src_id string, dst_namespace string, "
    "dst_id string, dataset string, batch_id string, ingested_at timestamp, status string, "
    "build_id string"
)
BUILDS_DDL = (
    "build_id string, target string, mode string, batches array<string>, fingerprint string, "
    "started_at timestamp, completed_at timestamp, status string, summary string, "
    "versions map<string,long>, dataset_batches map<string,array<string>>"
)
MERGES_DDL = (
    "build_id string, merged_profile_id string, into_profile_id string, merged_at timestamp"
)
PROFILE_SYSTEM_COLUMNS = ("_provenance", "_hash", "_updated_at", "_build_id")
NODE_ORDER = ("first_seen_at", "first_batch_id", "first_dataset", "namespace", "id")
LINK_ORDER = (
    "ingested_at",
    "batch_id",
    "dataset",
    "src_namespace",
    "src_id",
    "dst_namespace",
    "dst_id",
)


def identity_datasets(cfg: Config) -> list[Dataset]:
    """Profile and event datasets whose schema declares identities, in config order."""
    return [
        d
        for d in cfg.datasets.values()
        if d.schema_spec.class_ in ("profile", "event") and d.schema_spec.identities()
    ]


def resolve_policy(cfg: Config, name: str | None) -> tuple[str, MergePolicy]:
    policies = cfg.profiles.policies
    name = name or cfg.profiles.default_policy
    if name not in policies:
        raise UsageError(
            f"no merge policy {name!r} in {cfg.path} (profiles.policies); "
            f"use one of: {', '.join(policies)}"
        )
    return name, policies[name]


def profile_id_of(namespace: Column, value: Column) -> Column:
    """``p`` + 24 hex digits of sha256(namespace NUL value): the id of a profile's first identity."""
    from pyspark.sql import functions as F

    return F.concat(
        F.lit("p"), F.substring(F.sha2(F.concat_ws("\u0000", namespace, value), 256), 1, 24)
    )


def node_key(namespace: str | Column, value: str | Column) -> Column:
    from pyspark.sql import functions as F

    return F.xxhash64(namespace, value)


def fingerprint(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:16]


def graph_fingerprint(cfg: Config) -> str:
    return fingerprint(
        {
            "guardrails": cfg.profiles.guardrails.model_dump(),
            "identity_rules": cfg.profiles.identity_rules.model_dump(),
            "identities": {
                d.name: [(p, s.namespace, s.primary) for p, s in d.schema_spec.identities()]
                for d in identity_datasets(cfg)
            },
        }
    )


def policy_fingerprint(cfg: Config, policy: MergePolicy, datasets: list[Dataset]) -> str:
    return fingerprint(
        {
            "graph": graph_fingerprint(cfg),
            "policy": policy.model_dump(),
            "datasets": {
                d.name: {
                    "leaves": [(p, s.type) for p, s in iter_leaves(d.schema_spec.fields)],
                    "last_updated": d.config.last_updated,
                }
                for d in datasets
            },
        }
    )


def create_table(df: DataFrame, path: str, *, change_feed: bool = False) -> None:
    """Create a table that later builds MERGE into.

    Deletion vectors let a MERGE that changes a few hundred scattered rows mark them deleted
    instead of rewriting every data file that holds one, which is what keeps incremental builds
    cheap; the profile tables also keep a change feed for incremental exports.
    """
    writer = df.write.format("delta").option("delta.enableDeletionVectors", "true")
    if change_feed:
        writer = writer.option("delta.enableChangeDataFeed", "true")
    writer.mode("overwrite").save(path)


def read_or_empty(spark: SparkSession, path: str, ddl: str) -> DataFrame:
    return read_table(spark, path, ddl)


def read_dataset(spark: SparkSession, path: str, version: int | None = None) -> DataFrame:
    """A dataset's table, at ``version`` when given (the version a build's scope was read at)."""
    reader = spark.read.format("delta")
    if version is not None:
        reader = reader.option("versionAsOf", version)
    return reader.load(path)


def in_batches(df: DataFrame, column: str, batches: set[str] | None) -> DataFrame:
    from pyspark.sql import functions as F

    if batches is None:
        return df
    if not batches:
        return df.where(F.lit(False))
    return df.where(F.col(column).isin(sorted(batches)))


def policy_datasets(cfg: Config, policy: MergePolicy) -> list[Dataset]:
    """The datasets a policy merges, in precedence order for dataset_precedence."""
    profile_sets = [d for d in cfg.datasets.values() if d.schema_spec.class_ == "profile"]
    if policy.merge == "dataset_precedence":
        by_name = {d.name: d for d in profile_sets}
        return [by_name[n] for n in policy.datasets or [] if n in by_name]
    return profile_sets
