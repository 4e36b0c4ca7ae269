"""Calculated fields: a small, validated expression language compiled to native Spark Columns.

Expressions are written like ``concat(first_name, ' ', upper(last_name))`` or
``iif(amount > 100, 'big', 'small')``. They are parsed with Python's own parser into a syntax
tree and only a fixed set of node kinds and functions is accepted, so an expression can never
reach outside the data (there is no ``reflect``, no file or network access, no Python at run
time). Bare names and dot paths (``person.email``, ``items[0].sku``) are source fields; use
``field('first name')`` for a source name that is not an identifier.

Example:
    >>> problems, sources = check_expression("sha256(lower(trim(email)))")
    >>> problems, sorted(sources)
    ([], ['email'])
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# Result kinds are coarse on purpose: they catch "a boolean into a date" at validation time.
STRING, NUMBER, BOOLEAN, DATETIME, DATE, ANY = "string", "number", "boolean", "datetime", "date", "any"


@dataclass(frozen=True)
class Function:
    """One function of the expression language."""

    min_args: int
    max_args: int | None
    returns: str
    summary: str
    literal_args: tuple[int, ...] = ()


def _fn(min_args: int, max_args: int | None, returns: str, summary: str, literal_args: tuple[int, ...] = ()) -> Function:
    return Function(min_args, max_args, returns, summary, literal_args)


FUNCTIONS: dict[str, Function] = {
    # strings
    "lower": _fn(1, 1, STRING, "lower-case"),
    "upper": _fn(1, 1, STRING, "upper-case"),
    "trim": _fn(1, 1, STRING, "strip spaces at both ends"),
    "ltrim": _fn(1, 1, STRING, "strip leading spaces"),
    "rtrim": _fn(1, 1, STRING, "strip trailing spaces"),
    "concat": _fn(1, None, STRING, "join strings; null if any part is null"),
    "concat_ws": _fn(2, None, STRING, "join with a literal separator (first argument), skipping nulls", literal_args=(0,)),
    "substr": _fn(2, 3, STRING, "substring from a 1-based position, optional length", literal_args=(1, 2)),
    "replace": _fn(3, 3, STRING, "replace every occurrence of a literal string"),
    "regexp_replace": _fn(3, 3, STRING, "replace regex matches", literal_args=(1,)),
    "regexp_extract": _fn(2, 3, STRING, "the regex group (default 1) of the first match", literal_args=(1, 2)),
    "length": _fn(1, 1, NUMBER, "number of characters"),
    "lpad": _fn(3, 3, STRING, "pad on the left to a length", literal_args=(1, 2)),
    "rpad": _fn(3, 3, STRING, "pad on the right to a length", literal_args=(1, 2)),
    "split_part": _fn(3, 3, STRING, "the n-th (1-based) part of a string split on a literal delimiter"),
    "initcap": _fn(1, 1, STRING, "capitalise each word"),
    "contains": _fn(2, 2, BOOLEAN, "true if the first string contains the second"),
    "starts_with": _fn(2, 2, BOOLEAN, "true if the first string starts with the second"),
    "ends_with": _fn(2, 2, BOOLEAN, "true if the first string ends with the second"),
    "matches": _fn(2, 2, BOOLEAN, "true if the string matches a regular expression", literal_args=(1,)),
    # hashes
    "sha256": _fn(1, 1, STRING, "SHA-256 hex digest of the UTF-8 string"),
    "sha1": _fn(1, 1, STRING, "SHA-1 hex digest"),
    "md5": _fn(1, 1, STRING, "MD5 hex digest"),
    "crc32": _fn(1, 1, NUMBER, "CRC-32 checksum"),
    # conditionals and nulls
    "iif": _fn(3, 3, ANY, "iif(condition, value_if_true, value_if_false)"),
    "coalesce": _fn(1, None, ANY, "the first non-null argument"),
    "nullif": _fn(2, 2, ANY, "null when both arguments are equal, else the first"),
    "is_null": _fn(1, 1, BOOLEAN, "true if null"),
    "is_not_null": _fn(1, 1, BOOLEAN, "true if not null"),
    "is_empty": _fn(1, 1, BOOLEAN, "true if null or only spaces"),
    # conversions (null when the value does not convert)
    "to_string": _fn(1, 1, STRING, "as a string"),
    "to_integer": _fn(1, 1, NUMBER, "as a 32-bit integer, null if it does not convert"),
    "to_long": _fn(1, 1, NUMBER, "as a 64-bit integer, null if it does not convert"),
    "to_double": _fn(1, 1, NUMBER, "as a double, null if it does not convert"),
    "to_boolean": _fn(1, 1, BOOLEAN, "true/false, yes/no, y/n, on/off in any case"),
    # numbers
    "abs": _fn(1, 1, NUMBER, "absolute value"),
    "round": _fn(1, 2, NUMBER, "round half up to N decimals (default 0)", literal_args=(1,)),
    "floor": _fn(1, 1, NUMBER, "largest integer not greater"),
    "ceil": _fn(1, 1, NUMBER, "smallest integer not smaller"),
    # dates and times
    "to_datetime": _fn(1, 3, DATETIME, "parse like a datetime field: to_datetime(s[, format[, timezone]])", literal_args=(1, 2)),
    "to_date": _fn(1, 2, DATE, "parse a date: to_date(s[, format])", literal_args=(1,)),
    "date_format": _fn(2, 2, STRING, "format a datetime with a pattern (UTC)", literal_args=(1,)),
    "year": _fn(1, 1, NUMBER, "year of a date or datetime"),
    "month": _fn(1, 1, NUMBER, "month (1-12)"),
    "day": _fn(1, 1, NUMBER, "day of month"),
    "epoch_millis": _fn(1, 1, NUMBER, "a datetime as epoch milliseconds"),
}

_BIN_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Mod: "%"}
_CMP_OPS = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
_CONSTANT_NAMES = {"true": True, "false": False, "null": None, "True": True, "False": False, "None": None}


class ExpressionError(ValueError):
    """An expression uses syntax or a function outside the language."""


def _source_path(node: ast.AST) -> str | None:
    """The dot path for Name/Attribute/Subscript chains, e.g. ``items[0].sku``; else None."""
    if isinstance(node, ast.Name):
        return None if node.id in _CONSTANT_NAMES else node.id
    if isinstance(node, ast.Attribute):
        base = _source_path(node.value)
        return f"{base}.{node.attr}" if base else None
    if isinstance(node, ast.Subscript):
        base = _source_path(node.value)
        index = node.slice
        if base and isinstance(index, ast.Constant) and isinstance(index.value, int) and not isinstance(index.value, bool):
            return f"{base}[{index.value}]"
        return None
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "field"
        and len(node.args) == 1
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    ):
        return node.args[0].value
    return None


def _parse(expression: str) -> ast.AST:
    try:
        return ast.parse(expression.strip(), mode="eval").body
    except SyntaxError as exc:
        raise ExpressionError(f"cannot parse expression {expression!r}: {exc.msg} at column {exc.offset}") from exc


def check_expression(expression: str) -> tuple[list[str], set[str]]:
    """Validate an expression without Spark.

    Returns:
        (problems, source paths it reads). Problems are sentences ready to follow a ``file: key:``.
    """
    problems: list[str] = []
    sources: set[str] = set()
    try:
        tree = _parse(expression)
    except ExpressionError as exc:
        return [str(exc)], sources
    _walk(tree, problems, sources)
    return problems, sources


def result_kind(expression: str) -> str:
    """Coarse result kind of a valid expression (string, number, boolean, datetime, date, any)."""
    tree = _parse(expression)
    return _kind(tree)


def _kind(node: ast.AST) -> str:
    if _source_path(node) is not None:
        return ANY
    if isinstance(node, ast.Constant):
        v = node.value
        if isinstance(v, bool):
            return BOOLEAN
        if isinstance(v, int | float):
            return NUMBER
        return STRING if isinstance(v, str) else ANY
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS:
        return FUNCTIONS[node.func.id].returns
    if isinstance(node, ast.BinOp):
        return NUMBER
    if isinstance(node, ast.Compare | ast.BoolOp) or (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not)):
        return BOOLEAN
    if isinstance(node, ast.UnaryOp):
        return NUMBER
    return ANY


def _walk(node: ast.AST, problems: list[str], sources: set[str]) -> None:
    path = _source_path(node)
    if path is not None:
        sources.add(path)
        return
    if isinstance(node, ast.Constant):
        if not isinstance(node.value, str | int | float | bool) and node.value is not None:
            problems.append(f"unsupported constant {node.value!r}")
        return
    if isinstance(node, ast.Name):  # true/false/null
        return
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name):
            problems.append("only plain function calls such as lower(x) are allowed")
            return
        name = node.func.id
        if node.keywords:
            problems.append(f"{name}(): keyword arguments are not supported")
        fn = FUNCTIONS.get(name)
        if fn is None:
            import difflib

            close = difflib.get_close_matches(name, list(FUNCTIONS), n=1)
            hint = f"; did you mean {close[0]}()?" if close else ""
            problems.append(f"unknown function {name}(){hint} (the README lists the functions)")
        else:
            n = len(node.args)
            if n < fn.min_args or (fn.max_args is not None and n > fn.max_args):
                want = f"{fn.min_args}" if fn.max_args == fn.min_args else (
                    f"{fn.min_args} or more" if fn.max_args is None else f"{fn.min_args} to {fn.max_args}"
                )
                problems.append(f"{name}() takes {want} arguments, got {n}")
            for i in fn.literal_args:
                if i < n and not isinstance(node.args[i], ast.Constant):
                    problems.append(f"{name}(): argument {i + 1} must be a literal")
        for arg in node.args:
            _walk(arg, problems, sources)
        return
    if isinstance(node, ast.BinOp):
        if type(node.op) not in _BIN_OPS:
            problems.append(f"operator {type(node.op).__name__} is not supported (use + - * / %)")
        _walk(node.left, problems, sources)
        _walk(node.right, problems, sources)
        return
    if isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, ast.USub | ast.Not | ast.UAdd):
            problems.append(f"operator {type(node.op).__name__} is not supported")
        _walk(node.operand, problems, sources)
        return
    if isinstance(node, ast.BoolOp):
        for value in node.values:
            _walk(value, problems, sources)
        return
    if isinstance(node, ast.Compare):
        if len(node.ops) != 1 or type(node.ops[0]) not in _CMP_OPS:
            problems.append("use one comparison at a time (==, !=, <, <=, >, >=), joined with and/or")
        _walk(node.left, problems, sources)
        for comparator in node.comparators:
            _walk(comparator, problems, sources)
        return
    problems.append(f"{type(node).__name__} syntax is not allowed in expressions")


def compile_expression(expression: str, resolve: Callable[[str], Any], default_zone: str = "UTC") -> Any:
    """Compile a checked expression to a Spark Column.

    Args:
        expression: the expression text (already validated by :func:`check_expression`).
        resolve: maps a source path to a Column (the mapping engine's resolver).
        default_zone: zone for ``to_datetime`` of strings without an offset.

    Raises:
        ExpressionError: if the expression is invalid (it should have been checked earlier).
    """
    problems, _ = check_expression(expression)
    if problems:
        raise ExpressionError("; ".join(problems))
    return _compile(_parse(expression), resolve, default_zone)


def _literal(node: ast.AST) -> Any:
    assert isinstance(node, ast.Constant)
    return node.value


def _compile(node: ast.AST, resolve: Callable[[str], Any], zone: str) -> Any:
    from pyspark.sql import functions as F

    from jobs.transforms import convert

    path = _source_path(node)
    if path is not None:
        return resolve(path)
    if isinstance(node, ast.Constant):
        return F.lit(node.value)
    if isinstance(node, ast.Name):
        return F.lit(_CONSTANT_NAMES[node.id])
    if isinstance(node, ast.BinOp):
        left, right = _compile(node.left, resolve, zone), _compile(node.right, resolve, zone)
        op = _BIN_OPS[type(node.op)]
        if op == "/":
            return F.try_divide(left, right)
        return {"+": left + right, "-": left - right, "*": left * right, "%": left % right}[op]
    if isinstance(node, ast.UnaryOp):
        operand = _compile(node.operand, resolve, zone)
        return ~operand if isinstance(node.op, ast.Not) else (-operand if isinstance(node.op, ast.USub) else operand)
    if isinstance(node, ast.BoolOp):
        cols = [_compile(v, resolve, zone) for v in node.values]
        out = cols[0]
        for c in cols[1:]:
            out = (out & c) if isinstance(node.op, ast.And) else (out | c)
        return out
    if isinstance(node, ast.Compare):
        left, right = _compile(node.left, resolve, zone), _compile(node.comparators[0], resolve, zone)
        op = _CMP_OPS[type(node.ops[0])]
        return {
            "==": left == right, "!=": left != right, "<": left < right,
            "<=": left <= right, ">": left > right, ">=": left >= right,
        }[op]
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    name = node.func.id
    raw = node.args
    args = [_compile(a, resolve, zone) for a in raw]
    s = [a.cast("string") for a in args]
    if name in ("lower", "upper", "trim", "ltrim", "rtrim", "initcap", "length"):
        return getattr(F, name)(s[0])
    if name == "concat":
        return F.concat(*s)
    if name == "concat_ws":
        return F.concat_ws(str(_literal(raw[0])), *s[1:])
    if name == "substr":
        return F.substring(s[0], int(_literal(raw[1])), int(_literal(raw[2])) if len(raw) > 2 else 2**31 - 1)
    if name == "replace":
        return F.replace(s[0], s[1], s[2])
    if name == "regexp_replace":
        return F.regexp_replace(s[0], str(_literal(raw[1])), s[2])
    if name == "regexp_extract":
        return F.regexp_extract(s[0], str(_literal(raw[1])), int(_literal(raw[2])) if len(raw) > 2 else 1)
    if name in ("lpad", "rpad"):
        return getattr(F, name)(s[0], int(_literal(raw[1])), str(_literal(raw[2])))
    if name == "split_part":
        return F.split_part(s[0], s[1], args[2].cast("int"))
    if name == "contains":
        return F.contains(s[0], s[1])
    if name == "starts_with":
        return F.startswith(s[0], s[1])
    if name == "ends_with":
        return F.endswith(s[0], s[1])
    if name == "matches":
        return s[0].rlike(str(_literal(raw[1])))
    if name == "sha256":
        return F.sha2(s[0], 256)
    if name in ("sha1", "md5", "crc32"):
        return getattr(F, name)(s[0])
    if name == "iif":
        return F.when(args[0], args[1]).otherwise(args[2])
    if name == "coalesce":
        return F.coalesce(*args)
    if name == "nullif":
        return F.nullif(args[0], args[1])
    if name == "is_null":
        return args[0].isNull()
    if name == "is_not_null":
        return args[0].isNotNull()
    if name == "is_empty":
        return args[0].isNull() | (F.trim(s[0]) == F.lit(""))
    if name == "to_string":
        return s[0]
    if name in ("to_integer", "to_long", "to_double"):
        target = {"to_integer": "int", "to_long": "bigint", "to_double": "double"}[name]
        return (F.trim(s[0])).try_cast(target)
    if name == "to_boolean":
        return convert.string_to_boolean(s[0])
    if name in ("abs", "floor", "ceil"):
        return getattr(F, name)(args[0])
    if name == "round":
        return F.round(args[0], int(_literal(raw[1])) if len(raw) > 1 else 0)
    if name == "to_datetime":
        fmts = [str(_literal(raw[1]))] if len(raw) > 1 else []
        tz = str(_literal(raw[2])) if len(raw) > 2 else zone
        return convert.parse_datetime(s[0], formats=fmts, timezone=tz).value
    if name == "to_date":
        fmts = [str(_literal(raw[1]))] if len(raw) > 1 else []
        return convert.parse_date(s[0], formats=fmts).value
    if name == "date_format":
        return F.date_format(args[0], str(_literal(raw[1])))
    if name in ("year", "month"):
        return getattr(F, name)(args[0])
    if name == "day":
        return F.dayofmonth(args[0])
    if name == "epoch_millis":
        return F.unix_millis(args[0].cast("timestamp"))
    raise ExpressionError(f"function {name}() has no compiler")  # pragma: no cover - table and compiler agree
