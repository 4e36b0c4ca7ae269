"""What a profile build covers: the batches earlier builds saw, and full or incremental scope.

Each target (the identity graph, each policy's profiles) remembers in ``system/profile_builds``
the batches it was built from and a fingerprint of the config it was built with; the next build
compares: only new batches -> incremental, anything replaced or changed -> full.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lakeport.lake.clock import utc_now
from lakeport.lake.delta import append_records, is_delta
from lakeport.lake.events import Event, emit
from lakeport.lake.layout import Lake
from lakeport.profiles.tables import BUILDS_DDL, read_or_empty

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from lakeport.config.model import Config, Dataset


@dataclass
class BuildRun:
    """State of one ``build`` call: what earlier builds covered, and rows written at the end."""

    build_id: str
    last: dict[str, dict[str, Any]]  # target -> its last successful build row
    present: dict[str, frozenset[str]] = field(default_factory=dict)  # dataset -> batch ids
    builds: list[dict[str, Any]] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

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
            }
        )


@dataclass
class Scope:
    """What a build covers: every batch (full) or only new ones (incremental)."""

    mode: str  # "full" | "incremental" | "unchanged"
    batches: set[str]  # batches present now
    new: set[str]  # batches to read (all of them when full)
    reason: str


def last_builds(spark: SparkSession, lake: Lake) -> dict[str, dict[str, Any]]:
    """The latest successful build row of every target (one small read)."""
    from pyspark.sql import functions as F

    df = read_or_empty(spark, lake.system_path("profile_builds"), BUILDS_DDL).where(
        "status = 'success'"
    )
    latest = df.groupBy("target").agg(
        F.max_by(F.struct(*df.columns), F.struct("completed_at", "build_id")).alias("r")
    )
    return {r["target"]: r["r"].asDict() for r in latest.collect()}


def flush(spark: SparkSession, cfg: Config, run: BuildRun) -> None:
    """Append the build rows (one commit), then emit the events of this run (one commit)."""
    lake = Lake(cfg.lake_root)
    append_records(spark, lake.system_path("profile_builds"), BUILDS_DDL, run.builds)
    run.builds.clear()
    emit(spark, lake, run.events, cfg.events.webhook)
    run.events.clear()


def present_batches(
    spark: SparkSession, cfg: Config, datasets: list[Dataset], run: BuildRun
) -> set[str]:
    """Batch ids whose rows are in these datasets now (the tables are the truth, not the catalog).

    Read once per dataset per build.
    """
    lake = Lake(cfg.lake_root)
    out: set[str] = set()
    for d in datasets:
        if d.name not in run.present:
            path = lake.dataset_path(d.name)
            ids: frozenset[str] = frozenset()
            if is_delta(spark, path):
                rows = spark.read.format("delta").load(path).select("_batch_id").distinct()
                ids = frozenset(r[0] for r in rows.collect())
            run.present[d.name] = ids
        out.update(run.present[d.name])
    return out


def scope_of(
    last: dict[str, Any] | None, present: set[str], fingerprint: str, force_full: bool
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
    gone = before - present
    if gone:
        return Scope(
            "full",
            present,
            present,
            f"{len(gone)} batch(es) were replaced or removed since the last build "
            f"(e.g. {sorted(gone)[0]})",
        )
    new = present - before
    if not new:
        return Scope("unchanged", present, set(), "no new batches since the last build")
    return Scope("incremental", present, new, f"{len(new)} new batch(es)")
