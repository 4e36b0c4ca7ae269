"""spark-submit entry point: ``jobs/run_source.py [--config F] [--lake L] run|stream|status NAME``."""

import sys

from lakeport.cli import main

sys.exit(main(["sources", *sys.argv[1:]]))
