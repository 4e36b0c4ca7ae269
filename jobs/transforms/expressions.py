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
import difflib
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

# Result kinds are coarse on purpose: they catch "a boolean into a date" at validation time.
STRING, NUMBER, BOOLEAN, DATETIME, DATE, ANY = (
    "string",
    "number",
    "boolean",
    "datetime",
    "date",
    "any",
)


@dataclass(frozen=True)
class Function:
    """One function of the expression language."""

    min_args: int
    max_args: int | None
    returns: str
    summary: str
    literal_args: tuple[int, ...] = ()


def _fn(
    min_args: int,
    max_args: int | None,
    returns: str,
    summary: str,
    literal_args: tuple[int, ...] = (),
) -> Function:
    return Function(min_args, max_args, returns, summary, literal_args)


FUNCTIONS: dict[str, Function] = {
    # strings
    "lower": _fn(1, 1, STRING, "lower-case"),
    "upper": _fn(1, 1, STRING, "upper-case"),
    "trim": _fn(1, 1, STRING, "strip spaces at both ends"),
    "ltrim": _fn(1, 1, STRING, "strip leading spaces"),
    "rtrim": _fn(1, 1, STRING, "strip trailing spaces"),
    "concat": _fn(1, None, STRING, "join strings; null if any part is null"),
    "concat_ws": _fn(
        2,
        None,
        STRING,
        "join with a literal separator (first argument), skipping nulls",
        literal_args=(0,),
    ),
    "substr": _fn(
        2, 3, STRING, "substring from a 1-based position, optional length", literal_args=(1, 2)
    ),
    "replace": _fn(3, 3, STRING, "replace every occurrence of a literal string"),
    "regexp_replace": _fn(3, 3, STRING, "replace regex matches", literal_args=(1,)),
    "regexp_extract": _fn(
        2, 3, STRING, "the regex group (default 1) of the first match", literal_args=(1, 2)
    ),
    "length": _fn(1, 1, NUMBER, "number of characters"),
    "lpad": _fn(3, 3, STRING, "pad on the left to a length", literal_args=(1, 2)),
    "rpad": _fn(3, 3, STRING, "pad on the right to a length", literal_args=(1, 2)),
    "split_part": _fn(
        3, 3, STRING, "the n-th (1-based) part of a string split on a literal delimiter"
    ),
    "initcap": _fn(1, 1, STRING, "capitalise each word"),
    "contains": _fn(2, 2, BOOLEAN, "true if the first string contains the second"),
    "starts_with": _fn(2, 2, BOOLEAN, "true if the first string starts with the second"),
    "ends_with": _fn(2, 2, BOOLEAN, "true if the first string ends with the second"),
    "matches": _fn(
        2, 2, BOOLEAN, "true if the string matches a regular expression", literal_args=(1,)
    ),
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
    "to_datetime": _fn(
        1,
        3,
        DATETIME,
        "parse like a datetime field: to_datetime(s[, format[, timezone]])",
        literal_args=(1, 2),
    ),
    "to_date": _fn(1, 2, DATE, "parse a date: to_date(s[, format])", literal_args=(1,)),
    "date_format": _fn(2, 2, STRING, "format a datetime with a pattern (UTC)", literal_args=(1,)),
    "year": _fn(1, 1, NUMBER, "year of a date or datetime"),
    "month": _fn(1, 1, NUMBER, "month (1-12)"),
    "day": _fn(1, 1, NUMBER, "day of month"),
    "epoch_millis": _fn(1, 1, NUMBER, "a datetime as epoch milliseconds"),
}

_BIN_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Mod: "%"}
_CMP_OPS = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
_CONSTANT_NAMES = {
    "true": True,
    "false": False,
    "null": None,
    "True": True,
    "False": False,
    "None": None,
}
_OTHER_OPS = {
    ast.Pow: "**",
    ast.FloorDiv: "//",
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.MatMult: "@",
    ast.Invert: "~",
    ast.In: "in",
    ast.NotIn: "not in",
    ast.Is: "is",
    ast.IsNot: "is not",
}

# Arguments that must be literals, and the Python type each literal must have.
_LITERAL_TYPES: dict[tuple[str, int], type] = {
    ("concat_ws", 0): str,
    ("substr", 1): int,
    ("substr", 2): int,
    ("regexp_replace", 1): str,
    ("regexp_extract", 1): str,
    ("regexp_extract", 2): int,
    ("lpad", 1): int,
    ("lpad", 2): str,
    ("rpad", 1): int,
    ("rpad", 2): str,
    ("matches", 1): str,
    ("round", 1): int,
    ("to_datetime", 1): str,
    ("to_datetime", 2): str,
    ("to_date", 1): str,
    ("date_format", 1): str,
}
_REGEX_ARGS = {("regexp_replace", 1), ("regexp_extract", 1), ("matches", 1)}
_LITERAL_WORDS = {int: "whole number", str: "quoted string"}

# Syntax outside the language, with what to write instead.
_SYNTAX = {
    ast.Lambda: "lambda is not allowed in expressions; use the built-in functions",
    ast.ListComp: "comprehensions are not allowed in expressions",
    ast.SetComp: "comprehensions are not allowed in expressions",
    ast.DictComp: "comprehensions are not allowed in expressions",
    ast.GeneratorExp: "comprehensions are not allowed in expressions",
    ast.JoinedStr: "f-strings are not allowed in expressions; use concat('text ', field)",
    ast.IfExp: "'x if c else y' is not allowed in expressions; write iif(c, x, y)",
    ast.List: "lists are not allowed in expressions; pass the values as separate arguments",
    ast.Tuple: "tuples are not allowed in expressions; pass the values as separate arguments",
    ast.Set: "sets are not allowed in expressions; pass the values as separate arguments",
    ast.Dict: "dicts are not allowed in expressions",
    ast.NamedExpr: "':=' is not allowed in expressions",
    ast.Starred: "'*' unpacking is not allowed in expressions; pass the arguments one by one",
    ast.Await: "await is not allowed in expressions",
}

# Spark's datetime pattern letters (spark.apache.org/docs/latest/sql-ref-datetime-pattern.html).
_PATTERN_LETTERS = set("GyDMLdahKkHmsSVzOXxZ")
_FORMAT_ONLY_LETTERS = set("EFqQ")  # Spark formats with them but refuses to parse with them
_WEEK_BASED_LETTERS = set("YwWuec")  # rejected by Spark 3+ ("week-based patterns are unsupported")


class ExpressionError(ValueError):
    """An expression uses syntax or a function outside the language."""


def datetime_pattern_problem(pattern: str, *, parsing: bool = True) -> str | None:
    """What is wrong with a Spark datetime pattern, or None when Spark accepts it.

    Args:
        pattern: a Java DateTimeFormatter-style pattern such as ``yyyy-MM-dd HH:mm:ss``.
        parsing: True for patterns that read strings (``format:``, ``to_datetime``), False for
            ``date_format``, which may also use ``E``, ``F``, ``q`` and ``Q``.

    Example:
        >>> datetime_pattern_problem("YYYY-MM-dd")
        "pattern 'YYYY-MM-dd' uses the week-based letter 'Y', which Spark rejects; use 'y' for the year"
    """
    if not pattern.strip():
        return "the pattern is empty; write one such as yyyy-MM-dd HH:mm:ss"
    if "'Z'" in pattern:
        return (
            f"pattern {pattern!r} quotes 'Z', which discards the UTC designator and reads the "
            "value in the session time zone; use X (or XXX) instead"
        )
    letters = _PATTERN_LETTERS if parsing else _PATTERN_LETTERS | _FORMAT_ONLY_LETTERS
    quoted = False
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "'":
            if pattern[i + 1 : i + 2] == "'":  # '' is a literal quote, inside or outside quotes
                i += 2
                continue
            quoted = not quoted
        elif not quoted and ch.isascii() and ch.isalpha() and ch not in letters:
            if ch in _WEEK_BASED_LETTERS:
                advice = "use 'y' for the year" if ch == "Y" else "use y, M and d"
                return f"pattern {pattern!r} uses the week-based letter {ch!r}, which Spark rejects; {advice}"
            if ch in _FORMAT_ONLY_LETTERS:
                return (
                    f"pattern {pattern!r} uses {ch!r}, which Spark can format with but not parse; "
                    "remove it (quote it as text if the input carries it)"
                )
            return (
                f"pattern {pattern!r} has the letter {ch!r}, which is not a Spark pattern letter; "
                f"put literal text in single quotes, for example '{ch}'"
            )
        i += 1
    if quoted:
        return f"pattern {pattern!r} has a quote that is never closed; close it with '"
    return None


def regex_problem(pattern: str) -> str | None:
    """What is wrong with a regular expression, or None.

    Spark runs Java regular expressions; the check compiles the pattern with Python's ``re`` after
    mapping the common Java-only constructs (``\\p{L}``, ``\\Q..\\E``, ``(?<name>..)``, ``\\z``), so a
    valid Java pattern is not refused. Python-only syntax (``(?P<name>..)``) is refused.

    Example:
        >>> regex_problem("^L[0-9]{7}$") is None
        True
    """
    if "(?P<" in pattern or "(?P=" in pattern:
        return f"{pattern!r} uses Python's (?P<name>...), which Java regular expressions do not know; write (?<name>...)"
    probe = re.sub(r"\\Q.*?\\E", "x", pattern, flags=re.S)
    probe = re.sub(r"\\[pP]\{[^}]*\}|\\[pP][A-Za-z]|\\[hHRX]", "x", probe)
    probe = re.sub(r"\(\?<([A-Za-z][A-Za-z0-9]*)>", r"(?P<\1>", probe)
    probe = re.sub(r"\\k<([A-Za-z][A-Za-z0-9]*)>", r"(?P=\1)", probe)
    probe = probe.replace("\\z", "\\Z")
    probe = re.sub(r"(?<!\\)([*+?}])\+", r"\1", probe)  # possessive quantifiers
    try:
        re.compile(probe)
    except re.error as exc:
        return f"{pattern!r} is not a valid regular expression ({exc.msg} at position {exc.pos}); fix it"
    except RecursionError:
        return f"{pattern!r} is too deeply nested to be a usable regular expression; simplify it"
    return None


@functools.lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def zone_problem(zone: str) -> str | None:
    """What is wrong with a time zone name, or None when it is a known IANA zone.

    Example:
        >>> zone_problem("Europe/Berlinn")
        "unknown time zone 'Europe/Berlinn'; did you mean 'Europe/Berlin'?"
    """
    try:
        ZoneInfo(zone)
        return None
    except (ZoneInfoNotFoundError, ValueError, OSError):
        pass
    zones = _zones()
    same_case = [z for z in zones if z.lower() == zone.lower()]
    close = same_case or difflib.get_close_matches(zone, sorted(zones), n=1, cutoff=0.85)
    if close:
        return f"unknown time zone {zone!r}; did you mean {close[0]!r}?"
    return f"unknown time zone {zone!r}; use an IANA name such as UTC or America/New_York"


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
        if (
            base
            and isinstance(index, ast.Constant)
            and type(index.value) is int
            and index.value >= 0
        ):
            return f"{base}[{index.value}]"
        return None
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "field"
        and len(node.args) == 1
        and not node.keywords
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
        and node.args[0].value.strip()
    ):
        return node.args[0].value
    return None


def _parse(expression: str) -> ast.AST:
    text = expression.strip()
    if not text:
        raise ExpressionError("the expression is empty; write one such as lower(email)")
    try:
        return ast.parse(text, mode="eval").body
    except SyntaxError as exc:
        at = f" at column {exc.offset}" if exc.offset else ""
        raise ExpressionError(
            f"cannot parse expression {expression!r}: {exc.msg}{at}; fix the syntax"
        ) from exc
    except (ValueError, RecursionError, MemoryError) as exc:
        raise ExpressionError(f"cannot parse expression {expression!r}; simplify it") from exc


def check_expression(expression: str) -> tuple[list[str], set[str]]:
    """Validate an expression without Spark.

    Returns:
        (problems, source paths it reads). Problems are sentences ready to follow a ``file: key:``.

    Example:
        >>> check_expression("concat(first_name, ' ', upper(field('last name')))")
        ([], {'first_name', 'last name'})
    """
    problems: list[str] = []
    sources: set[str] = set()
    try:
        tree = _parse(expression)
        _walk(tree, problems, sources)
    except ExpressionError as exc:
        return [str(exc)], set()
    except RecursionError:
        return ["the expression is too deeply nested; simplify it"], set()
    return list(dict.fromkeys(problems)), sources


def result_kind(expression: str) -> str:
    """Coarse result kind of a valid expression (string, number, boolean, datetime, date, any).

    Example:
        >>> result_kind("iif(points > 100, 'gold', 'silver')")
        'string'
    """
    tree = _parse(expression)
    return _kind(tree)


def _merge(kinds: list[str]) -> str:
    known = {k for k in kinds if k != ANY}
    return known.pop() if len(known) == 1 else ANY


def _kind(node: ast.AST) -> str:
    if _source_path(node) is not None:
        return ANY
    if isinstance(node, ast.Name):  # true / false / null
        value = _CONSTANT_NAMES.get(node.id)
        return BOOLEAN if isinstance(value, bool) else ANY
    if isinstance(node, ast.Constant):
        v = node.value
        if isinstance(v, bool):
            return BOOLEAN
        if isinstance(v, int | float):
            return NUMBER
        return STRING if isinstance(v, str) else ANY
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS:
        name, args = node.func.id, node.args
        if name == "iif":
            return _merge([_kind(a) for a in args[1:3]])
        if name == "coalesce":
            return _merge([_kind(a) for a in args])
        if name == "nullif":
            return _kind(args[0]) if args else ANY
        return FUNCTIONS[name].returns
    if isinstance(node, ast.BinOp):
        return NUMBER
    if isinstance(node, ast.Compare | ast.BoolOp) or (
        isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not)
    ):
        return BOOLEAN
    if isinstance(node, ast.UnaryOp):
        return NUMBER
    return ANY


def _is_literal(node: ast.AST) -> bool:
    """A constant, or a negative number such as ``-1``."""
    if isinstance(node, ast.Constant):
        return True
    return (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub | ast.UAdd)
        and isinstance(node.operand, ast.Constant)
        and type(node.operand.value) in (int, float)
    )


def _snippet(node: ast.AST) -> str:
    text = ast.unparse(node)
    return text if len(text) <= 40 else text[:37] + "..."


def _arity(fn: Function) -> str:
    if fn.max_args == fn.min_args:
        return f"{fn.min_args} argument" + ("" if fn.min_args == 1 else "s")
    if fn.max_args is None:
        return f"{fn.min_args} or more arguments"
    return f"{fn.min_args} to {fn.max_args} arguments"


def _check_literal(name: str, index: int, node: ast.AST, problems: list[str]) -> None:
    want = _LITERAL_TYPES.get((name, index))
    if not _is_literal(node):
        word = _LITERAL_WORDS.get(want, "value") if want else "value"
        problems.append(
            f"{name}(): argument {index + 1} must be a literal {word}, not {_snippet(node)!r}"
        )
        return
    value = _literal(node)
    if want is not None and type(value) is not want:
        problems.append(
            f"{name}(): argument {index + 1} must be a {_LITERAL_WORDS[want]}, got {value!r}"
        )
        return
    if (name, index) in _REGEX_ARGS:
        problem = regex_problem(value)
        if problem:
            problems.append(f"{name}(): argument {index + 1}: {problem}")
    elif name in ("to_datetime", "to_date", "date_format") and index == 1:
        problem = datetime_pattern_problem(value, parsing=name != "date_format")
        if problem:
            problems.append(f"{name}(): argument 2: {problem}")
    elif name == "to_datetime" and index == 2:
        problem = zone_problem(value)
        if problem:
            problems.append(f"{name}(): argument 3: {problem}")


def _walk(node: ast.AST, problems: list[str], sources: set[str]) -> None:
    path = _source_path(node)
    if path is not None:
        sources.add(path)
        return
    if isinstance(node, ast.Constant):
        if not isinstance(node.value, str | int | float | bool) and node.value is not None:
            problems.append(
                f"the constant {_snippet(node)} is not allowed; use a quoted string, a number, true, false or null"
            )
        return
    if isinstance(node, ast.Name):  # true/false/null
        return
    if isinstance(node, ast.Call):
        _walk_call(node, problems, sources)
        return
    if isinstance(node, ast.BinOp):
        op = _BIN_OPS.get(type(node.op))
        if op is None:
            symbol = _OTHER_OPS.get(type(node.op), type(node.op).__name__)
            problems.append(
                f"operator {symbol} is not supported; use + - * / % (and, or, not for conditions)"
            )
        elif op == "+" and STRING in (_kind(node.left), _kind(node.right)):
            problems.append(
                f"'+' adds numbers, so {_snippet(node)!r} would give null; join strings with concat(a, b)"
            )
        _walk(node.left, problems, sources)
        _walk(node.right, problems, sources)
        return
    if isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, ast.USub | ast.Not | ast.UAdd):
            problems.append(
                f"operator {_OTHER_OPS.get(type(node.op), type(node.op).__name__)} is not supported; use not"
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
                f"chained comparisons such as {_snippet(node)!r} are not supported; write a < b and b < c"
            )
        elif type(node.ops[0]) not in _CMP_OPS:
            symbol = _OTHER_OPS.get(type(node.ops[0]), type(node.ops[0]).__name__)
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
            f"{_snippet(node)!r}: only source paths such as a.b may use dots; "
            "there are no methods, call a function instead (for example lower(x))"
        )
        return
    if isinstance(node, ast.Subscript):
        problems.append(
            f"{_snippet(node)!r}: only whole-number indexes such as items[0] are allowed; "
            "for a source name that is not an identifier write field('...')"
        )
        return
    message = _SYNTAX.get(type(node))
    problems.append(message or f"{type(node).__name__} syntax is not allowed in expressions")


def _walk_call(node: ast.Call, problems: list[str], sources: set[str]) -> None:
    if not isinstance(node.func, ast.Name):
        problems.append(
            f"calling {_snippet(node.func)!r} is not allowed; only the expression functions can be "
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
        for i in fn.literal_args:
            if i < n:
                _check_literal(name, i, node.args[i], problems)
        if name == "iif" and n >= 1 and _kind(node.args[0]) not in (BOOLEAN, ANY):
            problems.append(
                f"iif(): the first argument must be a condition (for example x == 'a'), "
                f"not a {_kind(node.args[0])}"
            )
    for arg in node.args:
        _walk(arg, problems, sources)


def compile_expression(
    expression: str, resolve: Callable[[str], Any], default_zone: str = "UTC"
) -> Any:
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
    """The value of a literal argument (a constant, or a signed number such as ``-1``)."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.Constant):
        value: Any = node.operand.value
        return -value if isinstance(node.op, ast.USub) else value
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
        return (
            ~operand
            if isinstance(node.op, ast.Not)
            else (-operand if isinstance(node.op, ast.USub) else operand)
        )
    if isinstance(node, ast.BoolOp):
        cols = [_compile(v, resolve, zone) for v in node.values]
        out = cols[0]
        for c in cols[1:]:
            out = (out & c) if isinstance(node.op, ast.And) else (out | c)
        return out
    if isinstance(node, ast.Compare):
        left, right = (
            _compile(node.left, resolve, zone),
            _compile(node.comparators[0], resolve, zone),
        )
        op = _CMP_OPS[type(node.ops[0])]
        return {
            "==": left == right,
            "!=": left != right,
            "<": left < right,
            "<=": left <= right,
            ">": left > right,
            ">=": left >= right,
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
        return F.substring(
            s[0], int(_literal(raw[1])), int(_literal(raw[2])) if len(raw) > 2 else 2**31 - 1
        )
    if name == "replace":
        return F.replace(s[0], s[1], s[2])
    if name == "regexp_replace":
        return F.regexp_replace(s[0], str(_literal(raw[1])), s[2])
    if name == "regexp_extract":
        return F.regexp_extract(
            s[0], str(_literal(raw[1])), int(_literal(raw[2])) if len(raw) > 2 else 1
        )
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
        return convert.parse_date(s[0], formats=fmts, timezone=zone).value
    if name == "date_format":
        return F.date_format(args[0], str(_literal(raw[1])))
    if name in ("year", "month"):
        return getattr(F, name)(args[0])
    if name == "day":
        return F.dayofmonth(args[0])
    if name == "epoch_millis":
        return F.unix_millis(args[0].cast("timestamp"))
    raise ExpressionError(
        f"function {name}() has no compiler"
    )  # pragma: no cover - table and compiler agree
