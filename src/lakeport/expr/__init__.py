"""The mapping expression language: parse once into an :class:`Expression`, compile to a Column.

An expression is parsed with Python's own parser into a syntax tree and only a fixed set of node
kinds and the functions of :data:`~lakeport.expr.functions.FUNCTIONS` are accepted, so it can never
reach outside the data. Parsing happens once, when the config is loaded; the resolved mapping
entry keeps the :class:`Expression` (its problems, the source paths it reads, its result kind)
and the pipeline compiles that same object.

Example:
    >>> e = parse("sha256(lower(trim(email)))")
    >>> e.problems, e.reads, e.kind  # doctest: +SKIP
    ((), ('email',), 'string')
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lakeport.expr.check import problems_of
from lakeport.expr.compile import compile_tree
from lakeport.expr.functions import ANY, BOOLEAN, DATE, DATETIME, FUNCTIONS, NUMBER, STRING
from lakeport.expr.syntax import ExpressionError, kind_of, parse_tree

if TYPE_CHECKING:
    from pyspark.sql import Column

__all__ = [
    "ANY",
    "BOOLEAN",
    "DATE",
    "DATETIME",
    "FUNCTIONS",
    "NUMBER",
    "STRING",
    "Expression",
    "ExpressionError",
    "check_expression",
    "compile_expression",
    "parse",
    "result_kind",
]


@dataclass(frozen=True)
class Expression:
    """A parsed expression: its text, problems (empty when valid), source paths and result kind."""

    text: str
    problems: tuple[str, ...]
    reads: tuple[str, ...]
    kind: str
    tree: ast.AST | None = field(default=None, repr=False, compare=False)

    @property
    def valid(self) -> bool:
        return not self.problems

    def compile(
        self,
        resolve: Callable[[str], Column],
        zone: str = "UTC",
        type_of: Callable[[Column], Any] | None = None,
    ) -> Column:
        """The native Column; ``resolve`` maps a source path to a Column of the source frame.

        ``type_of`` gives the Spark type of a Column over that frame (``size()`` needs it for
        lists read as JSON text).

        Raises:
            ExpressionError: the expression has problems (it should have been checked at load).
        """
        if self.problems or self.tree is None:
            raise ExpressionError("; ".join(self.problems) or "the expression is empty")
        return compile_tree(self.tree, resolve, zone, type_of)


@functools.lru_cache(maxsize=4096)
def parse(text: str) -> Expression:
    """Parse and check ``text`` once; never raises (problems are on the result)."""
    try:
        tree = parse_tree(text)
    except ExpressionError as exc:
        return Expression(text, (str(exc),), (), ANY)
    problems, sources = problems_of(tree)
    try:
        kind = kind_of(tree) if not problems else ANY
    except RecursionError:
        problems, kind = ["the expression is too deeply nested; simplify it"], ANY
    return Expression(text, tuple(problems), tuple(sorted(sources)), kind, tree)


def check_expression(text: str) -> tuple[list[str], set[str]]:
    """(problems, source paths) of ``text``: the validation the config loader runs."""
    e = parse(text)
    return list(e.problems), set(e.reads)


def result_kind(text: str) -> str:
    """Coarse result kind of a valid expression (string, number, boolean, datetime, date, any)."""
    e = parse(text)
    if e.problems:
        raise ExpressionError("; ".join(e.problems))
    return e.kind


def compile_expression(text: str, resolve: Callable[[str], Any], default_zone: str = "UTC") -> Any:
    """Compile expression text to a Column (parses through the same cache as the loader)."""
    return parse(text).compile(resolve, default_zone)
