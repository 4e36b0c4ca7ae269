"""The ``lakeport`` command line: one declarative command table; handlers call the facade.

Example:
    >>> from lakeport.cli import main
    >>> main(["validate", "--config", "conf/lakeport.yaml"])  # doctest: +SKIP
    0
"""

from lakeport.cli.app import main
from lakeport.cli.parser import build_parser, subcommands
from lakeport.cli.table import COMMANDS

__all__ = ["COMMANDS", "build_parser", "main", "subcommands"]
