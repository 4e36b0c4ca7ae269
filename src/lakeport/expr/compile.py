"""Compile a parsed, checked expression to one native Spark Column (no Python at run time)."""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lakeport.expr.functions import FUNCTIONS, Args, F
from lakeport.expr.syntax import (
    BIN_OPS,
    CMP_OPS,
    CONSTANT_NAMES,
    is_literal,
    literal_value,
    source_path,
)

if TYPE_CHECKING:
    from pyspark.sql import Column


def compile_tree(
    node: ast.AST,
    resolve: Callable[[str], Column],
    zone: str,
    type_of: Callable[[Column], Any] | None = None,
) -> Column:
    """The Column of ``node``; ``resolve`` maps a source path to a Column over the source frame.

    ``type_of`` (the Spark type of such a Column) lets a function fit its argument's type:
    ``size()`` counts a list, or the items of a JSON list read as text.
    """

    def sub(child: ast.AST) -> Column:
        return compile_tree(child, resolve, zone, type_of)

    path = source_path(node)
    if path is not None:
        return resolve(path)
    if isinstance(node, ast.Constant):
        return F.lit(node.value)
    if isinstance(node, ast.Name):
        return F.lit(CONSTANT_NAMES[node.id])
    if isinstance(node, ast.BinOp):
        left, right = sub(node.left), sub(node.right)
        op = BIN_OPS[type(node.op)]
        if op == "/":
            return F.try_divide(left, right)
        return {"+": left + right, "-": left - right, "*": left * right, "%": left % right}[op]
    if isinstance(node, ast.UnaryOp):
        operand = sub(node.operand)
        if isinstance(node.op, ast.Not):
            return ~operand
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BoolOp):
        cols = [sub(v) for v in node.values]
        out = cols[0]
        for c in cols[1:]:
            out = (out & c) if isinstance(node.op, ast.And) else (out | c)
        return out
    if isinstance(node, ast.Compare):
        left = sub(node.left)
        right = sub(node.comparators[0])
        op = CMP_OPS[type(node.ops[0])]
        return {
            "==": left == right,
            "!=": left != right,
            "<": left < right,
            "<=": left <= right,
            ">": left > right,
            ">=": left >= right,
        }[op]
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    fn = FUNCTIONS[node.func.id]
    args = Args(
        cols=[sub(a) for a in node.args],
        literals=[literal_value(a) if is_literal(a) else None for a in node.args],
        zone=zone,
        type_of=type_of,
    )
    return fn.compile(args)
