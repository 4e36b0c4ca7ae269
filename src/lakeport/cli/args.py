"""Argument groups that several commands of :mod:`lakeport.cli.table` share.

Example:
    >>> REPLACE.flags
    ('--replace',)
"""

from __future__ import annotations

from lakeport.cli.command import arg

PARTIAL = (
    arg(
        "--partial",
        dest="partial",
        action="store_true",
        default=None,
        help="turn partial ingestion on",
    ),
    arg("--no-partial", dest="partial", action="store_false", help="turn partial ingestion off"),
    arg(
        "--error-threshold-percent",
        type=float,
        help="fail the batch above this %% of failed records",
    ),
    arg("--error-threshold-count", type=int, help="fail the batch above this many failed records"),
    arg(
        "--diagnostics",
        dest="diagnostics",
        action="store_true",
        default=None,
        help="keep failed records in system/errors (the dataset's setting otherwise)",
    ),
    arg(
        "--no-diagnostics",
        dest="diagnostics",
        action="store_false",
        help="keep only counts and the error summary, not the failed records",
    ),
)


def _ids(text: str) -> list[str]:
    """``B1,B2`` -> ``["B1", "B2"]``; every part is checked as a batch id later (no trimming)."""
    return text.split(",")


REPLACE = arg(
    "--replace",
    action="extend",
    type=_ids,
    default=[],
    metavar="BATCH_ID[,BATCH_ID...]",
    help="batches whose rows this batch replaces (repeat the flag or separate ids with commas)",
)
EXPORT = (
    arg(
        "--target",
        required=True,
        help="export root: a directory or any Hadoop URI (s3a://bucket/exports)",
    ),
    arg(
        "--format",
        dest="fmt",
        required=True,
        choices=["parquet", "json", "csv"],
        help="parquet, json (JSON Lines, nesting kept) or csv (structs flattened)",
    ),
    arg(
        "--compression",
        choices=["gzip", "snappy", "none"],
        help="default: snappy for parquet, none for json and csv",
    ),
    arg(
        "--export-time",
        metavar="YYYYMMDDHHMM",
        help="UTC minute naming the export (default: now); derive it from the schedule",
    ),
    arg(
        "--incremental",
        action="store_true",
        help="only what changed since the previous complete export (the first one is full)",
    ),
    arg(
        "--csv-arrays",
        choices=["refuse", "json"],
        default="refuse",
        help="csv: array and map columns as JSON strings (json), or fail (refuse, the default)",
    ),
    arg(
        "--csv-drop",
        action="append",
        default=[],
        metavar="COLUMN",
        help="csv: leave this column path out (repeatable), e.g. _provenance or person.email",
    ),
)
SOURCE = arg("name", help="source name (sources: in lakeport.yaml)")
