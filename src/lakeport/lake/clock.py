"""The one clock: aware UTC datetimes, and one ISO 8601 formatter.

A naive ``datetime`` handed to PySpark is read in the machine's time zone (``time.mktime``), and
``collect()`` returns naive datetimes in that zone too, so lakeport never hands Spark a naive
value and reads timestamps back through :func:`from_spark`. The machine's ``TZ`` changes nothing.

Example:
    >>> iso(utc_now()).endswith("Z")
    True
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any


def utc_now() -> datetime:
    """Now, as an aware UTC datetime."""
    return datetime.now(timezone.utc)


def from_spark(value: Any) -> Any:
    """A timestamp from ``collect()`` (naive, in this process's local zone) as aware UTC.

    Anything that is not a naive datetime is returned as it is (aware values are converted).
    """
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc)  # naive: read as local time, as PySpark wrote it
    return value


def iso(value: datetime | None) -> str | None:
    """``2026-11-23T12:05:01.123456Z`` for an aware (or Spark-collected naive) datetime."""
    if value is None:
        return None
    return from_spark(value).isoformat().replace("+00:00", "Z")


def stamp(value: datetime, fmt: str = "%Y%m%dT%H%M%SZ") -> str:
    """A compact UTC stamp for ids, e.g. ``20261123T120501Z``."""
    return from_spark(value).strftime(fmt)


def parse_iso(text: str | None) -> datetime | None:
    """The aware UTC datetime of an :func:`iso` string (None stays None)."""
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)
