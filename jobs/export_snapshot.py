"""spark-submit entry point: ``jobs/export_snapshot.py [snapshot|dataset] ...`` (default snapshot)."""

import sys

from lakeport.cli import main

args = sys.argv[1:]
sys.exit(
    main(["export", *(args if args[:1] in (["snapshot"], ["dataset"]) else ["snapshot", *args])])
)
