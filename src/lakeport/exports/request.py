"""What an export is asked to do: the argument checks, and the request two runs are compared by.

Two runs with equal requests for one export time are the same export (the second reports
``exists``); a different request for a complete export time is refused (``EXPORT_CONFLICT``).

Example:
    >>> check_args("json", "gzip", "202611231000", "refuse", ())
    ('json', 'gzip', '202611231000')
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from lakeport.errors import UsageError
from lakeport.lake.clock import stamp, utc_now

FORMATS = ("parquet", "json", "csv")
COMPRESSIONS = ("gzip", "snappy", "none")
CSV_ARRAYS = ("refuse", "json")
KINDS = ("profiles", "dataset")
EXPORT_TIME_FORMAT = "%Y%m%d%H%M"  # YYYYMMDDHHMM, UTC
_EXPORT_TIME = re.compile(r"\d{12}")


@dataclass(frozen=True)
class ExportRequest:
    """What was asked; two runs with equal requests for one export time are the same export."""

    kind: str  # "profiles" | "dataset"
    name: str
    source: str  # qualified source table path
    fmt: str
    compression: str
    incremental: bool
    csv_arrays: str
    csv_drop: tuple[str, ...] = field(default_factory=tuple)

    def as_json(self) -> dict[str, Any]:
        """The request as the manifest stores it (``request``) and compares it on a re-run.

        Example:
            >>> ExportRequest("dataset", "loyalty", "file:/lake/datasets/loyalty", "parquet",
            ...               "snappy", False, "refuse").as_json()["format"]
            'parquet'
        """
        out: dict[str, Any] = {
            "kind": self.kind,
            "name": self.name,
            "source": self.source,
            "format": self.fmt,
            "compression": self.compression,
            "incremental": self.incremental,
        }
        if self.fmt == "csv":
            out["csvArrays"] = self.csv_arrays
            out["csvDrop"] = list(self.csv_drop)
        return out


def check_args(
    fmt: str,
    compression: str | None,
    export_time: str | None,
    csv_arrays: str,
    csv_drop: Sequence[str],
) -> tuple[str, str, str]:
    """Check an export's arguments and resolve the defaults, before any Spark work.

    Args:
        fmt: ``parquet``, ``json`` or ``csv`` (any case).
        compression: ``gzip``, ``snappy`` (Parquet only), ``none``, or None for the format's
            default (snappy for Parquet, none otherwise).
        export_time: ``YYYYMMDDHHMM`` in UTC, or None for now (to the minute).
        csv_arrays: ``refuse`` or ``json``.
        csv_drop: column paths left out of a CSV export (CSV only).

    Returns:
        ``(format, compression, export_time)``, lower-cased and resolved.

    Raises:
        UsageError: naming the flag and what it accepts.

    Example:
        >>> check_args("PARQUET", None, None, "refuse", ())[:2]
        ('parquet', 'snappy')
    """
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt}: use one of {', '.join(FORMATS)}")
    codec = (compression or ("snappy" if fmt == "parquet" else "none")).lower()
    if codec not in COMPRESSIONS:
        raise UsageError(f"--compression {compression}: use gzip or none (or snappy for parquet)")
    if codec == "snappy" and fmt != "parquet":
        raise UsageError(f"--compression snappy applies to parquet only; use gzip for {fmt}")
    if csv_arrays not in CSV_ARRAYS:
        raise UsageError(f"--csv-arrays {csv_arrays}: use refuse or json")
    if fmt != "csv" and (csv_drop or csv_arrays != "refuse"):
        raise UsageError(
            f"--csv-arrays/--csv-drop apply to --format csv only ({fmt} keeps nesting)"
        )
    if export_time is None:
        return fmt, codec, stamp(utc_now(), EXPORT_TIME_FORMAT)
    when = export_time.strip()
    if _parse(when) is None:
        raise UsageError(
            f"--export-time {export_time!r}: expected YYYYMMDDHHMM in UTC, e.g. "
            f"{stamp(utc_now(), EXPORT_TIME_FORMAT)}"
        )
    return fmt, codec, when


def export_time_iso(when: str) -> str:
    """``YYYY-MM-DDTHH:MMZ`` for a checked export time.

    Example:
        >>> export_time_iso("202611231000")
        '2026-11-23T10:00Z'
    """
    value = _parse(when)
    if value is None:
        raise ValueError(f"{when!r} is not an export time (YYYYMMDDHHMM)")
    return value.strftime("%Y-%m-%dT%H:%MZ")


def is_export_time(value: str) -> bool:
    """True for a 12-digit ``YYYYMMDDHHMM`` (the name of an ``exportTime=`` directory).

    Example:
        >>> is_export_time("202611231000"), is_export_time("latest")
        (True, False)
    """
    return _EXPORT_TIME.fullmatch(value) is not None


def _parse(when: str) -> datetime | None:
    """The aware UTC minute of ``when``, or None when it is not a valid ``YYYYMMDDHHMM``."""
    if not is_export_time(when):
        return None
    try:
        return datetime.strptime(when, EXPORT_TIME_FORMAT).replace(tzinfo=timezone.utc)
    except ValueError:
        return None
