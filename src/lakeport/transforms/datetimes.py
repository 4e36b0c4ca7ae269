"""Datetimes and dates from text, epoch numbers and JSON values, as native Spark expressions.

Datetime rules (SEMANTICS.md, "Types and datetimes"):

* ISO 8601 / RFC 3339: ``yyyy-MM-dd``, optionally ``T`` or a space and ``HH:mm[:ss[.f{1,9}]]``,
  optionally ``Z`` or ``+hh:mm`` / ``-hh:mm`` / ``+hhmm`` / ``+hh``. Case-insensitive ``T``/``Z``.
* A value without an offset is wall-clock time in the mapping's ``timezone`` (default UTC).
* A digit string of 9 or more digits (optional ``-``), or a number of any size (an integral
  column, a JSON integer such as ``0``), is epoch milliseconds (``unit: seconds`` opts into
  seconds). Shorter digit strings are invalid: ``2018`` or ``20180710`` are ISO-shaped dates, and
  as epoch millis they would silently land on 1970-01-01.
* Explicit ``format`` patterns (Java DateTimeFormatter letters) are tried in order; first match
  wins; the ISO and epoch forms above are tried after them.
* Only instants from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999Z are valid.
* Anything else (month 00, Feb 30, year 10000, garbage) is invalid: never a silent null or a wrong date.
* Fractions beyond microseconds are truncated to microseconds (Spark's timestamp precision).
* Epoch values before 1971 or after 2200, and local times in a DST gap or overlap, land with a
  warning note (:mod:`lakeport.transforms.notes`).

Example:
    >>> c = parse_datetime(F.col("ts"), timezone="America/New_York")  # doctest: +SKIP
    >>> df.select(c.value.alias("ts_utc"), c.invalid.alias("bad"))  # doctest: +SKIP
"""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

from lakeport.errors import ErrorCode
from lakeport.transforms.notes import Note, dst_notes, epoch_note
from lakeport.transforms.values import Converted
from lakeport.transforms.values import blank as _blank
from lakeport.transforms.values import strip as _strip

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


def in_zone(ts: Column, timezone: str) -> Column:
    """Read a zone-less timestamp (parsed as UTC wall-clock) as wall-clock time in ``timezone``."""
    return ts if timezone == "UTC" else F.to_utc_timestamp(ts, timezone)


def in_range(ts: Column) -> Column:
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
    return parsed if _has_zone(fmt) else in_zone(parsed, timezone)


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
    wall = F.regexp_replace(t, _NO_SECONDS, "$1:00").try_cast("timestamp")
    iso = wall
    local = None  # the wall-clock time that was read in `timezone` (for the DST notes)
    if timezone != "UTC":
        offset = t.rlike(_HAS_OFFSET)
        zone = F.when(offset, F.lit("UTC")).otherwise(F.lit(timezone))
        iso = F.to_utc_timestamp(wall, zone)
        local = F.when(number.isNull() & ~offset, wall)
    is_epoch = t.rlike(_DIGITS["seconds" if seconds else "millis"])
    # Only values at the edges of years 0001/9999 can leave the range through their offset;
    # checking just those keeps the parse from being evaluated twice on every row.
    edge = t.startswith("0000") | t.startswith("0001-01-01") | t.startswith("9999-12-31")
    iso = F.when(edge, in_range(iso)).otherwise(iso)
    parsed = F.when(is_epoch, in_range(epoch)).when(t.rlike(_ISO), iso)
    # a value that lands while its digits make a number was read as that epoch number
    epoch_n = number
    if formats:
        candidates = [in_range(_format_candidate(trimmed, fmt, timezone)) for fmt in formats]
        parsed = F.coalesce(*candidates, parsed)
        unmatched = F.lit(True)
        for c in candidates:
            unmatched = unmatched & c.isNull()
        epoch_n = F.when(unmatched, number)
        if local is not None:
            chosen = F.when(unmatched, local)
            for fmt, c in reversed(list(zip(formats, candidates, strict=True))):
                read = None if _has_zone(fmt) else F.try_to_timestamp(trimmed, F.lit(fmt))
                chosen = F.when(c.isNotNull(), read).otherwise(chosen)
            local = chosen
    value = F.when(~_blank(s), parsed)
    notes: tuple[Note, ...] = (epoch_note(epoch_n, value, unit),)
    if local is not None:
        notes += dst_notes(local, value, timezone)
    return Converted(
        value,
        ~_blank(s) & value.isNull(),
        ErrorCode.CONVERSION_INVALID_DATETIME.value,
        invalid_from=lambda v: ~_blank(s) & v.isNull(),
        notes=notes,
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
    from_dt = plain.isNull()  # the date of a full date-time or an epoch value
    if formats:
        candidates = []
        for fmt in formats:
            if _letters(fmt) & (_TIME_LETTERS | _ZONE_LETTERS):
                candidates.append(F.to_date(in_range(_format_candidate(t, fmt, timezone))))
            else:
                candidates.append(F.to_date(in_range(F.try_to_timestamp(t, F.lit(fmt)))))
            from_dt = from_dt & candidates[-1].isNull()
        parsed = F.coalesce(*candidates, parsed)
    value = F.when(~_blank(s), parsed)
    # the epoch warning only: a DST shift of a time of day rarely moves its UTC date
    epoch = [n for n in dt.notes if n.code == ErrorCode.DATETIME_EPOCH_UNIT_SUSPECT.value]
    return Converted(
        value,
        ~_blank(s) & value.isNull(),
        ErrorCode.CONVERSION_INVALID_DATE.value,
        invalid_from=lambda v: ~_blank(s) & v.isNull(),
        notes=tuple(n._replace(flag=n.flag & from_dt) for n in epoch),
    )


def epoch_value(n: Column, target: str, unit: str | None) -> Converted:
    """An integral epoch number (bigint, or decimal(38,0) of any size) as a datetime or a date:
    CONVERSION_OUT_OF_RANGE past years 0001..9999, a DATETIME_EPOCH_UNIT_SUSPECT note outside
    1971..2200."""
    unit = unit or "millis"
    lo, hi = (
        (_MIN_EPOCH_SECONDS, _MAX_EPOCH_SECONDS)
        if unit == "seconds"
        else (_MIN_EPOCH_MILLIS, _MAX_EPOCH_MILLIS)
    )
    ts = F.when(n.between(lo, hi), epoch_to_timestamp(n.cast("bigint"), unit))
    value = ts if target == "datetime" else F.to_date(ts)
    return Converted(
        value,
        n.isNotNull() & value.isNull(),
        ErrorCode.CONVERSION_OUT_OF_RANGE.value,
        notes=(epoch_note(n, ts, unit),),
    )


def json_value(
    src: Column, target: str, *, formats: list[str] | None, timezone: str, unit: str | None
) -> list[Converted]:
    """A JSON value read as a variant: a JSON integer is an epoch number of any size (``0``,
    ``2018``); anything else is read as its text, like a string value."""
    text = src.cast(
        "string"
    )  # a string's text, a number's digits, an object's JSON; JSON null: null
    whole = F.coalesce(F.to_json(src).rlike(r"^-?[0-9]+$"), F.lit(False))
    epoch = epoch_value(F.when(whole, text.try_cast("decimal(38,0)")), target, unit)
    parse = parse_datetime if target == "datetime" else parse_date
    parsed = parse(text, formats=formats, timezone=timezone, unit=unit)
    return [
        Converted(
            F.when(whole, epoch.value).otherwise(parsed.value),
            ~whole & parsed.invalid,
            parsed.code,
            invalid_from=lambda v: ~whole & ~_blank(text) & v.isNull(),
            notes=(*epoch.notes, *(n._replace(flag=n.flag & ~whole) for n in parsed.notes)),
        ),
        Converted(
            F.lit(None), whole & epoch.value.isNull(), ErrorCode.CONVERSION_OUT_OF_RANGE.value
        ),
    ]
