"""``lakeport profiles``: build the identity graph and the merged profiles; look a profile up."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def cmd_profiles(args: argparse.Namespace) -> int:
    from lakeport import build_profiles
    from lakeport.cli import _config, _emit, _spark

    cfg = _config(args)
    if args.profiles_command == "build":
        spark = _spark(cfg)
        summary = build_profiles.build(spark, cfg, args.policy, force_full=args.full)
        if args.json:
            _emit(summary)
        else:
            _print_build(summary)
        return 0
    spark = _spark(cfg)
    profile = build_profiles.lookup(
        spark,
        cfg,
        args.namespace,
        args.id,
        args.policy,
        events=args.events,
        events_limit=args.events_limit,
    )
    if args.json:
        _emit(profile)
    else:
        print(json.dumps(profile, indent=2, default=str))
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


def register(add: Any, common: argparse.ArgumentParser) -> None:
    p = add(
        "profiles",
        "identity graph and unified profiles: build, get",
        "lakeport profiles get --namespace loyaltyId --id L0000042",
    )
    sub = p.add_subparsers(dest="profiles_command", required=True, metavar="ACTION")
    q = sub.add_parser(
        "build",
        parents=[common],
        help="stitch identities and merge profiles (incremental when only new batches arrived)",
        description="Update identity_graph and profiles/<policy> from the datasets.",
        epilog="examples:\n  lakeport profiles build\n  lakeport profiles build --policy loyalty_first --full",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    q.add_argument("--policy", help="build only this merge policy (default: every policy)")
    q.add_argument(
        "--full", action="store_true", help="recompute everything, even when incremental would do"
    )
    q = sub.add_parser(
        "get",
        parents=[common],
        help="the merged profile holding an identity, as JSON",
        description="Look a profile up by any of its identities (namespace + value).",
        epilog=(
            "examples:\n  lakeport profiles get --namespace loyaltyId --id L0000042\n"
            "  lakeport profiles get --namespace email --id daniel.r@example.com "
            "--policy loyalty_first --events"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    q.add_argument("--namespace", required=True, help="identity namespace, e.g. loyaltyId")
    q.add_argument("--id", required=True, help="identity value (case-sensitive)")
    q.add_argument("--policy", help="merge policy (default: profiles.default_policy)")
    q.add_argument("--events", action="store_true", help="include the profile's events")
    q.add_argument(
        "--events-limit", type=int, default=100, help="most events to show (oldest first)"
    )
    p.set_defaults(func=cmd_profiles)
