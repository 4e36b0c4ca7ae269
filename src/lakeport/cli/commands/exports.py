"""``lakeport export snapshot|dataset``.

Exit codes: 0 exported (or already complete), 1 the source table is missing or Spark failed, 2
the request cannot work (format, CSV columns, a conflicting export for that time).
"""

from __future__ import annotations

from typing import Any

from lakeport.cli.context import Context, local_paths


def export(ctx: Context) -> int:
    args = ctx.args
    lp = ctx.lakeport()
    options: dict[str, Any] = {
        "compression": args.compression,
        "export_time": args.export_time,
        "incremental": args.incremental,
        "csv_arrays": args.csv_arrays,
        "csv_drop": args.csv_drop,
    }
    target = local_paths([args.target])[0]  # relative to the working directory, like inputs
    if args.export_command == "snapshot":
        result = lp.export_snapshot(args.policy, target, args.fmt, **options)
    else:
        result = lp.export_dataset(args.name, target, args.fmt, **options)
    summary = result.to_json()
    if ctx.json:
        ctx.emit(summary)
        return 0
    verb = "already complete" if summary["status"] == "exists" else "exported"
    print(
        f"{summary['kind']} {summary['name']} exportTime={summary['exportTime']}: {verb}, "
        f"{summary['mode']}, {summary['rowCount']} rows in {summary['fileCount']} file(s), "
        f"source version {summary['sourceVersion']}"
    )
    if "removedCount" in summary:
        print(f"  removed profile ids: {summary['removedCount']}")
    if summary.get("removedBatchIds"):
        print(f"  replaced batches: {', '.join(summary['removedBatchIds'])}")
    print(f"  {summary['modeReason']}")
    print(f"  {summary['path']}")
    return 0
