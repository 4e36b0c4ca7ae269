"""spark-submit entry point: ``jobs/build_profiles.py [--config F] [--lake L] [--policy P]``."""

import sys

from lakeport.cli import main

sys.exit(main(["profiles", "build", *sys.argv[1:]]))
