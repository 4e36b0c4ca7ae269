"""What a profile build covers: the batches earlier builds saw, and full or incremental scope.

Each target (the identity graph, each policy's profiles) remembers in ``system/profile_builds``
the batches it was built from, per dataset, with each dataset's Delta version and a fingerprint
of the config; the next build compares: only new batches -> incremental, anything replaced or
changed -> full.

Which batches a dataset holds is read without scanning it: a dataset whose Delta version did
not move holds what it held; one that moved is explained by the batch catalog
(``system/batches``: each successful batch records the version its commit made, replays mark
their predecessors ``replaced``). Only when a version is not accounted for (a write outside
lakeport's pipeline, or a crash between a commit and its catalog row) and its history does not
show a commit that leaves the data as it was (OPTIMIZE, VACUUM, table properties) is the
dataset's ``_batch_id`` column read.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lakeport.lake.clock import utc_now
from lakeport.lake.delta import append_rows, delta_version
from lakeport.lake.events import Event, emit
from lakeport.lake.layout import Lake
from lakeport.lake.tables import BATCHES_DDL, struct_schema
from lakeport.lake.threads import concurrently
from lakeport.profiles.tables import BUILDS_DDL, GRAPH_TARGET, read_or_empty

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from lakeport.config.model import Config, Dataset

log = logging.getLogger(__name__)

# commits that change no row (Delta's operation names in the table history)
NO_DATA_CHANGE = frozenset(
    {
        "OPTIMIZE",
        "VACUUM START",
        "VACUUM END",
        "SET TBLPROPERTIES",
        "UNSET TBLPROPERTIES",
        "UPGRADE PROTOCOL",
        "ADD CONSTRAINT",
        "DROP CONSTRAINT",
        "REORG",
        "CHANGE COLUMN",
        "ADD COLUMNS",
        "SET COLUMN COMMENT",
    }
)


@dataclass(frozen=True)
class GraphWrite:
    """The identity graph build of a run: ``rows`` (namespace, id, node_key, profile_id) are its
    in-scope graph rows as committed, from graph version ``before`` to ``after``, covering the
    new batches ``batches`` (every batch, for a full build)."""

    before: int | None
    after: int | None
    batches: frozenset[str]
    rows: DataFrame


@dataclass
class BuildRun:
    """State of one ``build`` call: what earlier builds covered, and rows written at the end."""

    build_id: str
    last: dict[str, dict[str, Any]]  # target -> its last successful build row
    present: dict[str, frozenset[str]] = field(default_factory=dict)  # dataset -> batch ids
    versions: dict[str, int | None] = field(default_factory=dict)  # dataset -> Delta version
    catalog: dict[str, tuple[str, str, int | None]] | None = None  # batch -> (dataset, status, v)
    builds: list[dict[str, Any]] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    graph_written: GraphWrite | None = None  # what this run's graph build wrote, for policies

    def scoped_graph(self, scope: Scope, last: dict[str, Any]) -> DataFrame | None:
        """The graph rows an incremental policy build needs, without a scan of the graph table.

        Only when this run's graph build holds them all: the policy reads the version that build
        wrote, its last build read the version that build started from (so the graph's change
        feed since then is that build's MERGE alone), and the policy's new batches are among the
        graph build's. Then every profile the policy recomputes lies in a graph the graph build
        had in scope, and each of its identities is a row of that build's frame. None otherwise.
        """
        w = self.graph_written
        if w is None or scope.mode != "incremental":
            return None
        versions = last.get("versions") or {}
        if scope.versions.get(GRAPH_TARGET) != w.after or versions.get(GRAPH_TARGET) != w.before:
            return None
        if not scope.new <= w.batches:
            return None
        return w.rows

    def record(
        self, target: str, scope: Scope, fingerprint: str, started: Any, summary: dict[str, Any]
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
                "completed_at": utc_now(),
                "status": "success",
                "summary": json.dumps(summary, default=str),
                "versions": dict(scope.versions),
                "dataset_batches": {d: sorted(b) for d, b in scope.dataset_batches.items()},
            }
        )


class Phases:
    """Seconds between marks, for the build summary's ``phaseSeconds`` (Spark is lazy: a phase
    ends at the action that forces it)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._at = time.monotonic()

    def mark(self, name: str) -> None:
        now = time.monotonic()
        self.seconds[name] = round(self.seconds.get(name, 0.0) + now - self._at, 2)
        self._at = now


@dataclass
class Scope:
    """What a build covers: every batch (full) or only new ones (incremental)."""

    mode: str  # "full" | "incremental" | "unchanged"
    batches: set[str]  # batches present now
    new: set[str]  # batches to read (all of them when full)
    reason: str
    versions: dict[str, int] = field(default_factory=dict)  # what was read: dataset -> version
    dataset_batches: dict[str, set[str]] = field(default_factory=dict)


def last_builds(spark: SparkSession, lake: Lake) -> dict[str, dict[str, Any]]:
    """The latest successful build row of every target (by completion time, then build id).

    One row per target reaches the driver, however many builds the table holds (a stream that
    builds profiles from every micro-batch adds rows all day)."""
    from pyspark.sql import functions as F

    df = read_or_empty(spark, lake.system_path("profile_builds"), BUILDS_DDL)
    latest = (
        df.where("status = 'success'")
        .groupBy("target")
        .agg(
            F.max_by(F.struct(*df.columns), F.struct("completed_at", "build_id")).alias("b"),
        )
    )
    return {r["target"]: r["b"].asDict() for r in latest.collect()}


def flush(spark: SparkSession, cfg: Config, run: BuildRun) -> None:
    """Append the build rows (one commit), then emit the events of this run (one commit)."""
    lake = Lake(cfg.lake_root)
    if run.builds:
        schema = struct_schema(BUILDS_DDL)
        rows = [tuple(r.get(n) for n in schema.names) for r in run.builds]
        # merge_schema: a builds table of an older lakeport gains the per-dataset columns
        append_rows(
            spark.createDataFrame(rows, schema),
            lake.system_path("profile_builds"),
            merge_schema=True,
        )
    run.builds.clear()
    emit(spark, lake, run.events, cfg.events.webhook)
    run.events.clear()


def dataset_version(spark: SparkSession, cfg: Config, name: str, run: BuildRun) -> int | None:
    """The dataset's Delta version as this build reads it (looked up once per build)."""
    if name not in run.versions:
        run.versions[name] = delta_version(spark, Lake(cfg.lake_root).dataset_path(name))
    return run.versions[name]


def read_catalog(spark: SparkSession, lake: Lake) -> dict[str, tuple[str, str, int | None]]:
    """Each batch's latest state in the catalog: batch -> (dataset, status, delta_version)."""
    from pyspark.sql import functions as F

    df = read_or_empty(spark, lake.system_path("batches"), BATCHES_DDL)
    # one row per batch reaches the driver: its newest (highest seq) catalog row
    latest = df.groupBy("batch_id").agg(
        F.max_by(F.struct("dataset", "status", "delta_version"), F.coalesce("seq", F.lit(0))).alias(
            "s"
        )
    )
    return {
        r["batch_id"]: (r["s"]["dataset"], r["s"]["status"], r["s"]["delta_version"])
        for r in latest.collect()
    }


def start_run(spark: SparkSession, lake: Lake, build_id: str) -> BuildRun:
    """A build's state: the last build of every target and the batch catalog, read at once
    (two small scans whose fixed work overlaps; an incremental build needs both)."""
    last, catalog = concurrently(
        lambda: last_builds(spark, lake), lambda: read_catalog(spark, lake), name="lakeport-state"
    )
    return BuildRun(build_id, last, catalog=catalog)


def _catalog(
    spark: SparkSession, cfg: Config, run: BuildRun
) -> dict[str, tuple[str, str, int | None]]:
    """The catalog as this build reads it (once per build)."""
    if run.catalog is None:
        run.catalog = read_catalog(spark, Lake(cfg.lake_root))
    return run.catalog


def _scan(spark: SparkSession, cfg: Config, name: str, version: int) -> frozenset[str]:
    path = Lake(cfg.lake_root).dataset_path(name)
    df = spark.read.format("delta").option("versionAsOf", version).load(path)
    return frozenset(r[0] for r in df.select("_batch_id").distinct().collect())


def _unexplained(
    spark: SparkSession, cfg: Config, name: str, versions: set[int], now: int
) -> set[int]:
    """Versions of ``versions`` whose commit is not one that leaves the rows as they were."""
    from delta.tables import DeltaTable

    path = Lake(cfg.lake_root).dataset_path(name)
    history = DeltaTable.forPath(spark, path).history(now - min(versions) + 1)
    ops = {
        int(r["version"]): r["operation"] for r in history.select("version", "operation").collect()
    }
    return {v for v in versions if ops.get(v) not in NO_DATA_CHANGE}


def dataset_batches(
    spark: SparkSession,
    cfg: Config,
    name: str,
    run: BuildRun,
    last: dict[str, Any] | None,
) -> tuple[frozenset[str], set[str]]:
    """``(present, rewritten)``: the batch ids in a dataset now, and those written again since
    ``last`` (the target's previous build), read from the catalog when it accounts for every
    commit since then, or since version 0 when the target was never built from the dataset
    (else from the table: a distinct scan of its ``_batch_id`` column)."""
    version = dataset_version(spark, cfg, name, run)
    if version is None:
        return frozenset(), set()
    versions = (last or {}).get("versions") or {}
    before_sets = (last or {}).get("dataset_batches") or {}
    before_version: int | None = versions.get(name)
    known = before_version is not None and name in before_sets
    # never built from it: every commit from version 0 on must be explained
    before = frozenset(before_sets[name] or []) if known else frozenset()
    since = before_version if before_version is not None and known else -1
    if since == version:
        return before, set()
    if since < version:
        catalog = _catalog(spark, cfg, run)
        mine = {b: (s, v) for b, (d, s, v) in catalog.items() if d == name}
        written = {
            b: v
            for b, (s, v) in mine.items()
            if s == "success" and v is not None and since < v <= version
        }
        missing = set(range(since + 1, version + 1)) - set(written.values())
        if not missing or not _unexplained(spark, cfg, name, missing, version):
            gone = {b for b in before if b in mine and mine[b][0] != "success"}
            rewritten = set(written) & set(before)
            present = (before - gone) | set(written)
            return frozenset(present), rewritten
    if known:
        log.info(
            "profiles: dataset %s changed outside the batch catalog; reading its batch ids", name
        )
    if name not in run.present:
        run.present[name] = _scan(spark, cfg, name, version)
    return run.present[name], set()


def scope_for(
    spark: SparkSession,
    cfg: Config,
    run: BuildRun,
    target: str,
    datasets: list[Dataset],
    fingerprint: str,
    force_full: bool,
) -> Scope:
    """The scope of one target: its last build compared with the datasets' batches now."""
    last = run.last.get(target)
    present: set[str] = set()
    rewritten: set[str] = set()
    per: dict[str, set[str]] = {}
    versions: dict[str, int] = {}
    for d in datasets:
        got, again = dataset_batches(spark, cfg, d.name, run, last)
        per[d.name] = set(got)
        present |= got
        rewritten |= again
        v = dataset_version(spark, cfg, d.name, run)
        if v is not None:
            versions[d.name] = v
    scope = scope_of(last, present, fingerprint, force_full, rewritten)
    scope.versions, scope.dataset_batches = versions, per
    return scope


def scope_of(
    last: dict[str, Any] | None,
    present: set[str],
    fingerprint: str,
    force_full: bool,
    rewritten: set[str] | None = None,
) -> Scope:
    if force_full:
        return Scope("full", present, present, "a full build was asked for (--full)")
    if last is None:
        return Scope("full", present, present, "first build")
    if last["fingerprint"] != fingerprint:
        return Scope(
            "full", present, present, "guardrails, identities, schemas or the policy changed"
        )
    before = set(last["batches"] or [])
    gone = (before - present) | (rewritten or set())
    if gone:
        return Scope(
            "full",
            present,
            present,
            f"{len(gone)} batch(es) were replaced, removed or written again since the last "
            f"build (e.g. {sorted(gone)[0]})",
        )
    new = present - before
    if not new:
        return Scope("unchanged", present, set(), "no new batches since the last build")
    return Scope("incremental", present, new, f"{len(new)} new batch(es)")
