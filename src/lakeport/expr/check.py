"""What is wrong with an expression: syntax outside the language, unknown functions, arity,
literal arguments (types, regexes, datetime patterns, zones), and conditions that are not.
"""

from __future__ import annotations

import ast
import difflib

from lakeport.expr.functions import ANY, BOOLEAN, FUNCTIONS, STRING, Function
from lakeport.expr.syntax import (
    BIN_OPS,
    CMP_OPS,
    OTHER_OPS,
    SYNTAX,
    is_literal,
    kind_of,
    literal_value,
    snippet,
    source_path,
)
from lakeport.spec.patterns import datetime_pattern_problem, regex_problem, zone_problem

_LITERAL_WORDS = {int: "whole number", str: "quoted string"}


def problems_of(tree: ast.AST) -> tuple[list[str], set[str]]:
    """(problems, source paths read) of a parsed expression; problems follow a ``file: key:``."""
    problems: list[str] = []
    sources: set[str] = set()
    try:
        _walk(tree, problems, sources)
    except RecursionError:
        return ["the expression is too deeply nested; simplify it"], set()
    return list(dict.fromkeys(problems)), sources


def _arity(fn: Function) -> str:
    if fn.max_args == fn.min_args:
        return f"{fn.min_args} argument" + ("" if fn.min_args == 1 else "s")
    if fn.max_args is None:
        return f"{fn.min_args} or more arguments"
    return f"{fn.min_args} to {fn.max_args} arguments"


def _check_literal(name: str, fn: Function, index: int, node: ast.AST, problems: list[str]) -> None:
    want = fn.literals.get(index)
    if not is_literal(node):
        word = _LITERAL_WORDS.get(want, "value") if want else "value"
        problems.append(
            f"{name}(): argument {index + 1} must be a literal {word}, not {snippet(node)!r}"
        )
        return
    value = literal_value(node)
    if want is not None and type(value) is not want:
        problems.append(
            f"{name}(): argument {index + 1} must be a {_LITERAL_WORDS[want]}, got {value!r}"
        )
        return
    problem = None
    if index in fn.regex_args:
        problem = regex_problem(value)
    elif index in fn.pattern_args:
        problem = datetime_pattern_problem(value, parsing=not fn.formats_only)
    elif index in fn.zone_args:
        problem = zone_problem(value)
    if problem:
        problems.append(f"{name}(): argument {index + 1}: {problem}")


def _walk(node: ast.AST, problems: list[str], sources: set[str]) -> None:
    path = source_path(node)
    if path is not None:
        sources.add(path)
        return
    if isinstance(node, ast.Constant):
        if not isinstance(node.value, str | int | float | bool) and node.value is not None:
            problems.append(
                f"the constant {snippet(node)} is not allowed; use a quoted string, a number, true, false or null"
            )
        return
    if isinstance(node, ast.Name):  # true/false/null
        return
    if isinstance(node, ast.Call):
        _walk_call(node, problems, sources)
        return
    if isinstance(node, ast.BinOp):
        op = BIN_OPS.get(type(node.op))
        if op is None:
            symbol = OTHER_OPS.get(type(node.op), type(node.op).__name__)
            problems.append(
                f"operator {symbol} is not supported; use + - * / % (and, or, not for conditions)"
            )
        elif op == "+" and STRING in (kind_of(node.left), kind_of(node.right)):
            problems.append(
                f"'+' adds numbers, so {snippet(node)!r} would give null; join strings with concat(a, b)"
            )
        _walk(node.left, problems, sources)
        _walk(node.right, problems, sources)
        return
    if isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, ast.USub | ast.Not | ast.UAdd):
            problems.append(
                f"operator {OTHER_OPS.get(type(node.op), type(node.op).__name__)} is not supported; use not"
            )
        _walk(node.operand, problems, sources)
        return
    if isinstance(node, ast.BoolOp):
        for value in node.values:
            _walk(value, problems, sources)
        return
    if isinstance(node, ast.Compare):
        if len(node.ops) != 1:
            problems.append(
                f"chained comparisons such as {snippet(node)!r} are not supported; write a < b and b < c"
            )
        elif type(node.ops[0]) not in CMP_OPS:
            symbol = OTHER_OPS.get(type(node.ops[0]), type(node.ops[0]).__name__)
            advice = (
                "use is_null(x) / is_not_null(x)"
                if symbol in ("is", "is not")
                else "use ==, !=, <, <=, >, >="
            )
            problems.append(f"the comparison {symbol!r} is not supported; {advice}")
        _walk(node.left, problems, sources)
        for comparator in node.comparators:
            _walk(comparator, problems, sources)
        return
    if isinstance(node, ast.Attribute):
        problems.append(
            f"{snippet(node)!r}: only source paths such as a.b may use dots; "
            "there are no methods, call a function instead (for example lower(x))"
        )
        return
    if isinstance(node, ast.Subscript):
        problems.append(
            f"{snippet(node)!r}: only whole-number indexes such as items[0] are allowed; "
            "for a source name that is not an identifier write field('...')"
        )
        return
    message = SYNTAX.get(type(node))
    problems.append(message or f"{type(node).__name__} syntax is not allowed in expressions")


def _walk_call(node: ast.Call, problems: list[str], sources: set[str]) -> None:
    if not isinstance(node.func, ast.Name):
        problems.append(
            f"calling {snippet(node.func)!r} is not allowed; only the expression functions can be "
            "called, for example lower(x)"
        )
        return
    name = node.func.id
    if name == "field":  # a well-formed field('...') was taken as a source path already
        problems.append("field() takes one quoted source name, for example field('first name')")
        return
    if node.keywords:
        given = ", ".join(f"{k.arg}=" if k.arg else "**" for k in node.keywords)
        problems.append(
            f"{name}() does not take keyword arguments ({given}); pass the arguments by position"
        )
    fn = FUNCTIONS.get(name)
    if fn is None:
        close = difflib.get_close_matches(name, list(FUNCTIONS), n=1)
        if close:
            problems.append(f"unknown function {name}(); did you mean {close[0]}()?")
        else:
            problems.append(
                f"unknown function {name}(); it is not part of the expression language "
                "(the README's Expressions table lists the functions)"
            )
    else:
        n = len(node.args)
        if not node.keywords and (n < fn.min_args or (fn.max_args is not None and n > fn.max_args)):
            problems.append(f"{name}() takes {_arity(fn)}, got {n}; {name}: {fn.summary}")
        for i in fn.literals:
            if i < n:
                _check_literal(name, fn, i, node.args[i], problems)
        if name == "iif" and n >= 1 and kind_of(node.args[0]) not in (BOOLEAN, ANY):
            problems.append(
                f"iif(): the first argument must be a condition (for example x == 'a'), "
                f"not a {kind_of(node.args[0])}"
            )
    for arg in node.args:
        _walk(arg, problems, sources)
