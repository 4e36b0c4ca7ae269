"""The shape of one entry of the command table (:mod:`lakeport.cli.table`): a command and its
arguments, as argparse takes them.

Example:
    >>> Command(("sources", "run"), "ingest new files", "lakeport sources run landing").path
    ('sources', 'run')
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lakeport.cli.context import Context


@dataclass(frozen=True)
class Arg:
    """One argument: argparse's flags and keyword arguments."""

    flags: tuple[str, ...]
    options: dict[str, Any] = field(default_factory=dict)


def arg(*flags: str, **options: Any) -> Arg:
    """``arg("--limit", type=int)``: an :class:`Arg` as ``add_argument`` would take it."""
    return Arg(flags, options)


@dataclass(frozen=True)
class Command:
    """A command (or a group, without a handler): path, help, example, handler, arguments."""

    path: tuple[str, ...]
    help: str
    example: str
    handler: Callable[[Context], int] | None = None
    args: tuple[Arg, ...] = ()
