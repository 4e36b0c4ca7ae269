"""``python -m lakeport``: the same CLI as the ``lakeport`` console script."""

import sys

from lakeport.cli import main

sys.exit(main())
