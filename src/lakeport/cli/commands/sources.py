"""``lakeport sources list|status|run|stream``.

Exit codes: 0 ok (also when there was nothing new), 1 a batch failed, 2 usage or configuration,
3 another run or stream holds the source (nothing was ingested; try again later).
"""

from __future__ import annotations

from typing import Any

from lakeport.cli.context import Context
from lakeport.cli.fastpath import served
from lakeport.errors import UsageError


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


def _check_source(ctx: Context) -> None:
    """A ConfigError for an unknown source before Spark starts."""
    from lakeport.sources import source_config

    source_config(ctx.config(), ctx.args.name)


def list_sources(ctx: Context) -> int:
    rows = [r.to_json() for r in ctx.lakeport().sources()]
    if ctx.json:
        ctx.emit({"sources": rows})
        return 0
    for r in rows:
        print(
            f"{r['source']:16s} -> {r['dataset']:12s} {r['format']:8s} files={r['filesSeen']:<6d} "
            f"last={r['lastBatch'] or '-'} at {r['lastActivityAt'] or '-'}  "
            f"{r['location']}/{r['glob']}"
        )
    return 0


def status(ctx: Context) -> int:
    _check_source(ctx)
    name = ctx.args.name
    found = served(ctx, lambda lake: lake.source_status(name))  # without Spark when it can
    out = (found if found is not None else ctx.lakeport().source_status(name)).to_json()
    if ctx.json:
        ctx.emit(out)
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


def run(ctx: Context) -> int:
    _check_source(ctx)
    out = ctx.lakeport().run_source(ctx.args.name).to_json()
    return _finish(ctx, out)


def stream(ctx: Context) -> int:
    args = ctx.args
    if args.available_now and args.trigger:
        raise UsageError("give either --trigger or --available-now, not both")
    if args.compact_every < 0:
        raise UsageError(f"--compact-every {args.compact_every}: give 0 (never) or more")
    _check_source(ctx)
    try:
        out = ctx.lakeport().stream_source(
            args.name,
            trigger=args.trigger or "10s",
            available_now=args.available_now,
            profiles=args.profiles,
            compact_every=args.compact_every,
        )
    except KeyboardInterrupt:
        print("lakeport: stream stopped", flush=True)
        return 0
    return _finish(ctx, out.to_json())


def _finish(ctx: Context, out: dict[str, Any]) -> int:
    if ctx.json:
        ctx.emit(out)
    else:
        _print_run(out)
    return 1 if out["status"] == "failed" else 0
