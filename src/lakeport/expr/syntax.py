"""The grammar of expressions: Python's own parser, then only a fixed set of node kinds.

Expressions are written like ``concat(first_name, ' ', upper(last_name))`` or
``iif(amount > 100, 'big', 'small')``. Bare names and dot paths (``person.email``,
``items[0].sku``) are source fields; ``field('first name')`` names a source that is not an
identifier. This module finds source paths and the coarse result kind of a node; the checks are
in :mod:`lakeport.expr.check`, the compiler in :mod:`lakeport.expr.compile`.
"""

from __future__ import annotations

import ast
import contextlib
import io
import keyword
import tokenize
from typing import Any

from lakeport.expr.functions import ANY, BOOLEAN, FUNCTIONS, NUMBER, STRING


class ExpressionError(ValueError):
    """An expression uses syntax or a function outside the language."""


BIN_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Mod: "%"}
CMP_OPS = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
CONSTANT_NAMES = {
    "true": True,
    "false": False,
    "null": None,
    "True": True,
    "False": False,
    "None": None,
}
OTHER_OPS = {
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

# Syntax outside the language, with what to write instead.
SYNTAX = {
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


# A path segment named like a Python keyword (``segments[0].from``, ``lower(class)``) is renamed
# to KEYWORD + name before Python parses the text, and named back in paths and messages.
KEYWORD = "__kw_"
_OWN_WORDS = {"and", "or", "not", "True", "False", "None"}  # the language's own keywords
_BEFORE = {"(", ",", ".", "+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">="}
_AFTER = (_BEFORE - {"("}) | {")", "["}


def _segment(name: str) -> str:
    return name[len(KEYWORD) :] if name.startswith(KEYWORD) else name


def _keyword_segments(text: str) -> tuple[str, list[tuple[int, int]]]:
    """``text`` with keywords in field positions renamed, and (line, column) of each renaming.

    A keyword is a field where an operand stands: after ``.`` always; otherwise between an
    opening token (start, ``(``, ``,``, an operator, ``and``/``or``/``not``) and a closing one
    (end, ``)``, ``,``, ``.``, ``[``, an operator). ``lambda x: x``, ``a if b else c`` or
    ``import os`` keep their keywords, and their messages.
    """
    tokens: list[tokenize.TokenInfo] = []
    skip = (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT, tokenize.ENDMARKER)
    # an unclosed '(' stops the tokenizer at the end: keep what it read
    with contextlib.suppress(tokenize.TokenError, SyntaxError):
        tokens.extend(
            t for t in tokenize.generate_tokens(io.StringIO(text).readline) if t.type not in skip
        )
    lines = text.split("\n")
    at: list[tuple[int, int]] = []
    for i, t in enumerate(tokens):
        if t.type != tokenize.NAME or not keyword.iskeyword(t.string) or t.string in _OWN_WORDS:
            continue
        before = tokens[i - 1].string if i else "("
        after = tokens[i + 1].string if i + 1 < len(tokens) else ")"
        opens = before in _BEFORE or before in ("and", "or", "not")
        if before == "." or (opens and (after in _AFTER or after in ("and", "or"))):
            at.append(t.start)
    for row, col in reversed(at):  # right to left, so earlier columns stay put
        line = lines[row - 1]
        lines[row - 1] = line[:col] + KEYWORD + line[col:]
    return "\n".join(lines), at


def source_path(node: ast.AST) -> str | None:
    """The dot path for Name/Attribute/Subscript chains, e.g. ``items[0].sku``; else None."""
    if isinstance(node, ast.Name):
        return None if node.id in CONSTANT_NAMES else _segment(node.id)
    if isinstance(node, ast.Attribute):
        base = source_path(node.value)
        return f"{base}.{_segment(node.attr)}" if base else None
    if isinstance(node, ast.Subscript):
        base = source_path(node.value)
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


def parse_tree(expression: str) -> ast.AST:
    text = expression.strip()
    if not text:
        raise ExpressionError("the expression is empty; write one such as lower(email)")
    renamed, renamings = _keyword_segments(text)
    try:
        return ast.parse(renamed, mode="eval").body
    except SyntaxError as exc:
        offset = exc.offset
        if offset:  # the column in the text as written, before keywords were renamed
            offset -= len(KEYWORD) * sum(
                1 for row, col in renamings if row == exc.lineno and col < offset - 1
            )
        at = f" at column {offset}" if offset else ""
        raise ExpressionError(
            f"cannot parse expression {expression!r}: {exc.msg}{at}; fix the syntax"
        ) from exc
    except (ValueError, RecursionError, MemoryError) as exc:
        raise ExpressionError(f"cannot parse expression {expression!r}; simplify it") from exc


def merge_kinds(kinds: list[str]) -> str:
    known = {k for k in kinds if k != ANY}
    return known.pop() if len(known) == 1 else ANY


def kind_of(node: ast.AST) -> str:
    if source_path(node) is not None:
        return ANY
    if isinstance(node, ast.Name):  # true / false / null
        value = CONSTANT_NAMES.get(node.id)
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
            return merge_kinds([kind_of(a) for a in args[1:3]])
        if name == "coalesce":
            return merge_kinds([kind_of(a) for a in args])
        if name == "nullif":
            return kind_of(args[0]) if args else ANY
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


def is_literal(node: ast.AST) -> bool:
    """A constant, or a negative number such as ``-1``."""
    if isinstance(node, ast.Constant):
        return True
    return (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub | ast.UAdd)
        and isinstance(node.operand, ast.Constant)
        and type(node.operand.value) in (int, float)
    )


def snippet(node: ast.AST) -> str:
    text = ast.unparse(node).replace(KEYWORD, "")
    return text if len(text) <= 40 else text[:37] + "..."


def literal_value(node: ast.AST) -> Any:
    """The value of a literal argument (a constant, or a signed number such as ``-1``)."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.Constant):
        value: Any = node.operand.value
        return -value if isinstance(node.op, ast.USub) else value
    assert isinstance(node, ast.Constant)
    return node.value
