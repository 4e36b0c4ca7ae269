"""What a conversion returns (:class:`Converted`), and the text rules every converter shares:
whitespace is trimmed, and empty or whitespace-only text is null, not an error.

A conversion is built to be evaluated in steps (the mapping engine's projections, one column
each): the source's trimmed text once (:func:`strip`), the one costly parse or cast (``raw``),
the final value from it (``finish``), then the failure flags and warnings from the final value
(``invalid_from``, ``notes_from``), which only look at materialised columns. ``value`` and
``invalid`` are the same conversion as single expressions, for callers that need one Column.

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
    # ``invalid`` rebuilt on a column that already holds the final value: the mapping engine
    # uses it, so the conversion is not evaluated again for its flags
    invalid_from: Callable[[Column], Column] | None = None
    # warnings about a value that lands (epoch unit, DST gap/overlap): lakeport.transforms.notes
    notes: tuple[Note, ...] = ()
    # the one costly expression (a parse, a cast), materialised once; ``value == finish(raw)``
    raw: Column | None = None
    finish: Callable[[Column], Column] | None = None
    # ``notes`` rebuilt on the column that holds the final value
    notes_from: Callable[[Column], tuple[Note, ...]] | None = None


def strip(s: Column) -> Column:
    """Trim all whitespace (tabs, newlines too): F.trim only removes spaces."""
    # btrim with an explicit set: a regex (^\s+|\s+$) costs ~1 s per million values
    return F.btrim(s, F.lit(WHITESPACE))


def blank(s: Column) -> Column:
    return s.isNull() | (strip(s) == F.lit(""))


def blank_to_null(s: Column) -> Column:
    """Empty or whitespace-only text as null (what the README promises for empty text)."""
    return F.when(~blank(s), s)


def filled(t: Column) -> Column:
    """True when the already-trimmed text ``t`` is not empty (false for null): the source had
    something to convert."""
    return F.coalesce(F.octet_length(t) > 0, F.lit(False))
