"""One total order of rows that Spark and Python compute alike, and a check for real ties.

Spark's top-k (``orderBy(...).limit(n)``) returns tied rows in an order that depends on how the
files fall into partitions and which task finishes first, so the order of a preview is pinned
down here: the given leading columns, then every orderable leaf of the row in schema order (a
struct's own null-ness before its fields; arrays, maps and binary are left out), nulls first,
NaN after every other double (Spark's rule), strings by code point (Spark's binary UTF-8 order).
:func:`spark_order` builds the same keys as Spark columns, :func:`sort_key` as a Python key, and
:func:`pick` refuses (Unavailable) when rows that differ are still tied where the order or the
cut decides.

Example:
    >>> from lakeport.readonly.tables import Frame
    >>> f = Frame(["a", "b"], {"a": "long", "b": "string"}, {"a": [2, None, 1], "b": ["x", "y", "z"]})
    >>> ks = keys({"a": "long", "b": "string"}, ["a"])
    >>> [k.path for k in ks], pick(f, ks, 2)
    ([('a',), ('b',)], [1, 2])
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from lakeport.readonly.store import Unavailable
from lakeport.readonly.tables import Frame, type_name

_ORDERABLE = {"string", "long", "integer", "short", "byte", "boolean", "date", "timestamp"}
_SPARK_ORDERABLE = {
    "StringType": "value",
    "ByteType": "value",
    "ShortType": "value",
    "IntegerType": "value",
    "LongType": "value",
    "BooleanType": "value",
    "DateType": "value",
    "TimestampType": "value",
    "DoubleType": "double",
    "FloatType": "double",
}


@dataclass(frozen=True)
class Key:
    """One sort key: a column path; ``present`` sorts by null-ness only (nulls first)."""

    path: tuple[str, ...]
    kind: str  # "present", "value" or "double"


def keys(fields: dict[str, Any], leading: list[str]) -> list[Key]:
    """The keys of a delta-rs schema (name -> type): ``leading`` first, then every leaf."""

    def walk(path: tuple[str, ...], t: Any) -> list[Key]:
        kind = type_name(t)
        if kind == "struct":
            out = [Key(path, "present")]
            for f in t.fields:
                out.extend(walk((*path, f.name), f.type))
            return out
        if kind in ("double", "float"):
            return [Key(path, "double")]
        return [Key(path, "value")] if kind in _ORDERABLE else []

    out: list[Key] = []
    for name in [*leading, *(n for n in fields if n not in leading)]:
        out.extend(walk((name,), fields[name]))
    return out


def spark_keys(schema: Any, leading: list[str]) -> list[Key]:
    """The same keys from a Spark StructType (for the Spark path of the same command)."""

    def walk(path: tuple[str, ...], t: Any) -> list[Key]:
        if type(t).__name__ == "StructType":
            out = [Key(path, "present")]
            for f in t.fields:
                out.extend(walk((*path, f.name), f.dataType))
            return out
        kind = _SPARK_ORDERABLE.get(type(t).__name__)
        return [Key(path, kind)] if kind else []

    fields = {f.name: f.dataType for f in schema.fields}
    out: list[Key] = []
    for name in [*leading, *(n for n in fields if n not in leading)]:
        out.extend(walk((name,), fields[name]))
    return out


def spark_order(keys_: list[Key]) -> list[Any]:
    """Spark sort columns for the keys (ascending, nulls first; Spark puts NaN last itself)."""
    from pyspark.sql import functions as F

    cols = []
    for k in keys_:
        col = F.col(f"`{k.path[0]}`")
        for name in k.path[1:]:
            col = col.getField(name)
        cols.append(col.isNotNull().asc() if k.kind == "present" else col.asc_nulls_first())
    return cols


def _leaf(frame: Frame, path: tuple[str, ...], i: int) -> Any:
    value = frame.columns[path[0]][i]
    for name in path[1:]:
        value = None if value is None else value.get(name)
    return value


def sort_key(frame: Frame, keys_: list[Key], i: int) -> tuple[Any, ...]:
    """Row ``i``'s key: per key (present,) or (present, value) / (present, is NaN, value)."""
    out: list[Any] = []
    for k in keys_:
        v = _leaf(frame, k.path, i)
        if k.kind == "present" or v is None:
            out.append((v is not None,))
        elif k.kind == "double":
            nan = math.isnan(v)
            out.append((True, nan, 0.0 if nan else v))
        else:
            out.append((True, v))
    return tuple(out)


def pick(frame: Frame, keys_: list[Key], limit: int | None) -> list[int]:
    """The first ``limit`` row indices in key order; Unavailable when differing rows tie.

    Rows with equal keys that Spark could return in either order, or either of which the cut
    at ``limit`` could keep, must be equal as printed for the answer not to depend on Spark's
    choice.
    """
    try:
        ranked = sorted((sort_key(frame, keys_, i), i) for i in range(frame.num_rows))
    except TypeError as exc:  # values of one column that do not compare (never from Delta)
        raise Unavailable(f"values that do not compare: {exc}") from exc
    n = len(ranked) if limit is None else max(0, min(limit, len(ranked)))
    start = 0
    while start < n:
        end = start + 1
        while end < len(ranked) and ranked[end][0] == ranked[start][0]:
            end += 1
        if end - start > 1:
            printed = frame.rows([i for _, i in ranked[start:end]])
            if any(r != printed[0] for r in printed[1:]):
                raise Unavailable("rows that differ are tied in the sort order")
        start = end
    return [i for _, i in ranked[:n]]
