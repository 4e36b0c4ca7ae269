"""Spark's ``DataFrame.show(n, truncate=40, vertical=...)`` text, for ``datasets preview``.

Cells are written as Spark's ``ToPrettyString`` writes them (``NULL``, structs and maps in
braces, ``k -> v``, arrays in brackets, timestamps ``yyyy-MM-dd HH:mm:ss[.ffffff]`` in UTC, the
session time zone lakeport sets, doubles as Java's ``Double.toString``), meta characters escaped
(``\\n`` and friends), cut at ``truncate`` with ``...``, and laid out as ``showString`` does.
Text outside the Basic Multilingual Plane or in a full-width range (where Java's string length
and Spark's half-width rule would need care) is :class:`Unavailable`: Spark draws it.

Example:
    >>> print(table(["a", "b"], [["1", "x"]], truncate=40), end="")
    +---+---+
    |  a|  b|
    +---+---+
    |  1|  x|
    +---+---+
"""

from __future__ import annotations

import math
from datetime import timezone
from typing import Any

from lakeport.readonly.sparkjson import java_double
from lakeport.readonly.store import Unavailable
from lakeport.readonly.tables import type_name

_META = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\f": "\\f", "\b": "\\b", "\v": "\\v", "\a": "\\a"}
_INTEGERS = ("long", "integer", "short", "byte")


def pretty(t: Any, value: Any) -> str:
    """One value as ``ToPrettyString`` writes it."""
    if value is None:
        return "NULL"
    kind = type_name(t)
    if kind == "string":
        return str(value)
    if kind in _INTEGERS:
        return str(value)
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "double":
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return java_double(value)
    if kind == "date":
        if not 1000 <= value.year <= 9999:
            raise Unavailable("a date outside years 1000-9999")
        return str(value.isoformat())
    if kind == "timestamp":
        utc = value.astimezone(timezone.utc)
        if not 1000 <= utc.year <= 9999:
            raise Unavailable("a timestamp outside years 1000-9999")
        text = utc.strftime("%Y-%m-%d %H:%M:%S")
        return text + (f".{utc.microsecond:06d}".rstrip("0") if utc.microsecond else "")
    if kind == "struct":
        return "{" + ", ".join(pretty(f.type, value.get(f.name)) for f in t.fields) + "}"
    if kind == "array":
        return "[" + ", ".join(pretty(t.element_type, v) for v in value) + "]"
    if kind == "map":
        items = (f"{pretty(t.key_type, k)} -> {pretty(t.value_type, v)}" for k, v in value)
        return "{" + ", ".join(items) + "}"
    raise Unavailable(f"no show() text for Delta type {kind}")


def _cell(text: str, truncate: int) -> str:
    if any(ord(c) >= 0x1100 for c in text):
        raise Unavailable("text with wide or non-BMP characters")
    text = "".join(_META.get(c, c) for c in text)
    if truncate > 0 and len(text) > truncate:
        return text[:truncate] if truncate < 4 else text[: truncate - 3] + "..."
    return text


def table(names: list[str], rows: list[list[str]], *, truncate: int, vertical: bool = False) -> str:
    """``showString`` of the header ``names`` and the cell texts ``rows`` (already cut)."""
    header = [_cell(n, 0) for n in names]
    out: list[str] = []
    if not vertical:
        widths = [max(3, len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]

        def line(cells: list[str]) -> str:
            padded = [
                c.rjust(w) if truncate > 0 else c.ljust(w)
                for c, w in zip(cells, widths, strict=True)
            ]
            return "|" + "|".join(padded) + "|\n"

        sep = "+" + "+".join("-" * w for w in widths) + "+\n"
        out += [sep, line(header), sep, *(line(r) for r in rows), sep]
    else:
        name_width = max(3, *(len(h) for h in header)) if header else 3
        data_width = max([3, *(len(c) for r in rows for c in r)])
        for i, r in enumerate(rows):
            out.append(f"-RECORD {i}".ljust(name_width + data_width + 5, "-") + "\n")
            out += [
                f" {h.ljust(name_width)} | {c.ljust(data_width)} \n"
                for h, c in zip(header, r, strict=True)
            ]
        if not rows:  # what Spark 4.2 prints here: no newline of its own before print's
            out.append("(0 rows)")
    return "".join(out)


def show(
    names: list[str],
    types: dict[str, Any],
    rows: list[dict[str, Any]],
    *,
    truncate: int,
    vertical: bool,
) -> str:
    """What ``df.show(len(rows), truncate, vertical)`` prints (without print's own newline)."""
    cells = [[_cell(pretty(types[n], r[n]), truncate) for n in names] for r in rows]
    return table(names, cells, truncate=truncate, vertical=vertical)
