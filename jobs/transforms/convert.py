"""Type conversion and datetime normalisation, as native Spark expressions.

Every converter returns a :class:`Converted`: the typed value and a boolean ``invalid`` Column that
is true when a non-empty source value could not become the target type (the value is then null).
Nothing here throws on bad data under ANSI mode: only ``try_*`` functions touch user values.

Datetime rules (SEMANTICS.md, "Types and datetimes"):

* ISO 8601 / RFC 3339: ``yyyy-MM-dd``, optionally ``T`` or a space and ``HH:mm[:ss[.f{1,9}]]``,
  optionally ``Z`` or ``+hh:mm`` / ``-hh:mm`` / ``+hhmm`` / ``+hh``. Case-insensitive ``T``/``Z``.
* A value without an offset is wall-clock time in the mapping's ``timezone`` (default UTC).
* A digit string or an integral number is epoch milliseconds (``unit: seconds`` opts into seconds).
* Explicit ``format`` patterns (Java DateTimeFormatter letters) are tried in order; first match wins.
* Anything else (month 00, Feb 30, year 10000, garbage) is invalid: never a silent null or a wrong date.
* Fractions beyond microseconds are truncated to microseconds (Spark's timestamp precision).

Example:
    >>> c = parse_datetime(F.col("ts"), timezone="America/New_York")
    >>> df.select(c.value.alias("ts_utc"), c.invalid.alias("bad"))
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import Column
from pyspark.sql import functions as F
from pyspark.sql import types as T

_ISO = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)?)?$"
)
_HAS_OFFSET = r"[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)$"
_DATE_ONLY = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_DIGITS = r"^-?[0-9]{1,19}$"
_INTEGER = r"^[+-]?[0-9]+$"
# Epoch values beyond 9999-12-31T23:59:59.999Z are invalid (and would overflow microseconds).
_MAX_EPOCH_MILLIS = 253_402_300_799_999
_MAX_EPOCH_SECONDS = 253_402_300_799
_ZONE_LETTERS = set("XxZOVz")

INTEGER_RANGES = {
    "byte": (-(2**7), 2**7 - 1),
    "short": (-(2**15), 2**15 - 1),
    "integer": (-(2**31), 2**31 - 1),
    # SEMANTICS.md: longs are capped at 2^53-1 so that every value survives JSON consumers.
    "long": (-(2**53 - 1), 2**53 - 1),
}
SPARK_TYPES: dict[str, T.DataType] = {
    "string": T.StringType(),
    "integer": T.IntegerType(),
    "long": T.LongType(),
    "short": T.ShortType(),
    "byte": T.ByteType(),
    "double": T.DoubleType(),
    "boolean": T.BooleanType(),
    "date": T.DateType(),
    "datetime": T.TimestampType(),
}
TRUE_WORDS = ("true", "yes", "y", "on")
FALSE_WORDS = ("false", "no", "n", "off")


@dataclass(frozen=True)
class Converted:
    """A converted value and whether the (non-empty) source failed to convert."""

    value: Column
    invalid: Column
    code: str = "CONVERSION_INVALID"


def _blank(s: Column) -> Column:
    return s.isNull() | (F.trim(s) == F.lit(""))


def _has_zone(pattern: str) -> bool:
    """True if a DateTimeFormatter pattern has an unquoted zone/offset letter."""
    quoted = False
    for ch in pattern:
        if ch == "'":
            quoted = not quoted
        elif not quoted and ch in _ZONE_LETTERS:
            return True
    return False


def _in_zone(ts: Column, timezone: str) -> Column:
    """Read a zone-less timestamp (parsed as UTC wall-clock) as wall-clock time in ``timezone``."""
    return ts if timezone == "UTC" else F.to_utc_timestamp(ts, timezone)


def epoch_to_timestamp(n: Column, unit: str = "millis") -> Column:
    """Integral epoch value (millis or seconds) to a UTC timestamp; null when out of range."""
    limit = _MAX_EPOCH_SECONDS if unit == "seconds" else _MAX_EPOCH_MILLIS
    in_range = n.between(-limit, limit)
    ts = F.timestamp_seconds(n) if unit == "seconds" else F.timestamp_millis(n)
    return F.when(in_range, ts)


def parse_datetime(
    s: Column, *, formats: list[str] | None = None, timezone: str = "UTC", unit: str | None = None
) -> Converted:
    """Parse a string column into a UTC timestamp following the datetime rules above.

    Args:
        s: the source string column.
        formats: explicit DateTimeFormatter patterns, tried in order (then ISO and epoch forms).
        timezone: IANA zone for values without an offset.
        unit: ``"seconds"`` to read digit strings as epoch seconds (default milliseconds).
    """
    t = F.upper(F.trim(s))
    digits = t.rlike(_DIGITS)
    epoch = epoch_to_timestamp((t).try_cast("bigint"), unit or "millis")
    iso_ts = (t).try_cast("timestamp")
    iso = F.when(t.rlike(_HAS_OFFSET), iso_ts).otherwise(_in_zone(iso_ts, timezone))
    parsed = F.when(digits, epoch).when(t.rlike(_ISO), iso)
    if formats:
        trimmed = F.trim(s)
        candidates = [
            F.try_to_timestamp(trimmed, F.lit(fmt)) if _has_zone(fmt)
            else _in_zone(F.try_to_timestamp(trimmed, F.lit(fmt)), timezone)
            for fmt in formats
        ]
        parsed = F.coalesce(*candidates, parsed)
    value = F.when(~_blank(s), parsed)
    return Converted(value, ~_blank(s) & value.isNull(), "CONVERSION_INVALID_DATETIME")


def parse_date(s: Column, *, formats: list[str] | None = None, timezone: str = "UTC") -> Converted:
    """Parse a string column into a date: ``yyyy-MM-dd``, a full datetime (its UTC date), or epoch millis."""
    t = F.trim(s)
    plain = F.when(t.rlike(_DATE_ONLY), (t).try_cast("date"))
    dt = parse_datetime(s, timezone=timezone)
    parsed = F.coalesce(plain, F.to_date(dt.value))
    if formats:
        parsed = F.coalesce(*[F.to_date(F.try_to_timestamp(t, F.lit(fmt))) for fmt in formats], parsed)
    value = F.when(~_blank(s), parsed)
    return Converted(value, ~_blank(s) & value.isNull(), "CONVERSION_INVALID_DATE")


def string_to_boolean(s: Column) -> Column:
    """true/false, yes/no, y/n, on/off in any case; null otherwise."""
    t = F.lower(F.trim(s))
    return F.when(t.isin(*TRUE_WORDS), F.lit(True)).when(t.isin(*FALSE_WORDS), F.lit(False))


def _integral(n: Column, target: str) -> Converted:
    lo, hi = INTEGER_RANGES[target]
    spark_type = SPARK_TYPES[target]
    in_range = n.between(lo, hi)
    value = F.when(in_range, n.cast(spark_type))
    return Converted(value, n.isNotNull() & ~in_range, "CONVERSION_OUT_OF_RANGE")


def convert(src: Column, src_type: T.DataType, target: str, *, formats: list[str] | None = None,
            timezone: str = "UTC", unit: str | None = None) -> list[Converted]:
    """Convert ``src`` of Spark type ``src_type`` to the lakeport primitive type ``target``.

    Returns a list of Converted whose first element carries the value; each element's ``invalid``
    flags one failure kind (a conversion can fail as "not a number" or as "out of range").
    Unsupported combinations (per the conversion table) are flagged CONVERSION_TYPE_MISMATCH
    for every non-null value.
    """
    string_src = isinstance(src_type, T.StringType)
    integral_src = isinstance(src_type, T.ByteType | T.ShortType | T.IntegerType | T.LongType)
    numeric_src = integral_src or isinstance(src_type, T.FloatType | T.DoubleType | T.DecimalType)

    if target == "string":
        if isinstance(src_type, T.StructType | T.ArrayType | T.MapType):
            return [Converted(F.to_json(src), F.lit(False))]
        if isinstance(src_type, T.TimestampType):
            return [Converted(F.date_format(src, "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX"), F.lit(False))]
        return [Converted(src.cast("string"), F.lit(False))]

    if target == "datetime":
        if string_src:
            return [parse_datetime(src, formats=formats, timezone=timezone, unit=unit)]
        if integral_src:
            value = epoch_to_timestamp(src.cast("bigint"), unit or "millis")
            return [Converted(value, src.isNotNull() & value.isNull(), "CONVERSION_OUT_OF_RANGE")]
        if isinstance(src_type, T.TimestampType | T.TimestampNTZType | T.DateType):
            return [Converted(src.cast("timestamp"), F.lit(False))]
        return [_mismatch(src, target)]

    if target == "date":
        if string_src:
            return [parse_date(src, formats=formats, timezone=timezone)]
        if integral_src:
            value = F.to_date(epoch_to_timestamp(src.cast("bigint"), unit or "millis"))
            return [Converted(value, src.isNotNull() & value.isNull(), "CONVERSION_OUT_OF_RANGE")]
        if isinstance(src_type, T.DateType | T.TimestampType | T.TimestampNTZType):
            return [Converted(F.to_date(src), F.lit(False))]
        return [_mismatch(src, target)]

    if target == "boolean":
        if string_src:
            value = string_to_boolean(src)
            return [Converted(value, ~_blank(src) & value.isNull(), "CONVERSION_INVALID_BOOLEAN")]
        if isinstance(src_type, T.BooleanType):
            return [Converted(src, F.lit(False))]
        return [_mismatch(src, target)]

    if target == "double":
        if string_src:
            value = F.when(~_blank(src), (F.trim(src)).try_cast("double"))
            return [Converted(value, ~_blank(src) & value.isNull(), "CONVERSION_INVALID_NUMBER")]
        if numeric_src:
            return [Converted(src.cast("double"), F.lit(False))]
        return [_mismatch(src, target)]

    if target in INTEGER_RANGES:
        if string_src:
            t = F.trim(src)
            well_formed = t.rlike(_INTEGER)
            wide = F.when(well_formed, (t).try_cast("decimal(38,0)"))
            ranged = _integral(wide, target)
            not_number = Converted(F.lit(None), ~_blank(src) & (~well_formed | wide.isNull()), "CONVERSION_INVALID_NUMBER")
            return [Converted(ranged.value, ranged.invalid, ranged.code), not_number]
        if integral_src:
            return [_integral(src.cast("decimal(38,0)"), target)]
        if numeric_src:
            d = src.cast("double")
            whole = d == F.floor(d)
            ranged = _integral(F.when(whole, (d).try_cast("decimal(38,0)")), target)
            fraction = Converted(F.lit(None), src.isNotNull() & ~whole, "CONVERSION_INVALID_NUMBER")
            return [ranged, fraction]
        return [_mismatch(src, target)]

    raise ValueError(f"convert(): unsupported target type {target!r}")  # pragma: no cover


def _mismatch(src: Column, target: str) -> Converted:
    spark_type = SPARK_TYPES[target]
    return Converted(F.lit(None).cast(spark_type), src.isNotNull(), "CONVERSION_TYPE_MISMATCH")
