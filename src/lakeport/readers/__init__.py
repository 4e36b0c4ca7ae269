"""Readers: one per input format behind one protocol (:class:`~lakeport.readers.base.Reader`).

Example:
    >>> get_reader("csv").name
    'csv'
"""

from __future__ import annotations

from lakeport.readers.aam import AamReader
from lakeport.readers.base import Reader, Resolver, SourceInfo, source_frame
from lakeport.readers.csvfile import CsvReader
from lakeport.readers.files import read_lines
from lakeport.readers.jsonl import JsonReader
from lakeport.readers.parquet import ParquetReader

READERS: dict[str, Reader] = {
    r.name: r for r in (JsonReader(), CsvReader(), ParquetReader(), AamReader())
}


def get_reader(fmt: str) -> Reader:
    """The reader of a format (the formats are the keys of :data:`READERS`)."""
    try:
        return READERS[fmt]
    except KeyError:
        raise ValueError(
            f"no reader for format {fmt!r}; use one of: {', '.join(READERS)}"
        ) from None


__all__ = [
    "READERS",
    "Reader",
    "Resolver",
    "SourceInfo",
    "get_reader",
    "read_lines",
    "source_frame",
]
