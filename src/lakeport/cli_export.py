"""``lakeport export snapshot`` and ``lakeport export dataset``: argument parsing and printing only.

The work is in :mod:`lakeport.export_snapshot`. Exit codes: 0 exported (or already complete), 1 the
source table is missing or Spark failed, 2 the request cannot work (format, CSV columns, a
conflicting export for that time).
"""

from __future__ import annotations

import argparse
from typing import Any

from lakeport.cli import _config, _emit, _spark


def _flags(q: argparse.ArgumentParser) -> None:
    q.add_argument(
        "--target",
        required=True,
        help="export root: a directory or any Hadoop URI (s3a://bucket/exports)",
    )
    q.add_argument(
        "--format",
        dest="fmt",
        required=True,
        choices=["parquet", "json", "csv"],
        help="parquet, json (JSON Lines, nesting kept) or csv (structs flattened)",
    )
    q.add_argument(
        "--compression",
        choices=["gzip", "snappy", "none"],
        help="default: snappy for parquet, none for json and csv",
    )
    q.add_argument(
        "--export-time",
        metavar="YYYYMMDDHHMM",
        help="UTC minute naming the export (default: now); derive it from the schedule",
    )
    q.add_argument(
        "--incremental",
        action="store_true",
        help="only what changed since the previous complete export (the first one is full)",
    )
    q.add_argument(
        "--csv-arrays",
        choices=["refuse", "json"],
        default="refuse",
        help="csv: array and map columns as JSON strings (json), or fail (refuse, the default)",
    )
    q.add_argument(
        "--csv-drop",
        action="append",
        default=[],
        metavar="COLUMN",
        help="csv: leave this column path out (repeatable), e.g. _provenance or person.email",
    )


def register(add: Any, common: argparse.ArgumentParser) -> None:
    """Add ``export snapshot`` and ``export dataset`` to the lakeport CLI."""
    p = add(
        "export",
        "export a profile snapshot or a dataset to parquet/json/csv files with a manifest",
        "lakeport export snapshot --policy timestamp_ordered --target /exports --format parquet",
    )
    sub = p.add_subparsers(dest="export_command", required=True, metavar="ACTION")
    q = sub.add_parser(
        "snapshot",
        parents=[common],
        help="the profiles of one merge policy at one Delta version",
        example="lakeport export snapshot --policy timestamp_ordered --target exports "
        "--format json --compression gzip --incremental --export-time 202611230300 --json",
    )
    q.add_argument("--policy", required=True, help="merge policy (<lake>/profiles/<policy>)")
    _flags(q)
    q = sub.add_parser(
        "dataset",
        parents=[common],
        help="one dataset at one Delta version (incremental: the batches since the last export)",
        example="lakeport export dataset purchases --target exports --format csv --incremental",
    )
    q.add_argument("name", help="dataset name (<lake>/datasets/<name>)")
    _flags(q)
    p.set_defaults(func=cmd_export)


def cmd_export(args: argparse.Namespace) -> int:
    from lakeport import export_snapshot as ex

    cfg = _config(args)
    spark = _spark(cfg)
    options: dict[str, Any] = {
        "compression": args.compression,
        "export_time": args.export_time,
        "incremental": args.incremental,
        "csv_arrays": args.csv_arrays,
        "csv_drop": args.csv_drop,
    }
    if args.export_command == "snapshot":
        summary = ex.export_snapshot(spark, cfg, args.policy, args.target, args.fmt, **options)
    else:
        summary = ex.export_dataset(spark, cfg, args.name, args.target, args.fmt, **options)
    if args.json:
        _emit(summary)
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
