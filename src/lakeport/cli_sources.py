"""``lakeport sources``: list, status, run and stream the landing locations of lakeport.yaml.

Exit codes: 0 ok (also when there was nothing new), 1 a batch failed, 2 usage or configuration,
3 another run or stream holds the source (nothing was ingested; try again later).
"""

from __future__ import annotations

import argparse
from typing import Any

from lakeport.cli import _config, _emit, _spark


def _print_run(summary: dict[str, Any]) -> None:
    print(
        f"source {summary['source']} -> {summary['dataset']}: {summary['status']}"
        + (
            f" ({summary['pendingFiles']} more file(s) wait for the next run)"
            if summary.get("pendingFiles")
            else ""
        )
    )
    for b in summary["batches"]:
        m = b.get("metrics") or {}
        again = "  (finished after an interrupted run)" if b.get("recovered") else ""
        print(
            f"  {b['batch_id']:36s} {b['status']:8s} files={len(b['files'])} "
            f"in={m.get('inputRecordCount')} landed={m.get('outputRecordCount')} "
            f"failed={m.get('failedRecordCount')}{again}"
        )
        if b.get("error"):
            print(f"    error {b['error']['code']}: {b['error']['message']}")


def cmd_sources(args: argparse.Namespace) -> int:
    from lakeport import run_source

    cfg = _config(args)
    action = args.sources_command
    if action in ("run", "stream", "status"):
        run_source.source_config(cfg, args.name)  # a ConfigError before Spark starts
    spark = _spark(cfg)
    if action == "list":
        rows = run_source.list_sources(spark, cfg)
        if args.json:
            _emit({"sources": rows})
        else:
            for r in rows:
                print(
                    f"{r['source']:16s} -> {r['dataset']:12s} {r['format']:8s} files={r['filesSeen']:<6d} "
                    f"last={r['lastBatch'] or '-'} at {r['lastActivityAt'] or '-'}  {r['location']}/{r['glob']}"
                )
        return 0
    if action == "status":
        out = run_source.status(spark, cfg, args.name)
        if args.json:
            _emit(out)
            return 0
        counts = ", ".join(f"{k} {v}" for k, v in out["fileCounts"].items()) or "none"
        print(f"source {out['source']} -> {out['dataset']}  {out['location']}/{out['glob']}")
        print(f"  files seen: {counts}; new, not yet ingested: {out['pendingFiles']}")
        if out["heldBy"]:
            h = out["heldBy"]
            print(f"  held by pid {h['pid']} on {h['host']} until {h['until']}")
        for b in out["batches"]:
            print(
                f"  {b['batch_id']:36s} {b['status'] or '-':8s} files={b['files']} at {b['recordedAt']}"
            )
        for f in out["files"]:
            gone = "" if f["present"] else "  (no longer there)"
            print(f"    {f['status']:8s} {f['batch_id']:36s} {f['path']}{gone}")
        return 0
    if action == "run":
        out = run_source.run(spark, cfg, args.name)
    else:
        if args.available_now and args.trigger:
            from lakeport.errors import UsageError

            raise UsageError("give either --trigger or --available-now, not both")
        try:
            out = run_source.stream(
                spark,
                cfg,
                args.name,
                trigger=args.trigger or "10s",
                available_now=args.available_now,
            )
        except KeyboardInterrupt:
            print("lakeport: stream stopped", flush=True)
            return 0
    if args.json:
        _emit(out)
    else:
        _print_run(out)
    return 1 if out["status"] == "failed" else 0


def register(add: Any, common: argparse.ArgumentParser) -> None:
    """Add ``lakeport sources list|status|run|stream``."""
    p = add(
        "sources",
        "landing locations: ingest new files as batches, or continuously as a stream",
        "lakeport sources run landing",
    )
    sub = p.add_subparsers(dest="sources_command", required=True, metavar="ACTION")
    sub.add_parser("list", parents=[common], help="configured sources, files seen, last batch")
    q = sub.add_parser(
        "status", parents=[common], help="what a source ingested when, files waiting, the lease"
    )
    q.add_argument("name")
    q = sub.add_parser(
        "run",
        parents=[common],
        help="ingest the files not seen before as one batch (exit 3: another run holds the source)",
    )
    q.add_argument("name")
    q = sub.add_parser(
        "stream",
        parents=[common],
        help="the same pipeline under Structured Streaming, one batch per micro-batch",
    )
    q.add_argument("name")
    q.add_argument("--trigger", help="micro-batch interval such as 5s, 500ms, 2m (default 10s)")
    q.add_argument(
        "--available-now",
        action="store_true",
        help="ingest what is there now, in micro-batches, then stop",
    )
    p.set_defaults(func=cmd_sources)
