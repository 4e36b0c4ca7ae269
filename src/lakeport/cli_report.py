"""``lakeport report``: write the self-contained HTML ingestion report (see jobs/report.py)."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def cmd_report(args: argparse.Namespace) -> int:
    from lakeport import report
    from lakeport.cli import _config, _emit, _spark
    from lakeport.errors import UsageError

    if args.top < 1:
        raise UsageError(f"--top {args.top}: give a number of error codes of at least 1")
    cfg = _config(args)
    spark = _spark(cfg)
    data = report.write_report(spark, cfg, args.out, top=args.top)
    b = data["batches"]
    summary = {
        "out": args.out,
        "lake": data["lake"],
        "batches": b["total"],
        "byStatus": b["byStatus"],
        "datasets": {d["dataset"]: d["rows"] for d in data["datasets"]},
        "errorCodes": {e["code"]: e["records"] for e in b["errorCodes"]},
        "profilesBuilt": data["profiles"]["built"],
        "profilesPerPolicy": {p["policy"]: p["profiles"] for p in data["profiles"]["perPolicy"]},
    }
    if args.json:
        _emit(summary)
    else:
        print(f"{args.out}: {b['total']} batches, {len(data['datasets'])} datasets")
        if not data["profiles"]["built"]:
            print("no profiles built yet: the profile charts are empty", file=sys.stderr)
    return 0


def register(add: Any, common: argparse.ArgumentParser) -> None:
    """Add ``lakeport report``."""
    p = add(
        "report",
        "write a self-contained HTML report: batches, records, error codes, datasets, profiles",
        "lakeport report --out report.html",
    )
    p.add_argument("--out", default="report.html", help="the HTML file to write (local path)")
    p.add_argument("--top", type=int, default=10, help="how many error codes to chart")
    p.set_defaults(func=cmd_report)
