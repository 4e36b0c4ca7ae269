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

How a text is read, cheaply (a failing cast or ``try_to_timestamp`` throws inside Spark and costs
~20 times a successful one, a regex several times a cast): the trimmed text is computed once
(the mapping engine materialises it); its shape picks **one** branch. A declared format is parsed
only where its shape guard holds (:mod:`lakeport.transforms.formats`). A text with ``-`` as its
fifth character is ISO-shaped: one strict regex, then Spark's own cast. Anything else can only be
an epoch number: length, sign and end checks make it digit-shaped before the one ``bigint``
cast. Range checks and warnings look at the parsed value, not the text.

Example:
    >>> c = parse_datetime(F.col("ts"), timezone="America/New_York")  # doctest: +SKIP
    >>> df.select(c.value.alias("ts_utc"), c.invalid.alias("bad"))  # doctest: +SKIP
"""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

from lakeport.errors import ErrorCode
from lakeport.transforms.formats import guard
from lakeport.transforms.notes import Note, dst_notes, epoch_note
from lakeport.transforms.values import Converted, filled, strip

# case-insensitive T and Z: the text is not upper-cased (a declared format reads it as it is)
_ISO = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"([Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)?)?$"
)
# 9+ digits: up to 8 digits a string has the shape of an ISO 8601 year or basic date (2018, 20180710).
# At most 15 digits of millis or 12 of seconds: longer is past year 9999 anyway, and the cap keeps
# timestamp_millis/_seconds from overflowing (which throws under ANSI).
_MAX_DIGITS = {"millis": 15, "seconds": 12}
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


def _day(text: str) -> Column:
    return F.lit(text).cast("date")  # a constant (Python's strftime has no 4-digit year 1)


def _date_in_range(d: Column) -> Column:
    return F.when(d.between(_day("0001-01-01"), _day("9999-12-31")), d)


def epoch_to_timestamp(n: Column, unit: str = "millis") -> Column:
    """Integral epoch value (millis or seconds) to a UTC timestamp; null when out of range.

    Example:
        >>> df.select(epoch_to_timestamp(F.col("ts_ms")).alias("ts"))  # doctest: +SKIP
    """
    lo, hi = epoch_range(unit)
    return F.when(n.between(lo, hi), epoch_instant(n, unit))


def epoch_range(unit: str | None) -> tuple[int, int]:
    """The epoch numbers (seconds or millis) of 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59.999Z."""
    if unit == "seconds":
        return _MIN_EPOCH_SECONDS, _MAX_EPOCH_SECONDS
    return _MIN_EPOCH_MILLIS, _MAX_EPOCH_MILLIS


def max_epoch_digits(unit: str | None) -> int:
    """The most digits an epoch number in range has (15 for millis, 12 for seconds)."""
    return _MAX_DIGITS["seconds" if unit == "seconds" else "millis"]


def epoch_instant(n: Column, unit: str | None) -> Column:
    """The instant of an epoch number in range (bigint, seconds or millis), unchecked."""
    return F.timestamp_seconds(n) if unit == "seconds" else F.timestamp_millis(n)


def odd_date(d: Column) -> Column:
    """True where the date ``d`` lies before 1971 or in 2201 and later: the dates of the epoch
    instants that DATETIME_EPOCH_UNIT_SUSPECT warns about (the bounds are UTC midnights)."""
    return d.isNotNull() & ((d < _day("1971-01-01")) | (d >= _day("2201-01-01")))


def digit_count(t: Column) -> Column:
    """How many characters of ``t`` are not a leading ``-``."""
    n = F.octet_length(t)
    return F.when(F.startswith(t, F.lit("-")), n - 1).otherwise(n)


def _epoch_shaped(t: Column, unit: str | None) -> Column:
    """True where ``t`` is ``-?[0-9]{9,15}`` (12 for seconds), except that a character inside may
    be a non-digit (the cast then says so): the length, the first character and the ends."""
    first = F.startswith(t, F.lit("-")) | ((t >= F.lit("0")) & (t < F.lit(":")))
    return (
        digit_count(t).between(9, max_epoch_digits(unit))
        & first
        & (F.locate("-", t, 2) == 0)
        & _last_is_digit(t)  # the cast would skip a control character there
    )


def _last_is_digit(t: Column) -> Column:
    """True where the last character of ``t`` is an ASCII digit (a one-character copy: cheaper
    than trimming the whole text to compare lengths)."""
    c = F.substring(t, -1, 1)
    return (c >= F.lit("0")) & (c <= F.lit("9"))


def _iso_shaped(t: Column) -> Column:
    return F.locate("-", t, 5) == 5


def _iso(t: Column) -> Column:
    """An ISO 8601 text as a timestamp (wall-clock as UTC when it has no offset), else null."""
    n = F.octet_length(t)
    lower = (F.locate("t", t, 11) == 11) | F.endswith(t, F.lit("z"))
    u = F.when(lower, F.upper(t)).otherwise(t)
    # Spark's cast reads HH:mm alone but not HH:mm followed by an offset: add the seconds
    short = (n == 16) | ((n > 16) & (F.locate(":", t, 17) != 17))
    fixed = F.when(
        short, F.concat(F.substring(u, 1, 16), F.lit(":00"), F.substring(u, 17, 64))
    ).otherwise(u)
    return F.when(t.rlike(_ISO), fixed.try_cast("timestamp"))


def _offset(t: Column) -> Column:
    """For an ISO text: true when it carries an offset (or Z)."""
    return (F.octet_length(t) > 16) & (
        F.endswith(t, F.lit("Z"))
        | F.endswith(t, F.lit("z"))
        | (F.locate("+", t, 17) > 0)
        | (F.locate("-", t, 17) > 0)
    )


def _zoned_iso(t: Column, timezone: str) -> Column:
    wall = _iso(t)
    if timezone == "UTC":
        return wall
    return F.when(_offset(t), wall).otherwise(F.to_utc_timestamp(wall, timezone))


def _format(t: Column, fmt: str, timezone: str) -> Column:
    parsed = F.try_to_timestamp(t, F.lit(fmt))
    return parsed if _has_zone(fmt) else in_zone(parsed, timezone)


def _candidates(t: Column, formats: list[str], timezone: str, checked: bool) -> list[Column]:
    """Each declared format's parse, run only where the text has the format's shape."""
    out = []
    for fmt in formats:
        parsed = _format(t, fmt, timezone)
        out.append(F.when(guard(t, fmt), in_range(parsed) if checked else parsed))
    return out


def _unmatched(t: Column, formats: list[str], timezone: str) -> Column:
    """True where no declared format read the text (parses again: use it on rare rows only)."""
    out = F.lit(True)
    for c in _candidates(t, formats, timezone, checked=True):
        out = out & c.isNull()
    return out


def _local(t: Column, formats: list[str], timezone: str) -> Column:
    """The wall-clock time a text was read as in ``timezone`` (null when it had an offset or
    was an epoch number): the DST notes' input. Parses again: the notes call it on rare rows."""
    out = F.when(_iso_shaped(t) & ~_offset(t), _iso(t))
    for fmt in reversed(formats):
        parsed = F.try_to_timestamp(t, F.lit(fmt))
        read = in_range(_format(t, fmt, timezone)).isNotNull()
        out = F.when(guard(t, fmt) & read, None if _has_zone(fmt) else parsed).otherwise(out)
    return out


def parse_datetime(
    s: Column,
    *,
    formats: list[str] | None = None,
    timezone: str = "UTC",
    unit: str | None = None,
    text: Column | None = None,
) -> Converted:
    """Parse a string column into a UTC timestamp following the datetime rules above.

    Args:
        s: the source string column.
        formats: explicit DateTimeFormatter patterns, tried in order (then ISO and epoch forms).
        timezone: IANA zone for values without an offset.
        unit: ``"seconds"`` to read digit strings as epoch seconds (default milliseconds).
        text: ``s`` trimmed (:func:`~lakeport.transforms.values.strip`), when the caller has it
            as a column already.

    Returns:
        Converted with code ``CONVERSION_INVALID_DATETIME``.

    Example:
        >>> c = parse_datetime(F.col("created"), formats=["dd/MM/yyyy HH:mm"], timezone="Europe/Paris")  # doctest: +SKIP
    """
    t = text if text is not None else strip(s)
    formats = list(formats or [])
    number = F.when(_epoch_shaped(t, unit), t.try_cast("bigint"))
    iso = _zoned_iso(t, timezone)
    raw = F.when(_iso_shaped(t), iso).otherwise(epoch_instant(number, unit))
    if formats:
        raw = F.coalesce(*_candidates(t, formats, timezone, checked=False), raw)
        value = in_range(raw)
    else:
        # one evaluation of the parse: only the first and last days of the range can leave it
        edge = F.startswith(t, F.lit("0000"))
        for day in ("0001-01-01", "9999-12-31"):
            edge = edge | F.startswith(t, F.lit(day))
        checked_iso = F.when(edge, in_range(iso)).otherwise(iso)
        value = F.when(_iso_shaped(t), checked_iso).otherwise(
            epoch_to_timestamp(number, unit or "millis")
        )
    raw, value = F.when(filled(t), raw), F.when(filled(t), value)

    def notes(v: Column) -> tuple[Note, ...]:
        read = _epoch_shaped(t, unit)
        if formats:
            read = read & _unmatched(t, formats, timezone)
        out: tuple[Note, ...] = (epoch_note(v, unit, read),)
        return out + dst_notes(v, timezone, _local(t, formats, timezone))

    return Converted(
        value,
        filled(t) & value.isNull(),
        ErrorCode.CONVERSION_INVALID_DATETIME.value,
        invalid_from=lambda v: v.isNull() & filled(t),
        notes=notes(value),
        raw=raw,
        finish=in_range,
        notes_from=notes,
    )


def parse_date(
    s: Column,
    *,
    formats: list[str] | None = None,
    timezone: str = "UTC",
    unit: str | None = None,
    text: Column | None = None,
) -> Converted:
    """Parse a string column into a date: ``yyyy-MM-dd``, a full datetime (its UTC date), or epoch.

    A date-only value (``yyyy-MM-dd`` or a format without time letters) is that calendar date in
    any zone; a value with a time of day is read like :func:`parse_datetime` and gives its UTC date.

    Returns:
        Converted with code ``CONVERSION_INVALID_DATE``.

    Example:
        >>> c = parse_date(F.col("birthday"), formats=["dd/MM/yyyy"])  # doctest: +SKIP
    """
    t = text if text is not None else strip(s)
    formats = list(formats or [])
    # yyyy-MM-dd exactly: Spark's date cast also takes 2018-7-1, +2018-07-01 and 2018-07-1T...
    plain_shape = (
        (F.octet_length(t) == 10)
        & (t >= F.lit("0"))
        & (t < F.lit(":"))
        & (F.locate("-", t, 5) == 5)
        & (F.locate("-", t, 8) == 8)
        & ~F.endswith(t, F.lit("T"))
    )
    dt = parse_datetime(s, timezone=timezone, unit=unit, text=t)
    assert dt.raw is not None
    candidates = []
    for fmt in formats:
        if _letters(fmt) & (_TIME_LETTERS | _ZONE_LETTERS):
            parsed = _format(t, fmt, timezone)
        else:  # a calendar date: the same day in any zone
            parsed = F.try_to_timestamp(t, F.lit(fmt))
        candidates.append(F.when(guard(t, fmt), F.to_date(in_range(parsed))))
    raw = F.coalesce(
        *candidates,
        F.when(plain_shape, t.try_cast("date")),
        F.to_date(dt.raw),
    )
    raw = F.when(filled(t), raw)
    value = _date_in_range(raw)

    def notes(v: Column) -> tuple[Note, ...]:
        # the epoch warning only: a DST shift of a time of day rarely moves its UTC date
        odd = odd_date(v) & _epoch_shaped(t, unit)
        if formats:
            odd = odd & _unmatched(t, formats, timezone)
        # the message's instant is read only where ``odd`` holds: the text is digits there
        ts = epoch_instant(t.try_cast("bigint"), unit)
        return (epoch_note(ts, unit, flag=odd & ts.isNotNull()),)

    return Converted(
        value,
        filled(t) & value.isNull(),
        ErrorCode.CONVERSION_INVALID_DATE.value,
        invalid_from=lambda v: v.isNull() & filled(t),
        notes=notes(value),
        raw=raw,
        finish=_date_in_range,
        notes_from=notes,
    )
