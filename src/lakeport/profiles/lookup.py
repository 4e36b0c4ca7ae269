"""Profile lookup: the merged profile that holds one identity, and its events."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from lakeport.errors import NotFoundError, UsageError
from lakeport.lake.delta import is_delta
from lakeport.lake.layout import Lake
from lakeport.profiles.results import Profile
from lakeport.profiles.rules import normalise_value, normalised
from lakeport.profiles.tables import identity_datasets, resolve_policy

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from lakeport.config.model import Config


def namespaces(cfg: Config) -> list[str]:
    return sorted(
        {s.namespace for d in identity_datasets(cfg) for _, s in d.schema_spec.identities()}
    )


def check_namespace(cfg: Config, namespace: str) -> None:
    """A lookup's namespace is one the schemas declare (the Spark and the read-only lookup).

    Raises:
        UsageError: an unknown namespace, with the declared ones.
    """
    if namespace not in namespaces(cfg):
        raise UsageError(
            f"no identity namespace {namespace!r} in the schemas; use one of: "
            f"{', '.join(namespaces(cfg)) or '(none declared)'}"
        )


def not_built(name: str, path: str) -> NotFoundError:
    """The error of a lookup under a policy whose profiles were never built."""
    return NotFoundError(
        f"no profiles built for policy {name!r} at {path}; run 'lakeport profiles build "
        f"--policy {name}' first"
    )


def not_held(namespace: str, value: str, name: str) -> NotFoundError:
    """The error of a lookup whose identity no profile holds."""
    return NotFoundError(
        f"no profile holds identity {namespace}:{value!r} under policy {name!r}; check the "
        "value (identities are case-sensitive) and that its batch was ingested before the "
        "last 'lakeport profiles build'"
    )


def lookup(
    spark: SparkSession,
    cfg: Config,
    namespace: str,
    value: str,
    policy: str | None = None,
    *,
    events: bool = False,
    events_limit: int = 100,
) -> Profile:
    """The merged profile that holds identity ``namespace:value`` (and its events on request).

    The value is normalised as the namespace's identities are (``profiles.identity_rules``).

    Raises:
        NotFoundError: no profiles built for the policy, or no profile holds the identity.
    """
    from pyspark.sql import functions as F

    name, spec = resolve_policy(cfg, policy)
    lake = Lake(cfg.lake_root)
    ppath = lake.profiles_path(name)
    check_namespace(cfg, namespace)
    if not is_delta(spark, ppath):
        raise not_built(name, ppath)
    profiles = spark.read.format("delta").load(ppath)
    value = normalise_value(cfg.profiles.identity_rules, namespace, value)
    wanted = F.struct(F.lit(namespace).alias("namespace"), F.lit(value).alias("id"))
    row = profiles.where(F.array_contains("identities", wanted)).limit(1).collect()
    if not row:
        raise not_held(namespace, value, name)
    return Profile.from_row(
        row[0].asDict(recursive=True),
        policy=name,
        merge=spec.merge,
        events=(lambda ids: profile_events(spark, cfg, ids, events_limit)) if events else None,
    )


def profile_events(
    spark: SparkSession, cfg: Config, identities: list[dict[str, str]], limit: int = 100
) -> list[dict[str, Any]]:
    """Events of every event dataset that carry one of these identities (matched normalised),
    oldest first."""
    from pyspark.sql import functions as F

    lake = Lake(cfg.lake_root)
    by_ns: dict[str, list[str]] = {}
    for i in identities:
        by_ns.setdefault(i["namespace"], []).append(i["id"])
    frames = []
    for d in cfg.datasets.values():
        if d.schema_spec.class_ != "event":
            continue
        path = lake.dataset_path(d.name)
        rules = cfg.profiles.identity_rules
        conds = [
            normalised(rules, s.namespace, F.col(p).cast("string")).isin(by_ns[s.namespace])
            for p, s in d.schema_spec.identities()
            if s.namespace in by_ns
        ]
        if not conds or not is_delta(spark, path):
            continue
        cond = conds[0]
        for c in conds[1:]:
            cond = cond | c
        df = spark.read.format("delta").load(path).where(cond)
        body = [c for c in df.columns if not c.startswith("_") or c == "_id"]
        frames.append(
            df.select(
                F.col("timestamp").alias("_ts"),
                F.to_json(
                    F.struct(
                        F.lit(d.name).alias("dataset"),
                        F.col("_batch_id").alias("batchId"),
                        *[F.col(f"`{c}`") for c in body],
                    ),
                    {"timestampFormat": "yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'"},
                ).alias("_json"),
            )
        )
    if not frames:
        return []
    df = frames[0]
    for f in frames[1:]:
        df = df.unionByName(f)
    rows = df.orderBy("_ts", "_json").limit(limit).collect()
    return [json.loads(r["_json"]) for r in rows]
