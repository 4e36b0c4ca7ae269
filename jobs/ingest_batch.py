"""spark-submit entry point: ``jobs/ingest_batch.py [--config F] [--lake L] --dataset D FILE...``."""

import sys

from lakeport.cli import main

sys.exit(main(["ingest", *sys.argv[1:]]))
