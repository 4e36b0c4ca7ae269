"""Warnings about datetimes that land: an epoch value in a suspect unit, a local time in a DST gap
or overlap. Each is a :class:`Note`: a flag, a code and a message, as native Columns.

A note never changes the value and never fails the row: the mapping engine records it in
``_warnings`` (severity ``warning`` in the error table).

* ``DATETIME_EPOCH_UNIT_SUSPECT``: the value decodes before 1971 or after 2200 in the declared
  unit (milliseconds unless ``unit: seconds``); the message names the unit that would put it in
  those years (``1531263959`` as milliseconds is 1970-01-18; as seconds it is 2018-07-10).
* ``DATETIME_DST_GAP``: a wall-clock time read in the mapping's ``timezone`` that the zone skips
  (02:30 on a spring-forward night). Spark moves it forward by the gap (03:30 local).
* ``DATETIME_DST_OVERLAP``: a wall-clock time that happens twice (the clocks fall back). Spark
  takes the earlier instant, the offset before the change.

Example:
    >>> note = epoch_note(F.timestamp_millis("n"), "millis")  # doctest: +SKIP
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

from pyspark.sql import Column
from pyspark.sql import functions as F

from lakeport.errors import ErrorCode

# 1971-01-01T00:00:00Z and 2201-01-01T00:00:00Z in epoch milliseconds
_PLAUSIBLE_MS = (31_536_000_000, 7_289_654_400_000)
# milliseconds per unit; lakeport reads seconds and milliseconds, the others are only suggested
_UNIT_MS = {"seconds": 1000.0, "millis": 1.0, "micros": 1e-3, "nanos": 1e-6}
_UNIT_NAMES = {
    "seconds": "epoch seconds",
    "millis": "epoch milliseconds",
    "micros": "epoch microseconds",
    "nanos": "epoch nanoseconds",
}
_SHOWN = {
    "seconds": "yyyy-MM-dd'T'HH:mm:ssXXX",
    "millis": "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
    "micros": "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX",
    "nanos": "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX",
}
_ADVICE = {
    "seconds": "declare unit: seconds",
    "millis": "remove unit: seconds",
    "micros": "send milliseconds (divide by 1000)",
    "nanos": "send milliseconds (divide by 1000000)",
}
_HOURS_3 = 3 * 3600 * 1_000_000  # microseconds


class Note(NamedTuple):
    """A warning about a value that lands; ``message`` follows ``value '<source>' ``."""

    flag: Column
    code: str
    message: Column


def epoch_note(
    ts: Column, unit: str | None, read: Column | None = None, *, flag: Column | None = None
) -> Note:
    """DATETIME_EPOCH_UNIT_SUSPECT for a value that landed as ``ts`` from an epoch number.

    Args:
        ts: the instant the epoch number landed as (null when it did not land).
        unit: the declared unit (``"seconds"``; anything else is milliseconds).
        read: true where the value was read as an epoch number (None: always). It is checked
            last, only for instants outside 1971..2200, so it may cost more than the rest.
        flag: the note's flag, when the caller has one that is cheaper than ``ts``'s own test
            (a date's: its year); ``ts`` is then read only where ``flag`` holds, so it may be
            an expression that is right there alone (the message copies it a dozen times: it
            must be small, a column or a cast of one, or the generated code outgrows the JVM's
            64 KB per method and Spark falls back from whole-stage code generation).

    The number itself is ``ts`` in the declared unit (an epoch number lands exactly), so the
    flag needs nothing but ``ts``.
    """
    declared = "seconds" if unit == "seconds" else "millis"
    lo, hi = _PLAUSIBLE_MS

    def plausible(ms: Column) -> Column:
        return (ms >= F.lit(lo)) & (ms < F.lit(hi))

    if flag is None:
        flag = ts.isNotNull() & ~plausible(F.unix_millis(ts))
        if read is not None:
            flag = flag & read
    number = (F.unix_seconds(ts) if declared == "seconds" else F.unix_millis(ts)).cast("double")
    hint: Column = F.lit(
        "; no unit (seconds, milliseconds, microseconds, nanoseconds) puts it in those years: "
        "check the value"
    )
    for alt in reversed([u for u in _UNIT_MS if u != declared]):
        ms = number * _UNIT_MS[alt]
        shown = F.date_format(F.timestamp_micros((ms * 1000).cast("long")), _SHOWN[alt])
        text = F.concat(F.lit(f"; as {_UNIT_NAMES[alt]} it is "), shown, F.lit(f": {_ADVICE[alt]}"))
        hint = F.when(plausible(ms), text).otherwise(hint)
    message = F.concat(
        F.lit(f"as {_UNIT_NAMES[declared]} is "),
        F.date_format(ts, _SHOWN[declared]),
        F.lit(", outside the years 1971 to 2200"),
        hint,
    )
    return Note(flag, ErrorCode.DATETIME_EPOCH_UNIT_SUSPECT.value, message)


@functools.lru_cache(maxsize=256)
def has_transitions(zone: str) -> bool:
    """True if ``zone`` changes its UTC offset within a year anywhere in 1900..2100 (DST)."""
    tz = ZoneInfo(zone)
    for year in range(1900, 2101):
        winter = datetime(year, 1, 1, tzinfo=tz).utcoffset()
        if any(datetime(year, m, 1, tzinfo=tz).utcoffset() != winter for m in (4, 7, 10)):
            return True
    return False


def _offset_micros(ts: Column, timezone: str) -> Column:
    """The UTC offset of ``timezone`` at the instant ``ts``, in microseconds."""
    return F.unix_micros(F.from_utc_timestamp(ts, timezone)) - F.unix_micros(ts)


def dst_notes(value: Column, timezone: str, local: Column) -> tuple[Note, ...]:
    """DATETIME_DST_GAP / DATETIME_DST_OVERLAP for ``value``, a wall-clock time read in
    ``timezone``.

    ``local`` is the wall-clock time that was read (a UTC timestamp with the same fields), null
    when the value carried its own offset or was an epoch number. It is evaluated only for the
    few values within 3 hours of a change of the zone's offset (nothing else can be in a gap or
    an overlap), so it may re-read the source text. A zone without daylight-saving changes
    gives no notes (and no expressions).
    """
    if timezone == "UTC" or not has_transitions(timezone):
        return ()
    micros = F.unix_micros(value)
    near = _offset_micros(F.timestamp_micros(micros - _HOURS_3), timezone) != _offset_micros(
        F.timestamp_micros(micros + _HOURS_3), timezone
    )
    local = F.when(near, local)
    shown = F.date_format(value, "yyyy-MM-dd'T'HH:mm:ssXXX")
    wall = F.from_utc_timestamp(value, timezone)
    read = value.isNotNull() & local.isNotNull()
    gap = read & (wall != local)
    # the offset at the value minus the offset 3 hours later: positive just before a fall-back,
    # and then the value plus that shift shows the same wall-clock time a second time
    later = F.from_utc_timestamp(F.timestamp_micros(F.unix_micros(value) + _HOURS_3), timezone)
    shift = F.unix_micros(wall) - F.unix_micros(later) + F.lit(_HOURS_3)
    second = F.from_utc_timestamp(F.timestamp_micros(F.unix_micros(value) + shift), timezone)
    overlap = read & ~gap & (shift > 0) & (second == local)
    return (
        Note(
            gap,
            ErrorCode.DATETIME_DST_GAP.value,
            F.concat(
                F.lit(
                    f"does not exist in {timezone} (a daylight-saving change skips it); it "
                    "landed as "
                ),
                shown,
                F.lit(", moved forward by the gap"),
            ),
        ),
        Note(
            overlap,
            ErrorCode.DATETIME_DST_OVERLAP.value,
            F.concat(
                F.lit(f"happens twice in {timezone} (the clocks fall back); it landed as "),
                shown,
                F.lit(", the earlier of the two; send the offset to say which one is meant"),
            ),
        ),
    )
