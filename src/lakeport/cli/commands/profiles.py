"""``lakeport profiles build|get``."""

from __future__ import annotations

import json
import sys
from typing import Any

from lakeport.cli.context import Context
from lakeport.cli.fastpath import served


def build(ctx: Context) -> int:
    summary = ctx.lakeport().build_profiles(ctx.args.policy, full=ctx.args.full).to_json()
    if ctx.json:
        ctx.emit(summary)
    else:
        _print_build(summary)
    return 0


def get(ctx: Context) -> int:
    """Look a profile up; exit 1 (NOT_FOUND) when no profile holds the identity."""
    args = ctx.args
    options = {"events": args.events, "events_limit": args.events_limit}
    profile = served(ctx, lambda lake: lake.lookup(args.namespace, args.id, args.policy, **options))
    if profile is None:
        profile = ctx.lakeport().lookup(args.namespace, args.id, args.policy, **options)
    if ctx.json:
        ctx.emit(profile.to_json())
    else:
        print(json.dumps(profile.to_json(), indent=2, default=str))
    return 0


def _print_build(summary: dict[str, Any]) -> None:
    out = sys.stdout
    graph = summary.get("identityGraph")
    if graph:
        line = f"identity graph: {graph['mode']} ({graph['reason']})"
        if "identitiesInScope" in graph:
            g = graph["guardrails"]
            line += (
                f"; {graph['identitiesInScope']} identities in {graph['profilesInScope']} "
                f"profiles recomputed, {graph['merges']} merges; guardrails: "
                f"{g['linksDroppedGraphOverCap']} links dropped (graph cap), "
                f"{g['recordsOverIdentityCap']} records over the identity cap, "
                f"{g['valuesTooLong']} values too long"
            )
        print(line, file=out)
    for name, part in summary["policies"].items():
        line = f"profiles/{name}: {part['mode']} ({part['reason']})"
        if "profilesWritten" in part:
            line += f"; {part['profilesWritten']} profiles recomputed"
        line += f"; Delta version {part.get('deltaVersion')}"
        print(line, file=out)
    print(f"build {summary['buildId']} took {summary['durationSeconds']} s", file=out)
