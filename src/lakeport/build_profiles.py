"""Job: identity graph + merge policies -> unified profiles; and profile lookup.

Rules (SEMANTICS.md, "Identities and profiles"):

- Every row of a ``profile`` or ``event`` dataset that carries two or more identities links them.
  Connected components over all links are identity graphs; one graph is one profile.
- Guardrails: values longer than ``max_identity_length`` are not identities; a record with more
  than ``max_identities_per_record`` identities links none of them (its primary identity still
  stands alone); links are replayed oldest first and a link that would grow a graph past
  ``max_identities_per_graph`` is dropped. Every drop is a row in ``system/errors`` (severity
  ``identity``) and a count in the build summary.
- A profile's id is derived from its earliest-seen identity (ingestion time, batch, dataset,
  namespace, value), so it is stable: a growing profile keeps its id, and when two profiles merge
  the older one's id survives (the other is recorded in ``system/profile_merges``).
- Merge policies write ``profiles/<policy>/`` (Delta, Change Data Feed on), one row per profile.

Incremental builds: the graph and each policy remember which batches they were built from
(``system/profile_builds``). When only new batches arrived, only the graphs those batches touch
are recomputed, and only the profiles whose content changed are rewritten (a Delta MERGE), so the
change feed holds exactly the changed and removed profiles. A replaced or removed batch, or a
changed guardrail, schema or policy, makes the next build a full one.

Runs under spark-submit too::

    spark-submit --py-files dist/jobs.zip jobs/build_profiles.py --config conf/lakeport.yaml

Example:
    >>> summary = build(spark, cfg)                       # every policy
    >>> lookup(spark, cfg, "email", "daniel@example.com")["attributes"]["person"]["firstName"]
    'Danny'
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import sys
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lakeport.config import Config, Dataset, MergePolicy, iter_leaves
from lakeport.errors import LakeportError, NotFoundError, UsageError
from lakeport.storage import lake as lk

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

log = logging.getLogger(__name__)

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
    "started_at timestamp, completed_at timestamp, status string, summary string"
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


class ProfileBuildError(LakeportError):
    code = "PROFILE_BUILD_FAILED"
    exit_code = 1


# --------------------------------------------------------------------------------------------
# Paths and small helpers
# --------------------------------------------------------------------------------------------


def graph_path(lake: lk.Lake) -> str:
    return lake._join("identity_graph")


def profiles_path(lake: lk.Lake, policy: str) -> str:
    return lake._join("profiles", policy)


def identity_datasets(cfg: Config) -> list[Dataset]:
    """Profile and event datasets whose schema declares identities, in config order."""
    return [
        d
        for d in cfg.datasets.values()
        if d.schema_spec.class_ in ("profile", "event") and d.schema_spec.identities()
    ]


def _policy(cfg: Config, name: str | None) -> tuple[str, MergePolicy]:
    policies = cfg.profiles.policies
    name = name or cfg.profiles.default_policy
    if name not in policies:
        raise UsageError(
            f"no merge policy {name!r} in {cfg.path} (profiles.policies); "
            f"use one of: {', '.join(policies)}"
        )
    return name, policies[name]


def _profile_id(namespace: Column, value: Column) -> Column:
    """``p`` + 24 hex digits of sha256(namespace NUL value): the id of a profile's first identity."""
    from pyspark.sql import functions as F

    return F.concat(
        F.lit("p"), F.substring(F.sha2(F.concat_ws("\u0000", namespace, value), 256), 1, 24)
    )


def _node_key(namespace: str | Column, value: str | Column) -> Column:
    from pyspark.sql import functions as F

    return F.xxhash64(namespace, value)


def _fingerprint(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _graph_fingerprint(cfg: Config) -> str:
    return _fingerprint(
        {
            "guardrails": cfg.profiles.guardrails.model_dump(),
            "identities": {
                d.name: [(p, s.namespace, s.primary) for p, s in d.schema_spec.identities()]
                for d in identity_datasets(cfg)
            },
        }
    )


def _policy_fingerprint(cfg: Config, policy: MergePolicy, datasets: list[Dataset]) -> str:
    return _fingerprint(
        {
            "graph": _graph_fingerprint(cfg),
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


def _create(df: DataFrame, path: str, *, change_feed: bool = False) -> None:
    """Create a table that later builds MERGE into.

    Deletion vectors let a MERGE that changes a few hundred scattered rows mark them deleted
    instead of rewriting every data file that holds one, which is what keeps incremental builds
    cheap; the profile tables also keep a change feed for incremental exports.
    """
    writer = df.write.format("delta").option("delta.enableDeletionVectors", "true")
    if change_feed:
        writer = writer.option("delta.enableChangeDataFeed", "true")
    writer.mode("overwrite").save(path)


def _read(spark: SparkSession, path: str, ddl: str) -> DataFrame:
    return lk.read_table(spark, path, ddl)


@dataclass
class _Run:
    """State of one ``build`` call: what earlier builds covered, and rows written at the end."""

    build_id: str
    last: dict[str, dict[str, Any]]  # target -> its last successful build row
    present: dict[str, frozenset[str]] = field(default_factory=dict)  # dataset -> batch ids
    builds: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)

    def record(
        self, target: str, scope: _Scope, fingerprint: str, started: Any, summary: dict[str, Any]
    ) -> None:
        """Remember a finished target: what it covered, for the next build to compare against."""
        self.builds.append(
            {
                "build_id": self.build_id,
                "target": target,
                "mode": scope.mode,
                "batches": sorted(scope.batches),
                "fingerprint": fingerprint,
                "started_at": started,
                "completed_at": lk.utc_now(),
                "status": "success",
                "summary": json.dumps(summary, default=str),
            }
        )


def _last_builds(spark: SparkSession, lake: lk.Lake) -> dict[str, dict[str, Any]]:
    """The latest successful build row of every target (one small read)."""
    from pyspark.sql import functions as F

    df = _read(spark, lake.system_path("profile_builds"), BUILDS_DDL).where("status = 'success'")
    latest = df.groupBy("target").agg(
        F.max_by(F.struct(*df.columns), F.struct("completed_at", "build_id")).alias("r")
    )
    return {r["target"]: r["r"].asDict() for r in latest.collect()}


def _flush(spark: SparkSession, lake: lk.Lake, run: _Run) -> None:
    """Append the build rows and the events of this run, one Delta commit each."""
    for rows, ddl, table in (
        (run.builds, BUILDS_DDL, "profile_builds"),
        (run.events, lk.EVENTS_DDL, "events"),
    ):
        if rows:
            schema = lk.struct_schema(ddl)
            df = spark.createDataFrame(
                [tuple(r.get(n) for n in schema.names) for r in rows], schema
            )
            lk.append_rows(df, lake.system_path(table))
            rows.clear()


def _present_batches(
    spark: SparkSession, cfg: Config, datasets: list[Dataset], run: _Run
) -> set[str]:
    """Batch ids whose rows are in these datasets now (the tables are the truth, not the catalog).

    Read once per dataset per build.
    """
    lake = lk.Lake(cfg.lake_root)
    out: set[str] = set()
    for d in datasets:
        if d.name not in run.present:
            path = lake.dataset_path(d.name)
            ids: frozenset[str] = frozenset()
            if lk.is_delta(spark, path):
                rows = spark.read.format("delta").load(path).select("_batch_id").distinct()
                ids = frozenset(r[0] for r in rows.collect())
            run.present[d.name] = ids
        out.update(run.present[d.name])
    return out


@dataclass
class _Scope:
    """What a build covers: every batch (full) or only new ones (incremental)."""

    mode: str  # "full" | "incremental" | "unchanged"
    batches: set[str]  # batches present now
    new: set[str]  # batches to read (all of them when full)
    reason: str


def _scope(
    last: dict[str, Any] | None, present: set[str], fingerprint: str, force_full: bool
) -> _Scope:
    if force_full:
        return _Scope("full", present, present, "a full build was asked for (--full)")
    if last is None:
        return _Scope("full", present, present, "first build")
    if last["fingerprint"] != fingerprint:
        return _Scope(
            "full", present, present, "guardrails, identities, schemas or the policy changed"
        )
    before = set(last["batches"] or [])
    gone = before - present
    if gone:
        return _Scope(
            "full",
            present,
            present,
            f"{len(gone)} batch(es) were replaced or removed since the last build "
            f"(e.g. {sorted(gone)[0]})",
        )
    new = present - before
    if not new:
        return _Scope("unchanged", present, set(), "no new batches since the last build")
    return _Scope("incremental", present, new, f"{len(new)} new batch(es)")


def _in_batches(df: DataFrame, column: str, batches: set[str] | None) -> DataFrame:
    from pyspark.sql import functions as F

    if batches is None:
        return df
    if not batches:
        return df.where(F.lit(False))
    return df.where(F.col(column).isin(sorted(batches)))


# --------------------------------------------------------------------------------------------
# Identities from the datasets
# --------------------------------------------------------------------------------------------


def identity_records(
    spark: SparkSession, cfg: Config, batches: set[str] | None = None
) -> DataFrame | None:
    """One row per dataset record with identities: ``valid``, ``too_long``, ``over_cap``, ``raw``.

    ``valid`` holds ``struct(namespace, id, field, primary)`` for each present identity no longer
    than the cap, primary first. None when no dataset with identities has a table yet.
    """
    from pyspark.sql import functions as F

    lake = lk.Lake(cfg.lake_root)
    guard = cfg.profiles.guardrails
    frames = []
    for d in identity_datasets(cfg):
        path = lake.dataset_path(d.name)
        if not lk.is_delta(spark, path):
            continue
        specs = sorted(d.schema_spec.identities(), key=lambda ps: not ps[1].primary)
        df = _in_batches(spark.read.format("delta").load(path), "_batch_id", batches)
        ids = F.array(
            *[
                F.struct(
                    F.lit(spec.namespace).alias("namespace"),
                    F.col(p).cast("string").alias("id"),
                    F.lit(p).alias("field"),
                    F.lit(spec.primary).alias("primary"),
                )
                for p, spec in specs
            ]
        )
        present = F.filter(ids, lambda x: x["id"].isNotNull() & (x["id"] != ""))
        frames.append(
            df.select(
                F.lit(d.name).alias("dataset"),
                F.col("_batch_id").alias("batch_id"),
                F.col("_ingested_at").alias("ingested_at"),
                F.col("_source_file").alias("source_file"),
                present.alias("ids"),
                F.to_json(F.struct(*[F.col(p).alias(p) for p, _ in specs])).alias("raw"),
            )
        )
    if not frames:
        return None
    df = frames[0]
    for f in frames[1:]:
        df = df.unionByName(f)
    too_long = F.filter("ids", lambda x: F.length(x["id"]) > guard.max_identity_length)
    valid = F.filter("ids", lambda x: F.length(x["id"]) <= guard.max_identity_length)
    return (
        df.withColumn("too_long", too_long)
        .withColumn("valid", valid)
        .withColumn("over_cap", F.size("valid") > guard.max_identities_per_record)
        .drop("ids")
    )


def _occurrences(records: DataFrame) -> DataFrame:
    """Identity occurrences (nodes): every valid identity; only the primary of over-cap records."""
    from pyspark.sql import functions as F

    nodes = F.when(F.col("over_cap"), F.filter("valid", lambda x: x["primary"])).otherwise(
        F.col("valid")
    )
    return records.select("dataset", "batch_id", "ingested_at", F.explode(nodes).alias("n")).select(
        F.col("n.namespace").alias("namespace"),
        F.col("n.id").alias("id"),
        "dataset",
        "batch_id",
        "ingested_at",
    )


def _record_links(records: DataFrame) -> DataFrame:
    """Links: each record's first identity to each of its others, normalised src < dst."""
    from pyspark.sql import functions as F

    linking = records.where(~F.col("over_cap") & (F.size("valid") >= 2))
    pairs = linking.select(
        "dataset",
        "batch_id",
        "ingested_at",
        F.col("valid")[0].alias("a"),
        F.posexplode("valid").alias("pos", "b"),
    ).where("pos > 0")
    a_key = _node_key(F.col("a.namespace"), F.col("a.id"))
    b_key = _node_key(F.col("b.namespace"), F.col("b.id"))
    swap = a_key > b_key
    return pairs.select(
        F.least(a_key, b_key).alias("src"),
        F.greatest(a_key, b_key).alias("dst"),
        F.when(swap, F.col("b.namespace")).otherwise(F.col("a.namespace")).alias("src_namespace"),
        F.when(swap, F.col("b.id")).otherwise(F.col("a.id")).alias("src_id"),
        F.when(swap, F.col("a.namespace")).otherwise(F.col("b.namespace")).alias("dst_namespace"),
        F.when(swap, F.col("a.id")).otherwise(F.col("b.id")).alias("dst_id"),
        "dataset",
        "batch_id",
        "ingested_at",
    ).where("src <> dst")


def _first(df: DataFrame, keys: list[str], order: tuple[str, ...], rest: list[str]) -> DataFrame:
    """The earliest row per key by ``order`` (a deterministic min over a struct)."""
    from pyspark.sql import functions as F

    cols = list(dict.fromkeys([*order, *rest]))
    picked = df.groupBy(*keys).agg(F.min(F.struct(*[F.col(c) for c in cols])).alias("_m"))
    return picked.select(*keys, *[F.col(f"_m.{c}").alias(c) for c in cols if c not in keys])


def _identity_errors(records: DataFrame, build_id: str, now: Any) -> DataFrame:
    """Rows for system/errors: identity values over the length cap, records over the id cap."""
    from pyspark.sql import functions as F

    guard_len = "identity values longer than the cap are ignored"
    long_errors = F.transform(
        "too_long",
        lambda x: F.struct(
            F.lit("IDENTITY_TOO_LONG").alias("code"),
            x["field"].alias("field"),
            F.concat(
                F.lit("the "),
                x["namespace"],
                F.lit(" value is "),
                F.length(x["id"]).cast("string"),
                F.lit(f" characters; {guard_len} (profiles.guardrails.max_identity_length)"),
            ).alias("message"),
        ),
    )
    over = F.when(
        F.col("over_cap"),
        F.array(
            F.struct(
                F.lit("IDENTITY_RECORD_OVER_CAP").alias("code"),
                F.lit(None).cast("string").alias("field"),
                F.concat(
                    F.lit("the record has "),
                    F.size("valid").cast("string"),
                    F.lit(
                        " identities, more than profiles.guardrails.max_identities_per_record; "
                        "none of them is linked (its primary identity stands alone)"
                    ),
                ).alias("message"),
            )
        ),
    ).otherwise(F.array().cast(lk.ERROR_STRUCT))
    errors = F.concat(long_errors, over)
    return records.where((F.size("too_long") > 0) | F.col("over_cap")).select(
        F.col("batch_id"),
        "dataset",
        F.lit("identity").alias("severity"),
        errors.cast(lk.ERROR_STRUCT).alias("errors"),
        "raw",
        "source_file",
        F.lit(None).cast("long").alias("line"),
        F.lit(now).cast("timestamp").alias("recorded_at"),
    )


def _drop_errors(dropped: DataFrame, cap: int, now: Any) -> DataFrame:
    from pyspark.sql import functions as F

    return dropped.select(
        "batch_id",
        "dataset",
        F.lit("identity").alias("severity"),
        F.array(
            F.struct(
                F.lit("IDENTITY_GRAPH_OVER_CAP").alias("code"),
                F.lit(None).cast("string").alias("field"),
                F.lit(
                    f"linking these identities would put more than {cap} identities in one graph "
                    "(profiles.guardrails.max_identities_per_graph); the link was dropped"
                ).alias("message"),
            )
        )
        .cast(lk.ERROR_STRUCT)
        .alias("errors"),
        F.concat_ws(
            "",
            "src_namespace",
            F.lit(":"),
            "src_id",
            F.lit(" <-> "),
            "dst_namespace",
            F.lit(":"),
            "dst_id",
        ).alias("raw"),
        F.lit(None).cast("string").alias("source_file"),
        F.lit(None).cast("long").alias("line"),
        F.lit(now).cast("timestamp").alias("recorded_at"),
    )


# --------------------------------------------------------------------------------------------
# The identity graph
# --------------------------------------------------------------------------------------------


def build_graph(
    spark: SparkSession, cfg: Config, run: _Run, *, force_full: bool = False
) -> dict[str, Any]:
    """Update ``identity_graph`` from the datasets; returns the graph part of the summary."""
    from delta.tables import DeltaTable
    from pyspark.sql import functions as F

    from lakeport.profiles.graph import capped_components, connected_components

    lake = lk.Lake(cfg.lake_root)
    guard = cfg.profiles.guardrails
    started = lk.utc_now()
    fingerprint = _graph_fingerprint(cfg)
    build_id = run.build_id
    present = _present_batches(spark, cfg, identity_datasets(cfg), run)
    scope = _scope(run.last.get(GRAPH_TARGET), present, fingerprint, force_full)
    gpath, lpath = graph_path(lake), lake.system_path("identity_links")
    summary: dict[str, Any] = {"mode": scope.mode, "reason": scope.reason}
    if scope.mode == "unchanged" and lk.is_delta(spark, gpath):
        return summary
    full = scope.mode != "incremental"
    records = identity_records(spark, cfg, None if full else scope.new)
    if records is None:
        raise ProfileBuildError(
            "no profile or event dataset with identities has any data yet; ingest a batch first "
            "(lakeport ingest --dataset <name> <files>)"
        )
    records = records.localCheckpoint()
    now = lk.utc_now()

    new_nodes = _first(
        _occurrences(records), ["namespace", "id"], ("ingested_at", "batch_id", "dataset"), []
    ).select(
        "namespace",
        "id",
        _node_key(F.col("namespace"), F.col("id")).alias("node_key"),
        F.col("dataset").alias("first_dataset"),
        F.col("batch_id").alias("first_batch_id"),
        F.col("ingested_at").alias("first_seen_at"),
    )
    new_links = _first(_record_links(records), ["src", "dst"], LINK_ORDER, [])
    old_graph = _read(spark, gpath, IDENTITY_GRAPH_DDL)
    old_links = _read(spark, lpath, LINKS_DDL)
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
        links = _first(scoped_old_links.unionByName(new_links), ["src", "dst"], LINK_ORDER, [])
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
        _profile_id(F.col("namespace"), F.col("id")).alias("profile_id"),
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
    if not lk.is_delta(spark, gpath):
        _create(new_graph, gpath)
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
    if not lk.is_delta(spark, lpath):
        _create(link_rows, lpath)
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
    errors = _identity_errors(records, build_id, now).unionByName(
        _drop_errors(
            _in_batches(dropped_links, "batch_id", None if full else scope.new),
            guard.max_identities_per_graph,
            now,
        )
    )
    epath = lake.system_path("errors")
    where = "severity = 'identity'"
    if not full:
        where += " AND batch_id IN (" + ", ".join(lk.sql_string(b) for b in scope.new) + ")"
    if lk.is_delta(spark, epath):
        lk._retry(
            lambda: (
                errors.write.format("delta")
                .mode("overwrite")
                .option("replaceWhere", where)
                .save(epath)
            )
        )
    else:
        lk.append_rows(errors, epath)
    merge_count = merges.count()
    if merge_count:
        lk.append_rows(merges, lake.system_path("profile_merges"))

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
            "deltaVersion": lk.delta_version(spark, gpath),
        }
    )
    run.record(GRAPH_TARGET, scope, fingerprint, started, summary)
    return summary


# --------------------------------------------------------------------------------------------
# Merge policies
# --------------------------------------------------------------------------------------------


def policy_datasets(cfg: Config, policy: MergePolicy) -> list[Dataset]:
    """The datasets a policy merges, in precedence order for dataset_precedence."""
    profile_sets = [d for d in cfg.datasets.values() if d.schema_spec.class_ == "profile"]
    if policy.merge == "dataset_precedence":
        by_name = {d.name: d for d in profile_sets}
        return [by_name[n] for n in policy.datasets or [] if n in by_name]
    return profile_sets


def _attribute_leaves(datasets: list[Dataset]) -> list[tuple[str, str]]:
    """(dot path, Spark type) of every attribute, first dataset's order first."""
    from lakeport.model.schema import field_type

    out: dict[str, str] = {}
    for d in datasets:
        for path, spec in iter_leaves(d.schema_spec.fields):
            out.setdefault(path, field_type(spec).simpleString())
    return list(out.items())


def _nest(leaves: list[tuple[str, Column]]) -> list[Column]:
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


def _fragments(
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

    lake = lk.Lake(cfg.lake_root)
    guard = cfg.profiles.guardrails
    rank = {d.name: i for i, d in enumerate(datasets)}
    frames = []
    for d in datasets:
        path = lake.dataset_path(d.name)
        if not lk.is_delta(spark, path):
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
        return df.withColumn("profile_id", _profile_id(F.col("_ns"), F.col("_id")))
    key = _node_key(F.col("_ns"), F.col("_id"))
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


def _profile_rows(
    merged: DataFrame,
    identities: DataFrame,
    leaves: list[tuple[str, str]],
    build_id: str,
    now: Any,
) -> DataFrame:
    from pyspark.sql import functions as F

    attrs = _nest([(p, F.col(f"w{i}.v")) for i, (p, _) in enumerate(leaves)])
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
    run: _Run,
    *,
    force_full: bool = False,
) -> dict[str, Any]:
    """Write ``profiles/<name>`` for one policy; returns its part of the summary."""
    from delta.tables import DeltaTable
    from pyspark.sql import functions as F

    _, policy = _policy(cfg, name)
    lake = lk.Lake(cfg.lake_root)
    started = lk.utc_now()
    target = f"profiles/{name}"
    datasets = policy_datasets(cfg, policy)
    leaves = _attribute_leaves(datasets)
    stitched = policy.identity_graph == "stitched"
    fingerprint = _policy_fingerprint(cfg, policy, datasets)
    watched = identity_datasets(cfg) if stitched else datasets
    build_id = run.build_id
    present = _present_batches(spark, cfg, watched, run)
    ppath = profiles_path(lake, name)
    scope = _scope(run.last.get(target), present, fingerprint, force_full)
    summary: dict[str, Any] = {"policy": name, "mode": scope.mode, "reason": scope.reason}
    if scope.mode == "unchanged" and lk.is_delta(spark, ppath):
        summary["deltaVersion"] = lk.delta_version(spark, ppath)
        return summary
    full = scope.mode != "incremental"
    now = lk.utc_now()
    graph = spark.read.format("delta").load(graph_path(lake)) if stitched else None
    fragments = _fragments(spark, cfg, name, policy, datasets, leaves, graph)

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
            _occurrences(records)
            .select(_node_key(F.col("namespace"), F.col("id")).alias("node_key"))
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
                        _node_key(F.col("_ns"), F.col("_id")).alias("node_key"), "profile_id"
                    ),
                    "node_key",
                )
                .select("profile_id")
                .distinct()
            )
        existing = spark.read.format("delta").load(ppath)
        affected_old = (
            existing.select("profile_id", F.explode("identities").alias("i"))
            .select("profile_id", _node_key(F.col("i.namespace"), F.col("i.id")).alias("node_key"))
            .join(touched, "node_key", "left_semi")
            .select("profile_id")
            .distinct()
        )
        identities = identities_all.join(affected, "profile_id", "left_semi")
        fragments = fragments.join(affected, "profile_id", "left_semi")
    merged = merge_profiles(fragments, policy, leaves)
    rows = _profile_rows(merged, identities, leaves, build_id, now).localCheckpoint()

    if not lk.is_delta(spark, ppath):
        _create(rows, ppath, change_feed=True)
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
    version = lk.delta_version(spark, ppath)
    summary.update({"profilesWritten": rows.count(), "deltaVersion": version})
    run.record(target, scope, fingerprint, started, summary)
    return summary


# --------------------------------------------------------------------------------------------
# The job
# --------------------------------------------------------------------------------------------


def _event(
    run: _Run,
    kind: str,
    status: str,
    target: str,
    started: Any,
    count: int = 0,
    error: str | None = None,
) -> None:
    suffix = {"success": "success", "failed": "failure"}[status]
    run.events.append(
        {
            "event_id": f"{run.build_id}:{target}:{suffix}",
            "event_type": f"{kind}_load_{suffix}",
            "batch_id": run.build_id,
            "dataset": target,
            "status": status,
            "input_format": None,
            "started_at": started,
            "completed_at": lk.utc_now(),
            "success_count": count,
            "failed_count": 0,
            "error_summary": {"PROFILE_BUILD_FAILED": 1} if error else {},
            "emitted_at": lk.utc_now(),
        }
    )


def build(
    spark: SparkSession,
    cfg: Config,
    policy: str | None = None,
    *,
    force_full: bool = False,
) -> dict[str, Any]:
    """Update the identity graph, then the profiles of one policy (or of every policy).

    Args:
        policy: build only this policy (default: every configured policy).
        force_full: recompute everything even when only new batches arrived.

    Returns:
        ``{"buildId", "identityGraph": {...}, "policies": {name: {...}}, "durationSeconds"}``.

    Raises:
        ProfileBuildError: nothing to build from, or a Spark failure (events record it).
    """
    t0 = time.monotonic()
    build_id = f"pb{lk.utc_now():%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
    names = [_policy(cfg, policy)[0]] if policy else list(cfg.profiles.policies)
    lake = lk.Lake(cfg.lake_root)
    run = _Run(build_id, _last_builds(spark, lake))
    out: dict[str, Any] = {"buildId": build_id, "policies": {}}
    needs_graph = any(cfg.profiles.policies[n].identity_graph == "stitched" for n in names)
    steps: list[tuple[str, str]] = ([("ig", GRAPH_TARGET)] if needs_graph else []) + [
        ("ps", f"profiles/{n}") for n in names
    ]
    try:
        for kind, target in steps:
            started = lk.utc_now()
            try:
                if kind == "ig":
                    part = build_graph(spark, cfg, run, force_full=force_full)
                    out["identityGraph"] = part
                    count = int(part.get("identitiesInScope") or 0)
                else:
                    name = target.split("/", 1)[1]
                    part = build_policy(spark, cfg, name, run, force_full=force_full)
                    out["policies"][name] = part
                    count = int(part.get("profilesWritten") or 0)
            except LakeportError as exc:
                _event(run, kind, "failed", target, started, error=exc.message)
                raise
            except Exception as exc:
                from lakeport.storage.fs import jvm_message

                message = jvm_message(exc)
                _event(run, kind, "failed", target, started, error=message)
                raise ProfileBuildError(
                    f"building {target} failed: {message}; the previous tables are unchanged "
                    "(each table is written in one Delta commit); fix the cause and re-run"
                ) from exc
            _event(run, kind, "success", target, started, count=count)
    finally:
        _flush(spark, lake, run)  # what finished is recorded even when a later step failed
    out["durationSeconds"] = round(time.monotonic() - t0, 2)
    return out


# --------------------------------------------------------------------------------------------
# Lookup
# --------------------------------------------------------------------------------------------


def _namespaces(cfg: Config) -> list[str]:
    return sorted(
        {s.namespace for d in identity_datasets(cfg) for _, s in d.schema_spec.identities()}
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
) -> dict[str, Any]:
    """The merged profile that holds identity ``namespace:value``, as a JSON-ready dict.

    Raises:
        NotFoundError: no profiles built for the policy, or no profile holds the identity.
    """
    from pyspark.sql import functions as F

    name, spec = _policy(cfg, policy)
    lake = lk.Lake(cfg.lake_root)
    ppath = profiles_path(lake, name)
    if namespace not in _namespaces(cfg):
        raise UsageError(
            f"no identity namespace {namespace!r} in the schemas; use one of: "
            f"{', '.join(_namespaces(cfg)) or '(none declared)'}"
        )
    if not lk.is_delta(spark, ppath):
        raise NotFoundError(
            f"no profiles built for policy {name!r} at {ppath}; run 'lakeport profiles build "
            f"--policy {name}' first"
        )
    profiles = spark.read.format("delta").load(ppath)
    wanted = F.struct(F.lit(namespace).alias("namespace"), F.lit(value).alias("id"))
    row = profiles.where(F.array_contains("identities", wanted)).limit(1).collect()
    if not row:
        raise NotFoundError(
            f"no profile holds identity {namespace}:{value!r} under policy {name!r}; check the "
            "value (identities are case-sensitive) and that its batch was ingested before the "
            "last 'lakeport profiles build'"
        )
    data = row[0].asDict(recursive=True)
    provenance = data.pop("_provenance") or {}
    for c in PROFILE_SYSTEM_COLUMNS:
        data.pop(c, None)
    profile_id = data.pop("profile_id")
    identities = data.pop("identities")

    def clean(v: Any) -> Any:
        if isinstance(v, dict):
            kept = {k: clean(x) for k, x in v.items()}
            return {k: x for k, x in kept.items() if x is not None} or None
        if hasattr(v, "isoformat"):
            text = v.isoformat()
            return text + "Z" if "T" in text else text
        return v

    out: dict[str, Any] = {
        "profileId": profile_id,
        "policy": name,
        "merge": spec.merge,
        "identities": [{"namespace": i["namespace"], "id": i["id"]} for i in identities],
        "attributes": clean(data) or {},
        "sources": {
            path: {
                "dataset": p["dataset"],
                "batchId": p["batch_id"],
                "ingestedAt": clean(p["ingested_at"]),
            }
            for path, p in sorted(provenance.items())
        },
    }
    if events:
        out["events"] = profile_events(spark, cfg, identities, events_limit)
    return out


def profile_events(
    spark: SparkSession, cfg: Config, identities: list[dict[str, str]], limit: int = 100
) -> list[dict[str, Any]]:
    """Events of every event dataset that carry one of these identities, oldest first."""
    from pyspark.sql import functions as F

    lake = lk.Lake(cfg.lake_root)
    by_ns: dict[str, list[str]] = {}
    for i in identities:
        by_ns.setdefault(i["namespace"], []).append(i["id"])
    frames = []
    for d in cfg.datasets.values():
        if d.schema_spec.class_ != "event":
            continue
        path = lake.dataset_path(d.name)
        conds = [
            F.col(p).cast("string").isin(by_ns[s.namespace])
            for p, s in d.schema_spec.identities()
            if s.namespace in by_ns
        ]
        if not conds or not lk.is_delta(spark, path):
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


def main(argv: list[str] | None = None) -> int:
    """spark-submit entry point: ``jobs/build_profiles.py [--config F] [--lake L] [--policy P]``."""
    from lakeport import cli

    return cli.main(["profiles", "build", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
