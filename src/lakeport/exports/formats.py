"""How rows become export files: the writer options per format, and writes counted as they run.

Timestamps keep microseconds and an offset (Spark's defaults keep milliseconds only, which would
lose data); CSV quotes by RFC 4180 (a quote inside a value is doubled) and keeps values byte for
byte (Spark's CSV writer would otherwise escape with a backslash and trim spaces). Spark's own
``_SUCCESS`` is switched off: the export writes its ``_SUCCESS`` last, after the rename.

Example:
    >>> rows = write_counted(frame, request, "/exports/loyalty/_tmp_exportTime=202611231000_ab12")  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, DataFrameWriter

    from lakeport.exports.request import ExportRequest

TIMESTAMP_FORMAT = "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX"
TIMESTAMP_NTZ_FORMAT = "yyyy-MM-dd'T'HH:mm:ss.SSSSSS"
CSV_OPTIONS = {
    "header": "true",
    "quote": '"',
    "escape": '"',
    "ignoreLeadingWhiteSpace": "false",
    "ignoreTrailingWhiteSpace": "false",
    "timestampFormat": TIMESTAMP_FORMAT,
    "timestampNTZFormat": TIMESTAMP_NTZ_FORMAT,
}
JSON_OPTIONS = {"timestampFormat": TIMESTAMP_FORMAT, "timestampNTZFormat": TIMESTAMP_NTZ_FORMAT}
# Hadoop's committer writes its own _SUCCESS at job end: too early for an export
NO_SUCCESS_MARKER = ("mapreduce.fileoutputcommitter.marksuccessfuljobs", "false")


def writer(data: DataFrame, request: ExportRequest) -> DataFrameWriter:
    """The writer of ``data`` in the request's format and compression (never over existing files).

    Args:
        data: the rows (already flattened for CSV).
        request: the export request (``fmt``, ``compression``).

    Returns:
        A ``DataFrameWriter``; ``.save(directory)`` writes the part files.

    Example:
        >>> writer(frame, request).save(tmp)  # doctest: +SKIP
    """
    out = (
        data.write.format(request.fmt)
        .mode("errorifexists")
        .option(*NO_SUCCESS_MARKER)
        .option("compression", request.compression)
    )
    if request.fmt == "json":
        out = out.options(**JSON_OPTIONS)
    elif request.fmt == "csv":
        out = out.options(**CSV_OPTIONS)
    return out


def write_counted(data: DataFrame, request: ExportRequest, directory: str) -> int:
    """Write ``data`` into ``directory`` and return its row count, counted while written.

    One pass over the source, not two: the count is an observed metric of the write.

    Args:
        data: the rows.
        request: the export request (format and compression).
        directory: a directory that does not exist yet.

    Returns:
        The number of rows written.

    Raises:
        Exception: whatever Spark raises for a failed write (the caller classifies it).

    Example:
        >>> write_counted(frame, request, tmp)  # doctest: +SKIP
        1000
    """
    from pyspark.sql import Observation
    from pyspark.sql import functions as F

    seen = Observation("export")
    writer(data.observe(seen, F.count(F.lit(1)).alias("rows")), request).save(directory)
    return observed(seen, data)


def observed(seen: Any, df: DataFrame) -> int:
    """The row count an ``Observation`` saw while ``df`` was written.

    A plan that Spark proves empty (an empty change set) runs no task and reports no metrics;
    counting it again is then free.

    Example:
        >>> observed(seen, frame)  # doctest: +SKIP
        3
    """
    try:
        return int(seen.get["rows"])
    except Exception:  # Py4JJavaError "assertion failed" from an empty metrics row
        return int(df.count())
