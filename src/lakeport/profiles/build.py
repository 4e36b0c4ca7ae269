"""``profiles build``: update the identity graph, then the profiles of one policy or of every one.

Incremental builds: the graph and each policy remember which batches they were built from
(``system/profile_builds``). When only new batches arrived, only the graphs those batches touch
are recomputed, and only the profiles whose content changed are rewritten. A replaced or removed
batch, or a changed guardrail, schema or policy, makes the next build a full one. Each target
emits one ``ig_load_*`` / ``ps_load_*`` event.
"""

from __future__ import annotations

import secrets
import time
from typing import TYPE_CHECKING, Any

from lakeport.errors import ErrorCode, LakeportError, ProfileBuildError
from lakeport.lake.clock import stamp, utc_now
from lakeport.lake.events import Event
from lakeport.lake.fs import jvm_message
from lakeport.lake.layout import Lake
from lakeport.profiles.graph import build_graph
from lakeport.profiles.policies import build_policy
from lakeport.profiles.results import ProfileBuild
from lakeport.profiles.state import BuildRun, flush, start_run
from lakeport.profiles.tables import GRAPH_TARGET, resolve_policy

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from lakeport.config.model import Config


def build_event(
    run: BuildRun,
    kind: str,
    status: str,
    target: str,
    started: Any,
    count: int = 0,
    error: str | None = None,
) -> None:
    """Remember the ``ig_load_*`` / ``ps_load_*`` event of one target (emitted by flush)."""
    suffix = {"success": "success", "failed": "failure"}[status]
    run.events.append(
        Event(
            event_id=f"{run.build_id}:{target}:{suffix}",
            event_type=f"{kind}_load_{suffix}",
            batch_id=run.build_id,
            dataset=target,
            status=status,
            started_at=started,
            completed_at=utc_now(),
            success_count=count,
            error_summary={ErrorCode.PROFILE_BUILD_FAILED.value: 1} if error else {},
        )
    )


def build(
    spark: SparkSession,
    cfg: Config,
    policy: str | None = None,
    *,
    force_full: bool = False,
) -> ProfileBuild:
    """Update the identity graph, then the profiles of one policy (or of every policy).

    Args:
        policy: build only this policy (default: every configured policy).
        force_full: recompute everything even when only new batches arrived.

    Returns:
        The build: its id, the graph's and each policy's part (mode, counts, Delta version).

    Example:
        >>> build(spark, cfg).policies["timestamp_ordered"]["mode"]  # doctest: +SKIP
        'full'

    Raises:
        ProfileBuildError: nothing to build from, or a Spark failure (events record it).
    """
    t0 = time.monotonic()
    build_id = f"pb{stamp(utc_now())}-{secrets.token_hex(3)}"
    names = [resolve_policy(cfg, policy)[0]] if policy else list(cfg.profiles.policies)
    run = start_run(spark, Lake(cfg.lake_root), build_id)
    graph_part: dict[str, Any] | None = None
    policy_parts: dict[str, dict[str, Any]] = {}
    needs_graph = any(cfg.profiles.policies[n].identity_graph == "stitched" for n in names)
    steps: list[tuple[str, str]] = ([("ig", GRAPH_TARGET)] if needs_graph else []) + [
        ("ps", f"profiles/{n}") for n in names
    ]
    try:
        for kind, target in steps:
            started = utc_now()
            try:
                if kind == "ig":
                    part = build_graph(spark, cfg, run, force_full=force_full)
                    graph_part = part
                    count = int(part.get("identitiesInScope") or 0)
                else:
                    name = target.split("/", 1)[1]
                    part = build_policy(spark, cfg, name, run, force_full=force_full)
                    policy_parts[name] = part
                    count = int(part.get("profilesWritten") or 0)
            except LakeportError as exc:
                build_event(run, kind, "failed", target, started, error=exc.message)
                raise
            except Exception as exc:
                message = jvm_message(exc)
                build_event(run, kind, "failed", target, started, error=message)
                raise ProfileBuildError(
                    f"building {target} failed: {message}; the previous tables are unchanged "
                    "(each table is written in one Delta commit); fix the cause and re-run"
                ) from exc
            build_event(run, kind, "success", target, started, count=count)
    finally:
        flush(spark, cfg, run)  # what finished is recorded even when a later step failed
    return ProfileBuild(
        build_id=build_id,
        identity_graph=graph_part,
        policies=policy_parts,
        duration_seconds=round(time.monotonic() - t0, 2),
    )
