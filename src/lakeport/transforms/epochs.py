"""Datetimes and dates that arrive as numbers: an epoch column, or a JSON value that may be an
integer (an epoch number of any size) or a string (read like any text, :mod:`.datetimes`).

Example:
    >>> c = epoch_value(F.col("ts_ms"), "datetime", "millis")  # doctest: +SKIP
    >>> df.select(c.value.alias("ts"), c.invalid.alias("bad"))  # doctest: +SKIP
"""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

from lakeport.errors import ErrorCode
from lakeport.transforms.datetimes import (
    digit_count,
    epoch_instant,
    epoch_range,
    epoch_to_timestamp,
    max_epoch_digits,
    odd_date,
    parse_date,
    parse_datetime,
)
from lakeport.transforms.notes import Note, epoch_note
from lakeport.transforms.values import Converted, filled, strip


def epoch_value(
    n: Column, target: str, unit: str | None, *, landed: Column | None = None
) -> Converted:
    """An integral epoch number (bigint, or decimal(38,0) of any size) as a datetime or a date:
    CONVERSION_OUT_OF_RANGE past years 0001..9999, a DATETIME_EPOCH_UNIT_SUSPECT note outside
    1971..2200. ``landed`` is ``n`` as a bigint where the value landed, when the caller has a
    cheaper form of it than ``n`` (the warning's message reads it a dozen times)."""
    unit = unit or "millis"
    lo, hi = epoch_range(unit)
    # the range check comes before the bigint cast: a decimal(38,0) past bigint would throw
    ts = F.when(n.between(lo, hi), epoch_to_timestamp(n.cast("bigint"), unit))
    value = ts if target == "datetime" else F.to_date(ts)

    def notes(v: Column) -> tuple[Note, ...]:
        if target == "datetime":
            return (epoch_note(v, unit),)
        # a date: its year says it (the boundaries are UTC midnights); the instant of the
        # message is read only for those rows, from the number alone (it is in range there)
        number = landed if landed is not None else n.cast("bigint")
        return (epoch_note(epoch_instant(number, unit), unit, flag=odd_date(v)),)

    return Converted(
        value,
        n.isNotNull() & value.isNull(),
        ErrorCode.CONVERSION_OUT_OF_RANGE.value,
        invalid_from=lambda v: v.isNull() & n.isNotNull(),
        notes=notes(value),
        notes_from=notes,
    )


def json_value(
    src: Column,
    target: str,
    *,
    formats: list[str] | None,
    timezone: str,
    unit: str | None,
    text: Column | None = None,
) -> list[Converted]:
    """A JSON value read as a variant: a JSON integer is an epoch number of any size (``0``,
    ``2018``); anything else is read as its text, like a string value. ``text`` is the value's
    text trimmed (``strip(src.cast("string"))``), when the caller has it as a column."""
    t = text if text is not None else strip(src.cast("string"))
    # the text of a JSON integer is its digits; only then ask whether it was a JSON string
    digits = (
        (F.startswith(t, F.lit("-")) | ((t >= F.lit("0")) & (t < F.lit(":"))))
        & ~F.contains(t, F.lit("."))
        & ~F.contains(t, F.lit("E"))
    )
    whole = F.coalesce(digits & ~F.startswith(F.to_json(src), F.lit('"')), F.lit(False))
    number = F.when(whole & (digit_count(t) <= max_epoch_digits(unit)), t.try_cast("bigint"))
    epoch = epoch_value(number, target, unit)  # more digits than that: past year 9999
    parse = parse_datetime if target == "datetime" else parse_date
    parsed = parse(src.cast("string"), formats=formats, timezone=timezone, unit=unit, text=t)
    assert parsed.raw is not None and parsed.finish is not None and parsed.notes_from is not None
    text_notes = parsed.notes_from

    def notes(v: Column) -> tuple[Note, ...]:
        # where a note fires the value landed: its digits are the number (a small cast to copy)
        as_epoch = epoch_value(number, target, unit, landed=t.try_cast("bigint"))
        as_number = as_epoch.notes_from(v)  # type: ignore[misc]
        mine = tuple(n._replace(flag=n.flag & whole) for n in as_number)
        return mine + tuple(n._replace(flag=n.flag & ~whole) for n in text_notes(v))

    finish = parsed.finish
    return [
        Converted(
            F.when(whole, epoch.value).otherwise(parsed.value),
            ~whole & parsed.invalid,
            parsed.code,
            invalid_from=lambda v: v.isNull() & filled(t) & ~whole,
            notes=(
                *(n._replace(flag=n.flag & whole) for n in epoch.notes),
                *(n._replace(flag=n.flag & ~whole) for n in parsed.notes),
            ),
            raw=F.when(whole, epoch.value).otherwise(parsed.raw),
            finish=finish,
            notes_from=notes,
        ),
        Converted(
            F.lit(None),
            whole & epoch.value.isNull(),
            ErrorCode.CONVERSION_OUT_OF_RANGE.value,
            invalid_from=lambda v: v.isNull() & filled(t) & whole,
        ),
    ]
