"""Compile a parsed, checked expression to one native Spark Column (no Python at run time)."""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import TYPE_CHECKING

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


def compile_tree(node: ast.AST, resolve: Callable[[str], Column], zone: str) -> Column:
    """The Column of ``node``; ``resolve`` maps a source path to a Column over the source frame."""
    path = source_path(node)
    if path is not None:
        return resolve(path)
    if isinstance(node, ast.Constant):
        return F.lit(node.value)
    if isinstance(node, ast.Name):
        return F.lit(CONSTANT_NAMES[node.id])
    if isinstance(node, ast.BinOp):
        left, right = (
            compile_tree(node.left, resolve, zone),
            compile_tree(node.right, resolve, zone),
        )
        op = BIN_OPS[type(node.op)]
        if op == "/":
            return F.try_divide(left, right)
        return {"+": left + right, "-": left - right, "*": left * right, "%": left % right}[op]
    if isinstance(node, ast.UnaryOp):
        operand = compile_tree(node.operand, resolve, zone)
        if isinstance(node.op, ast.Not):
            return ~operand
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BoolOp):
        cols = [compile_tree(v, resolve, zone) for v in node.values]
        out = cols[0]
        for c in cols[1:]:
            out = (out & c) if isinstance(node.op, ast.And) else (out | c)
        return out
    if isinstance(node, ast.Compare):
        left = compile_tree(node.left, resolve, zone)
        right = compile_tree(node.comparators[0], resolve, zone)
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
        cols=[compile_tree(a, resolve, zone) for a in node.args],
        literals=[literal_value(a) if is_literal(a) else None for a in node.args],
        zone=zone,
    )
    return fn.compile(args)
