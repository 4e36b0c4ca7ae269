"""What a conversion returns (:class:`Converted`), and the text rules every converter shares:
whitespace is trimmed, and empty or whitespace-only text is null, not an error.

Example:
    >>> c = Converted(F.col("x"), F.lit(False))  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pyspark.sql import Column
from pyspark.sql import functions as F

from lakeport.transforms.notes import Note

WHITESPACE = " \t\n\r\f\u000b"


@dataclass(frozen=True)
class Converted:
    """A converted value and whether the (non-empty) source failed to convert."""

    value: Column
    invalid: Column
    code: str = "CONVERSION_INVALID"
    # ``invalid`` rebuilt on a column that already holds ``value``: callers that materialise the
    # value first (the mapping engine) use it, so the conversion is not evaluated twice
    invalid_from: Callable[[Column], Column] | None = None
    # warnings about a value that lands (epoch unit, DST gap/overlap): lakeport.transforms.notes
    notes: tuple[Note, ...] = ()


def strip(s: Column) -> Column:
    """Trim all whitespace (tabs, newlines too): F.trim only removes spaces."""
    # btrim with an explicit set: a regex (^\s+|\s+$) costs ~1 s per million values
    return F.btrim(s, F.lit(WHITESPACE))


def blank(s: Column) -> Column:
    return s.isNull() | (strip(s) == F.lit(""))


def blank_to_null(s: Column) -> Column:
    """Empty or whitespace-only text as null (what the README promises for empty text)."""
    return F.when(~blank(s), s)
