"""Type conversion, as native Spark expressions; datetimes in :mod:`lakeport.transforms.datetimes`.

Every converter returns a :class:`Converted`: the typed value and a boolean ``invalid`` Column that
is true when a non-empty source value could not become the target type (the value is then null).
Nothing here throws on bad data under ANSI mode: only ``try_*`` functions touch user values.

Example:
    >>> c = parse_datetime(F.col("ts"), timezone="America/New_York")  # doctest: +SKIP
    >>> df.select(c.value.alias("ts_utc"), c.invalid.alias("bad"))  # doctest: +SKIP
"""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F
from pyspark.sql import types as T

from lakeport.errors import ErrorCode
from lakeport.transforms.datetimes import (
    epoch_to_timestamp,
    parse_date,
    parse_datetime,
)
from lakeport.transforms.datetimes import in_range as _in_range
from lakeport.transforms.datetimes import in_zone as _in_zone
from lakeport.transforms.epochs import epoch_value, json_value
from lakeport.transforms.notes import dst_notes
from lakeport.transforms.types import PRIMITIVE_SPARK_TYPES
from lakeport.transforms.values import Converted, blank_to_null, filled
from lakeport.transforms.values import strip as _strip

# the datetime parsers and the result type live in their own modules; this is their entry point
__all__ = [
    "Converted",
    "blank_to_null",
    "convert",
    "epoch_to_timestamp",
    "parse_date",
    "parse_datetime",
    "source_text",
    "string_to_boolean",
]

_INTEGER = r"^[+-]?[0-9]+$"
# JSON-style decimal numbers only: Spark's cast also takes "12d", "1f", "NaN" and "Infinity"
_DECIMAL = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$"
INTEGER_RANGES = {
    "byte": (-(2**7), 2**7 - 1),
    "short": (-(2**15), 2**15 - 1),
    "integer": (-(2**31), 2**31 - 1),
    # SEMANTICS.md: longs are capped at 2^53-1 so that every value survives JSON consumers.
    "long": (-(2**53 - 1), 2**53 - 1),
}
# one table of primitive types for the whole package: the schema model owns it
SPARK_TYPES = PRIMITIVE_SPARK_TYPES
TRUE_WORDS = ("true", "yes", "y", "on")
FALSE_WORDS = ("false", "no", "n", "off")


def string_to_boolean(s: Column, *, text: Column | None = None) -> Column:
    """true/false, yes/no, y/n, on/off in any case; null otherwise. ``text``: ``s`` trimmed and
    lower-cased, when the caller has it as a column already.

    Example:
        >>> df.select(string_to_boolean(F.col("opt_in")).alias("opt_in"))  # doctest: +SKIP
    """
    t = text if text is not None else F.lower(_strip(s))
    return F.when(t.isin(*TRUE_WORDS), F.lit(True)).when(t.isin(*FALSE_WORDS), F.lit(False))


_TEXT_TARGETS = ("byte", "short", "integer", "long", "double", "boolean", "date", "datetime")


def source_text(src: Column, src_type: T.DataType, target: str) -> Column | None:
    """The text a conversion of ``src`` to ``target`` reads: the value trimmed (lower-cased for
    booleans), or None when it reads no text. The mapping engine computes it once per row, in its
    own projection, and passes it to :func:`convert` as ``text``.

    Example:
        >>> t = source_text(F.col("qty"), T.StringType(), "integer")  # doctest: +SKIP
    """
    if isinstance(src_type, T.VariantType) and target in ("date", "datetime"):
        return _strip(src.cast("string"))
    if not isinstance(src_type, T.StringType) or target not in _TEXT_TARGETS:
        return None
    return F.lower(_strip(src)) if target == "boolean" else _strip(src)


def _integral(n: Column, target: str) -> Converted:
    lo, hi = INTEGER_RANGES[target]
    spark_type = SPARK_TYPES[target]
    in_range = n.between(lo, hi)
    value = F.when(in_range, n.cast(spark_type))
    return Converted(value, n.isNotNull() & ~in_range, ErrorCode.CONVERSION_OUT_OF_RANGE.value)


def convert(
    src: Column,
    src_type: T.DataType,
    target: str,
    *,
    formats: list[str] | None = None,
    timezone: str = "UTC",
    unit: str | None = None,
    text: Column | None = None,
) -> list[Converted]:
    """Convert ``src`` of Spark type ``src_type`` to the lakeport primitive type ``target``.

    Returns a list of Converted whose first element carries the value (and ``raw``/``finish``);
    each element's ``invalid`` flags one failure kind (a conversion can fail as "not a number" or
    as "out of range"), and its ``invalid_from`` computes that flag from the final value.
    Unsupported combinations (per the conversion table) are flagged CONVERSION_TYPE_MISMATCH
    for every non-null value. ``text`` is :func:`source_text` of the same arguments, when the
    caller has it as a column already (the mapping engine): every costly step then reads it.

    Example:
        >>> parts = convert(F.col("age"), T.StringType(), "integer")  # doctest: +SKIP
        >>> df.select(parts[0].value.alias("age"), *[p.invalid for p in parts])  # doctest: +SKIP
    """
    string_src = isinstance(src_type, T.StringType)
    integral_src = isinstance(src_type, T.ByteType | T.ShortType | T.IntegerType | T.LongType)
    numeric_src = integral_src or isinstance(src_type, T.FloatType | T.DoubleType | T.DecimalType)
    if isinstance(src_type, T.VariantType):  # a JSON value (JSON readers, date/datetime targets)
        if target in ("datetime", "date"):
            return json_value(src, target, formats=formats, timezone=timezone, unit=unit, text=text)
        return convert(src.cast("string"), T.StringType(), target, timezone=timezone)

    if target == "string":
        if isinstance(src_type, T.StructType | T.ArrayType | T.MapType):
            return [Converted(F.to_json(src), F.lit(False))]
        if isinstance(src_type, T.TimestampType):
            text = F.date_format(src, "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX")
            return [Converted(text, F.lit(False))]
        return [Converted(src.cast("string"), F.lit(False))]

    if target == "datetime":
        if string_src:
            return [parse_datetime(src, formats=formats, timezone=timezone, unit=unit, text=text)]
        if integral_src:
            return [epoch_value(src.cast("bigint"), target, unit)]
        if isinstance(src_type, T.TimestampType):
            return [Converted(src, F.lit(False))]
        if isinstance(src_type, T.TimestampNTZType | T.DateType):
            # wall-clock values (a date is its midnight) are read in the mapping's zone
            wall = src.cast("timestamp")
            value = _in_range(_in_zone(wall, timezone))
            return [
                Converted(
                    value,
                    src.isNotNull() & value.isNull(),
                    ErrorCode.CONVERSION_OUT_OF_RANGE.value,
                    invalid_from=lambda v: v.isNull() & src.isNotNull(),
                    notes=dst_notes(value, timezone, wall),
                    notes_from=lambda v: dst_notes(v, timezone, wall),
                )
            ]
        return [_mismatch(src, target)]

    if target == "date":
        if string_src:
            return [parse_date(src, formats=formats, timezone=timezone, unit=unit, text=text)]
        if integral_src:
            return [epoch_value(src.cast("bigint"), target, unit)]
        if isinstance(src_type, T.DateType | T.TimestampType | T.TimestampNTZType):
            return [Converted(F.to_date(src), F.lit(False))]
        return [_mismatch(src, target)]

    if target == "boolean":
        if string_src:
            t = text if text is not None else F.lower(_strip(src))
            value = string_to_boolean(src, text=t)
            code = ErrorCode.CONVERSION_INVALID_BOOLEAN.value
            return [
                Converted(
                    value,
                    filled(t) & value.isNull(),
                    code,
                    invalid_from=lambda v: v.isNull() & filled(t),
                )
            ]
        if isinstance(src_type, T.BooleanType):
            return [Converted(src, F.lit(False))]
        return [_mismatch(src, target)]

    if target == "double":
        if string_src:
            return _string_to_double(text if text is not None else _strip(src))
        if numeric_src:
            return [Converted(src.cast("double"), F.lit(False))]
        return [_mismatch(src, target)]

    if target in INTEGER_RANGES:
        if string_src:
            return _string_to_integer(text if text is not None else _strip(src), target)
        if integral_src:
            return [_integral(src.cast("decimal(38,0)"), target)]
        if numeric_src:
            d = src.cast("double")
            lo, hi = INTEGER_RANGES[target]
            # NaN sorts above every number in Spark, so between() is false for NaN and +-inf
            in_range = d.between(lo, hi)
            whole = (d % F.lit(1.0)) == F.lit(0.0)
            value = F.when(in_range & whole, d.cast(SPARK_TYPES[target]))
            out_of_range = d.isNotNull() & ~F.isnan(d) & ~in_range
            not_number = d.isNotNull() & (F.isnan(d) | (in_range & ~whole))
            return [
                Converted(value, out_of_range, ErrorCode.CONVERSION_OUT_OF_RANGE.value),
                Converted(F.lit(None), not_number, ErrorCode.CONVERSION_INVALID_NUMBER.value),
            ]
        return [_mismatch(src, target)]

    raise ValueError(f"convert(): unsupported target type {target!r}")  # pragma: no cover


def _string_to_double(t: Column) -> list[Converted]:
    """Trimmed text to a double: one regex (JSON-style numbers only) and one cast; out of range
    when the number is infinite (``1e400``)."""
    raw = F.when(t.rlike(_DECIMAL), t.try_cast("double"))  # the cast cannot fail there

    def finish(r: Column) -> Column:
        return F.when(F.abs(r) != F.lit(float("inf")), r)

    def not_number(v: Column) -> Column:  # the regex runs again on failed values only
        return v.isNull() & filled(t) & ~t.rlike(_DECIMAL)

    def overflow(v: Column) -> Column:
        return v.isNull() & filled(t) & t.rlike(_DECIMAL)

    value = finish(raw)
    return [
        Converted(
            value,
            not_number(value),
            ErrorCode.CONVERSION_INVALID_NUMBER.value,
            invalid_from=not_number,
            raw=raw,
            finish=finish,
        ),
        Converted(F.lit(None), overflow(value), ErrorCode.CONVERSION_OUT_OF_RANGE.value, overflow),
    ]


def _string_to_integer(t: Column, target: str) -> list[Converted]:
    """Trimmed text to an integer type: one regex (digits, optional sign) and one ``bigint``
    cast; a well-formed number outside the type's range (a bigint cast of more than 19 digits
    fails: beyond every range) is out of range."""
    lo, hi = INTEGER_RANGES[target]
    # leading zeros and a + sign are fine for the cast; it only fails past the bigint range
    raw = F.when(t.rlike(_INTEGER), t.try_cast("bigint"))

    def finish(r: Column) -> Column:
        return F.when(r.between(lo, hi), r.cast(SPARK_TYPES[target]))

    def out_of_range(v: Column) -> Column:  # the regex runs again on failed values only
        return v.isNull() & filled(t) & t.rlike(_INTEGER)

    def not_number(v: Column) -> Column:
        return v.isNull() & filled(t) & ~t.rlike(_INTEGER)

    value = finish(raw)
    return [
        Converted(
            value,
            out_of_range(value),
            ErrorCode.CONVERSION_OUT_OF_RANGE.value,
            invalid_from=out_of_range,
            raw=raw,
            finish=finish,
        ),
        Converted(
            F.lit(None), not_number(value), ErrorCode.CONVERSION_INVALID_NUMBER.value, not_number
        ),
    ]


def _mismatch(src: Column, target: str) -> Converted:
    spark_type = SPARK_TYPES[target]
    return Converted(
        F.lit(None).cast(spark_type), src.isNotNull(), ErrorCode.CONVERSION_TYPE_MISMATCH.value
    )
