"""Type conversion and datetime normalisation, as native Spark expressions.

Every converter returns a :class:`Converted`: the typed value and a boolean ``invalid`` Column that
is true when a non-empty source value could not become the target type (the value is then null).
Nothing here throws on bad data under ANSI mode: only ``try_*`` functions touch user values.

Datetime rules (SEMANTICS.md, "Types and datetimes"):

* ISO 8601 / RFC 3339: ``yyyy-MM-dd``, optionally ``T`` or a space and ``HH:mm[:ss[.f{1,9}]]``,
  optionally ``Z`` or ``+hh:mm`` / ``-hh:mm`` / ``+hhmm`` / ``+hh``. Case-insensitive ``T``/``Z``.
* A value without an offset is wall-clock time in the mapping's ``timezone`` (default UTC).
* A digit string of 9 or more digits (optional ``-``) or an integral number is epoch milliseconds
  (``unit: seconds`` opts into seconds). Shorter digit strings are invalid: ``2018`` or
  ``20180710`` are ISO-shaped dates, and as epoch millis they would silently land on 1970-01-01.
* Explicit ``format`` patterns (Java DateTimeFormatter letters) are tried in order; first match
  wins; the ISO and epoch forms above are tried after them.
* Only instants from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999Z are valid.
* Anything else (month 00, Feb 30, year 10000, garbage) is invalid: never a silent null or a wrong date.
* Fractions beyond microseconds are truncated to microseconds (Spark's timestamp precision).

Example:
    >>> c = parse_datetime(F.col("ts"), timezone="America/New_York")  # doctest: +SKIP
    >>> df.select(c.value.alias("ts_utc"), c.invalid.alias("bad"))  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pyspark.sql import Column
from pyspark.sql import functions as F
from pyspark.sql import types as T

from lakeport.errors import ErrorCode
from lakeport.transforms.types import PRIMITIVE_SPARK_TYPES

_ISO = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)?)?$"
)
_HAS_OFFSET = r"[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)$"
_NO_SECONDS = r"^([0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2})(?=$|Z|[+-])"
_DATE_ONLY = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
# 9+ digits: up to 8 digits a string has the shape of an ISO 8601 year or basic date (2018, 20180710).
# At most 15 digits of millis or 12 of seconds: longer is past year 9999 anyway, and the cap keeps
# timestamp_millis/_seconds from overflowing (which throws under ANSI) without a second range test.
_DIGITS = {"millis": r"^-?[0-9]{9,15}$", "seconds": r"^-?[0-9]{9,12}$"}
_INTEGER = r"^[+-]?[0-9]+$"
# JSON-style decimal numbers only: Spark's cast also takes "12d", "1f", "NaN" and "Infinity"
_DECIMAL = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$"
_BLANK = r"^\s*$"
_WHITESPACE = " \t\n\r\f\u000b"
# Instants outside 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59.999999Z are invalid: year 0 and
# year 10000 exist for Spark but not for Python, JSON Schema date-times or most consumers.
_MIN_MICROS = -62_135_596_800_000_000
_MAX_MICROS = 253_402_300_799_999_999
_MIN_EPOCH_MILLIS = -62_135_596_800_000
_MAX_EPOCH_MILLIS = 253_402_300_799_999
_MIN_EPOCH_SECONDS = -62_135_596_800
_MAX_EPOCH_SECONDS = 253_402_300_799
_ZONE_LETTERS = set("XxZOVz")
_TIME_LETTERS = set("HhKkmsSnNAaB")

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


@dataclass(frozen=True)
class Converted:
    """A converted value and whether the (non-empty) source failed to convert."""

    value: Column
    invalid: Column
    code: str = "CONVERSION_INVALID"
    # ``invalid`` rebuilt on a column that already holds ``value``: callers that materialise the
    # value first (the mapping engine) use it, so the conversion is not evaluated twice
    invalid_from: Callable[[Column], Column] | None = None


def _strip(s: Column) -> Column:
    """Trim all whitespace (tabs, newlines too): F.trim only removes spaces."""
    # btrim with an explicit set: a regex (^\s+|\s+$) costs ~1 s per million values
    return F.btrim(s, F.lit(_WHITESPACE))


def _blank(s: Column) -> Column:
    return s.isNull() | (_strip(s) == F.lit(""))


def _letters(pattern: str) -> set[str]:
    """The unquoted pattern letters of a DateTimeFormatter pattern."""
    out: set[str] = set()
    quoted = False
    for ch in pattern:
        if ch == "'":
            quoted = not quoted
        elif not quoted:
            out.add(ch)
    return out


def _has_zone(pattern: str) -> bool:
    """True if a DateTimeFormatter pattern has an unquoted zone/offset letter."""
    return bool(_letters(pattern) & _ZONE_LETTERS)


def _in_zone(ts: Column, timezone: str) -> Column:
    """Read a zone-less timestamp (parsed as UTC wall-clock) as wall-clock time in ``timezone``."""
    return ts if timezone == "UTC" else F.to_utc_timestamp(ts, timezone)


def _in_range(ts: Column) -> Column:
    """``ts`` if it lies in years 0001..9999 (UTC), else null."""
    return F.when(F.unix_micros(ts).between(_MIN_MICROS, _MAX_MICROS), ts)


def epoch_to_timestamp(n: Column, unit: str = "millis") -> Column:
    """Integral epoch value (millis or seconds) to a UTC timestamp; null when out of range.

    Example:
        >>> df.select(epoch_to_timestamp(F.col("ts_ms")).alias("ts"))  # doctest: +SKIP
    """
    lo, hi = (
        (_MIN_EPOCH_SECONDS, _MAX_EPOCH_SECONDS)
        if unit == "seconds"
        else (_MIN_EPOCH_MILLIS, _MAX_EPOCH_MILLIS)
    )
    ts = F.timestamp_seconds(n) if unit == "seconds" else F.timestamp_millis(n)
    return F.when(n.between(lo, hi), ts)


def _format_candidate(s: Column, fmt: str, timezone: str) -> Column:
    parsed = F.try_to_timestamp(s, F.lit(fmt))
    return parsed if _has_zone(fmt) else _in_zone(parsed, timezone)


def parse_datetime(
    s: Column, *, formats: list[str] | None = None, timezone: str = "UTC", unit: str | None = None
) -> Converted:
    """Parse a string column into a UTC timestamp following the datetime rules above.

    Args:
        s: the source string column.
        formats: explicit DateTimeFormatter patterns, tried in order (then ISO and epoch forms).
        timezone: IANA zone for values without an offset.
        unit: ``"seconds"`` to read digit strings as epoch seconds (default milliseconds).

    Returns:
        Converted with code ``CONVERSION_INVALID_DATETIME``.

    Example:
        >>> c = parse_datetime(F.col("created"), formats=["dd/MM/yyyy HH:mm"], timezone="Europe/Paris")  # doctest: +SKIP
    """
    trimmed = _strip(s)
    t = F.upper(trimmed)
    seconds = unit == "seconds"
    number = t.try_cast("bigint")
    epoch = F.timestamp_seconds(number) if seconds else F.timestamp_millis(number)
    # Spark's cast takes HH:mm alone but not HH:mm followed by an offset: add the seconds
    iso = F.regexp_replace(t, _NO_SECONDS, "$1:00").try_cast("timestamp")
    if timezone != "UTC":
        zone = F.when(t.rlike(_HAS_OFFSET), F.lit("UTC")).otherwise(F.lit(timezone))
        iso = F.to_utc_timestamp(iso, zone)
    is_epoch = t.rlike(_DIGITS["seconds" if seconds else "millis"])
    # Only values at the edges of years 0001/9999 can leave the range through their offset;
    # checking just those keeps the parse from being evaluated twice on every row.
    edge = t.startswith("0000") | t.startswith("0001-01-01") | t.startswith("9999-12-31")
    iso = F.when(edge, _in_range(iso)).otherwise(iso)
    parsed = F.when(is_epoch, _in_range(epoch)).when(t.rlike(_ISO), iso)
    if formats:
        candidates = [_in_range(_format_candidate(trimmed, fmt, timezone)) for fmt in formats]
        parsed = F.coalesce(*candidates, parsed)
    value = F.when(~_blank(s), parsed)
    return Converted(
        value,
        ~_blank(s) & value.isNull(),
        ErrorCode.CONVERSION_INVALID_DATETIME.value,
        invalid_from=lambda v: ~_blank(s) & v.isNull(),
    )


def parse_date(
    s: Column, *, formats: list[str] | None = None, timezone: str = "UTC", unit: str | None = None
) -> Converted:
    """Parse a string column into a date: ``yyyy-MM-dd``, a full datetime (its UTC date), or epoch.

    A date-only value (``yyyy-MM-dd`` or a format without time letters) is that calendar date in
    any zone; a value with a time of day is read like :func:`parse_datetime` and gives its UTC date.

    Returns:
        Converted with code ``CONVERSION_INVALID_DATE``.

    Example:
        >>> c = parse_date(F.col("birthday"), formats=["dd/MM/yyyy"])  # doctest: +SKIP
    """
    t = _strip(s)
    plain_date = t.try_cast("date")
    plain = F.when(t.rlike(_DATE_ONLY) & (F.year(plain_date) >= 1), plain_date)
    dt = parse_datetime(s, timezone=timezone, unit=unit)
    parsed = F.coalesce(plain, F.to_date(dt.value))
    if formats:
        candidates = []
        for fmt in formats:
            if _letters(fmt) & (_TIME_LETTERS | _ZONE_LETTERS):
                candidates.append(F.to_date(_in_range(_format_candidate(t, fmt, timezone))))
            else:
                candidates.append(F.to_date(_in_range(F.try_to_timestamp(t, F.lit(fmt)))))
        parsed = F.coalesce(*candidates, parsed)
    value = F.when(~_blank(s), parsed)
    return Converted(
        value,
        ~_blank(s) & value.isNull(),
        ErrorCode.CONVERSION_INVALID_DATE.value,
        invalid_from=lambda v: ~_blank(s) & v.isNull(),
    )


def string_to_boolean(s: Column) -> Column:
    """true/false, yes/no, y/n, on/off in any case; null otherwise.

    Example:
        >>> df.select(string_to_boolean(F.col("opt_in")).alias("opt_in"))  # doctest: +SKIP
    """
    t = F.lower(_strip(s))
    return F.when(t.isin(*TRUE_WORDS), F.lit(True)).when(t.isin(*FALSE_WORDS), F.lit(False))


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
) -> list[Converted]:
    """Convert ``src`` of Spark type ``src_type`` to the lakeport primitive type ``target``.

    Returns a list of Converted whose first element carries the value; each element's ``invalid``
    flags one failure kind (a conversion can fail as "not a number" or as "out of range").
    Unsupported combinations (per the conversion table) are flagged CONVERSION_TYPE_MISMATCH
    for every non-null value.

    Example:
        >>> parts = convert(F.col("age"), T.StringType(), "integer")  # doctest: +SKIP
        >>> df.select(parts[0].value.alias("age"), *[p.invalid for p in parts])  # doctest: +SKIP
    """
    string_src = isinstance(src_type, T.StringType)
    integral_src = isinstance(src_type, T.ByteType | T.ShortType | T.IntegerType | T.LongType)
    numeric_src = integral_src or isinstance(src_type, T.FloatType | T.DoubleType | T.DecimalType)

    if target == "string":
        if isinstance(src_type, T.StructType | T.ArrayType | T.MapType):
            return [Converted(F.to_json(src), F.lit(False))]
        if isinstance(src_type, T.TimestampType):
            text = F.date_format(src, "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX")
            return [Converted(text, F.lit(False))]
        return [Converted(src.cast("string"), F.lit(False))]

    if target == "datetime":
        if string_src:
            return [parse_datetime(src, formats=formats, timezone=timezone, unit=unit)]
        if integral_src:
            value = epoch_to_timestamp(src.cast("bigint"), unit or "millis")
            return [
                Converted(
                    value, src.isNotNull() & value.isNull(), ErrorCode.CONVERSION_OUT_OF_RANGE.value
                )
            ]
        if isinstance(src_type, T.TimestampType):
            return [Converted(src, F.lit(False))]
        if isinstance(src_type, T.TimestampNTZType | T.DateType):
            # wall-clock values (a date is its midnight) are read in the mapping's zone
            value = _in_range(_in_zone(src.cast("timestamp"), timezone))
            return [
                Converted(
                    value, src.isNotNull() & value.isNull(), ErrorCode.CONVERSION_OUT_OF_RANGE.value
                )
            ]
        return [_mismatch(src, target)]

    if target == "date":
        if string_src:
            return [parse_date(src, formats=formats, timezone=timezone, unit=unit)]
        if integral_src:
            value = F.to_date(epoch_to_timestamp(src.cast("bigint"), unit or "millis"))
            return [
                Converted(
                    value, src.isNotNull() & value.isNull(), ErrorCode.CONVERSION_OUT_OF_RANGE.value
                )
            ]
        if isinstance(src_type, T.DateType | T.TimestampType | T.TimestampNTZType):
            return [Converted(F.to_date(src), F.lit(False))]
        return [_mismatch(src, target)]

    if target == "boolean":
        if string_src:
            value = string_to_boolean(src)
            return [
                Converted(
                    value, ~_blank(src) & value.isNull(), ErrorCode.CONVERSION_INVALID_BOOLEAN.value
                )
            ]
        if isinstance(src_type, T.BooleanType):
            return [Converted(src, F.lit(False))]
        return [_mismatch(src, target)]

    if target == "double":
        if string_src:
            t = _strip(src)
            number = F.when(t.rlike(_DECIMAL), t.try_cast("double"))
            finite = number.isNotNull() & (F.abs(number) != F.lit(float("inf")))
            value = F.when(finite, number)
            not_number = ~_blank(src) & number.isNull()
            overflow = number.isNotNull() & ~finite
            return [
                Converted(value, not_number, ErrorCode.CONVERSION_INVALID_NUMBER.value),
                Converted(F.lit(None), overflow, ErrorCode.CONVERSION_OUT_OF_RANGE.value),
            ]
        if numeric_src:
            return [Converted(src.cast("double"), F.lit(False))]
        return [_mismatch(src, target)]

    if target in INTEGER_RANGES:
        if string_src:
            t = _strip(src)
            well_formed = t.rlike(_INTEGER)
            # leading zeros would not fit decimal(38,0) but do not change the value
            digits = F.regexp_replace(t, r"^([+-]?)0+(?=[0-9])", "$1")
            wide = F.when(well_formed, digits.try_cast("decimal(38,0)"))
            lo, hi = INTEGER_RANGES[target]
            in_range = F.coalesce(wide.between(lo, hi), F.lit(False))
            value = F.when(in_range, wide.cast(SPARK_TYPES[target]))
            return [
                Converted(value, well_formed & ~in_range, ErrorCode.CONVERSION_OUT_OF_RANGE.value),
                Converted(
                    F.lit(None),
                    ~_blank(src) & ~well_formed,
                    ErrorCode.CONVERSION_INVALID_NUMBER.value,
                ),
            ]
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


def _mismatch(src: Column, target: str) -> Converted:
    spark_type = SPARK_TYPES[target]
    return Converted(
        F.lit(None).cast(spark_type), src.isNotNull(), ErrorCode.CONVERSION_TYPE_MISMATCH.value
    )
