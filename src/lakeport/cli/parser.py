"""The ``lakeport`` parser, built from the one command table (:data:`lakeport.cli.table.COMMANDS`).

The global flags (``--config``, ``--lake``, ``--json``, ``-v``) work before or after the command:
the sub-parsers take them with no default, so a flag given before the command is never
overwritten by a sub-parser's default.

Example:
    >>> args = build_parser().parse_args(["--lake", "./lk", "ingest", "--dataset", "products", "f.csv"])
    >>> args.lake, args.handler.__name__  # doctest: +SKIP
    ('./lk', 'ingest')
"""

from __future__ import annotations

import argparse
from typing import Any

from lakeport.cli.table import COMMANDS


class ArgumentError(Exception):
    """A usage error found by the parser (exit code 2)."""

    def __init__(self, parser: argparse.ArgumentParser, message: str) -> None:
        super().__init__(message)
        self.parser = parser
        self.message = message


class Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so ``--json`` still prints one object."""

    def error(self, message: str) -> Any:  # type: ignore[override]
        raise ArgumentError(self, message)


EXAMPLES = """\
examples:
  lakeport init my-project
  lakeport validate
  lakeport sample-data --out sample-data
  lakeport ingest --dataset loyalty sample-data/loyalty.jsonl
  lakeport batch create --dataset purchases
  lakeport batch upload <batch-id> sample-data/purchases.jsonl
  lakeport batch complete <batch-id>
  lakeport batch errors <batch-id> --format table
  lakeport datasets list
"""


def _global_flags(parser: argparse.ArgumentParser, *, defaults: bool) -> None:
    """--config, --lake, --json, -v: real defaults on the top level, none below it."""
    none: dict[str, Any] = {} if defaults else {"default": argparse.SUPPRESS}
    parser.add_argument(
        "--config",
        help="config file (default: $LAKEPORT_CONFIG or conf/lakeport.yaml)",
        **({"default": None} if defaults else none),
    )
    parser.add_argument(
        "--lake",
        help="lake root, overriding lake.root (also $LAKEPORT_LAKE)",
        **({"default": None} if defaults else none),
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object on stdout",
        **({"default": False} if defaults else none),
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="debug logging on stderr",
        **({"default": False} if defaults else none),
    )


def subcommands(parser: argparse.ArgumentParser) -> list[tuple[str, argparse.ArgumentParser]]:
    """The (name, parser) pairs directly below ``parser``."""
    return [
        (name, sub)
        for action in parser._actions
        if isinstance(action, argparse._SubParsersAction)
        for name, sub in action.choices.items()
    ]


def build_parser() -> argparse.ArgumentParser:
    """The ``lakeport`` parser, built from :data:`COMMANDS`."""
    top = Parser(
        prog="lakeport",
        description="Customer-data ingestion on Spark and Delta Lake.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _global_flags(top, defaults=True)
    groups: dict[tuple[str, ...], Any] = {
        (): top.add_subparsers(
            dest="command", required=True, metavar="COMMAND", parser_class=Parser
        )
    }
    for cmd in COMMANDS:
        parent = groups[cmd.path[:-1]]
        p = parent.add_parser(
            cmd.path[-1],
            help=cmd.help,
            description=cmd.help,
            epilog=f"example:\n  {cmd.example}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        _global_flags(p, defaults=False)
        for a in cmd.args:
            p.add_argument(*a.flags, **a.options)
        if cmd.handler is None:
            groups[cmd.path] = p.add_subparsers(
                dest=f"{'_'.join(cmd.path)}_command",
                required=True,
                metavar="ACTION",
                parser_class=Parser,
            )
        else:
            p.set_defaults(handler=cmd.handler)
    return top
