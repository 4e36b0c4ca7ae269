"""Batch-level checks of input files, and line reading, shared by every reader.

Only metadata and small heads of files cross to the driver.

Example:
    >>> header = check_files(spark, files, "csv", options, "b1")  # doctest: +SKIP
    >>> read_lines(spark, [f.path for f in files]).where("not _skip").count()  # doctest: +SKIP
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import TYPE_CHECKING

from lakeport.errors import BatchError, ErrorCode
from lakeport.lake import fs

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from lakeport.spec.settings import ReaderOptions

MAX_FILES_PER_BATCH = 1500
MAX_BATCH_BYTES = 100 * 1024**3
HEAD_BYTES = 1024 * 1024
TEXT_FORMATS = ("json", "csv", "aam")


def _binary(head: bytes, size: int) -> bool:
    """NUL bytes and no line break in a head of a file that goes on: read as text this would be
    one giant line (a NUL inside a line of a text file is that record's problem, not the file's)."""
    return b"\x00" in head and b"\n" not in head and (len(head) < size or len(head) >= 4096)


def _eight_bit(encoding: str) -> bool:
    """An encoding in which a NUL byte is a NUL character (not UTF-16 or UTF-32)."""
    return not encoding.replace("-", "").upper().startswith(("UTF16", "UTF32", "UCS"))


def check_files(
    spark: SparkSession,
    files: list[fs.FileInfo],
    fmt: str,
    options: ReaderOptions,
    batch_id: str | None = None,
    *,
    small_files: bool = False,
) -> list[str]:
    """Batch-level checks; returns the CSV header (empty for other formats).

    Raises:
        BatchError: BATCH_TOO_MANY_FILES, BATCH_TOO_LARGE, BATCH_FILE_EMPTY, BATCH_FILE_UNREADABLE,
            BATCH_CSV_HEADER_ONLY, BATCH_CSV_BAD_HEADER.
    """
    if len(files) > MAX_FILES_PER_BATCH:
        raise BatchError(
            f"{len(files)} files in one batch; the limit is {MAX_FILES_PER_BATCH}. "
            "Split the files over several batches.",
            code=ErrorCode.BATCH_TOO_MANY_FILES,
            batch_id=batch_id,
        )
    total = sum(f.size for f in files)
    if total > MAX_BATCH_BYTES:
        raise BatchError(
            f"{total} bytes in one batch; the limit is 100 GB. Split the files over several batches.",
            code=ErrorCode.BATCH_TOO_LARGE,
            batch_id=batch_id,
        )
    header: list[str] = []
    for f in files:
        if f.size == 0:
            raise BatchError(
                f"{f.path}: the file is empty (0 bytes); remove it from the batch or re-export it.",
                code=ErrorCode.BATCH_FILE_EMPTY,
                batch_id=batch_id,
            )
        # a small text file's head is looked at (only white space: empty), and every local text
        # file's (NUL bytes mean a binary or sparse file: read as text it is one giant line and
        # the JVM runs out of memory); object stores are spared a request per file. CSV and
        # gzip heads are read in full for the header checks
        text = fmt in TEXT_FORMATS
        local = f.path.startswith("file:") or "://" not in f.path
        need_head = (
            fmt == "csv"
            or f.path.endswith(".gz")
            or (text and local)
            or (small_files and f.size <= 65536)
        )
        if not need_head:
            continue
        try:
            data = fs.head(
                spark, f.path, HEAD_BYTES if fmt == "csv" or f.path.endswith(".gz") else 65536
            )
        except OSError as exc:
            raise BatchError(
                f"{f.path}: cannot be read ({exc}); check that it is a valid "
                f"{'gzip ' if f.path.endswith('.gz') else ''}{fmt} file.",
                code=ErrorCode.BATCH_FILE_UNREADABLE,
                batch_id=batch_id,
            ) from exc
        if not data.strip() and (len(data) == f.size or f.path.endswith(".gz") or data == b""):
            raise BatchError(
                f"{f.path}: the file holds no records; remove it from the batch.",
                code=ErrorCode.BATCH_FILE_EMPTY,
                batch_id=batch_id,
            )
        if text and _binary(data, f.size) and _eight_bit(options.encoding):
            at = data.index(b"\x00")
            raise BatchError(
                f"{f.path}: holds a NUL byte at offset {at} and no line break in its first "
                f"{len(data)} bytes: it is not {fmt} text (a binary, sparse or truncated file); "
                "re-export it, or set the dataset's encoding if it is UTF-16",
                code=ErrorCode.BATCH_FILE_UNREADABLE,
                batch_id=batch_id,
            )
        if fmt == "csv" and options.header:
            decoded = data.decode(options.encoding, errors="replace").lstrip("\ufeff")
            rows = list(csv_rows(decoded, options, complete=len(data) < HEAD_BYTES))
            if not rows:
                raise BatchError(
                    f"{f.path}: no header line; the file needs a header (or set header: false).",
                    code=ErrorCode.BATCH_CSV_HEADER_ONLY,
                    batch_id=batch_id,
                )
            if len(rows) == 1 and len(data) < HEAD_BYTES:
                raise BatchError(
                    f"{f.path}: the file has a header but no rows; remove it from the batch.",
                    code=ErrorCode.BATCH_CSV_HEADER_ONLY,
                    batch_id=batch_id,
                )
            this = [h.strip() for h in rows[0]]
            if len(set(this)) != len(this) or any(not h for h in this):
                raise BatchError(
                    f"{f.path}: header {this} has empty or repeated column names; fix the header.",
                    code=ErrorCode.BATCH_CSV_BAD_HEADER,
                    batch_id=batch_id,
                )
            if header and this != header:
                raise BatchError(
                    f"{f.path}: header {this} differs from {header} in the batch's first file; "
                    "put files with different headers in different batches.",
                    code=ErrorCode.BATCH_CSV_BAD_HEADER,
                    batch_id=batch_id,
                )
            header = this
    return header


def _csv_rows(text: str, options: ReaderOptions, complete: bool) -> Iterator[list[str]]:
    lines = text.splitlines()
    if not complete and lines:
        lines = lines[:-1]  # the last line may be cut by the head limit
    reader = csv.reader(
        io.StringIO("\n".join(lines)), delimiter=options.delimiter, quotechar=options.quote
    )
    for row in reader:
        if row and any(c.strip() for c in row):
            yield row


def csv_rows(text: str, options: ReaderOptions, complete: bool) -> Iterator[list[str]]:
    lines = text.splitlines()
    if not complete and lines:
        lines = lines[:-1]  # the last line may be cut by the head limit
    reader = csv.reader(
        io.StringIO("\n".join(lines)), delimiter=options.delimiter, quotechar=options.quote
    )
    for row in reader:
        if row and any(c.strip() for c in row):
            yield row


def only_positions(df: DataFrame, positions: DataFrame | None) -> DataFrame:
    """The rows of ``df`` at ``positions`` (``_fk`` = ``xxhash64(_source_file)``, ``_rk`` =
    ``_row``), or all of ``df`` when ``positions`` is None.

    Readers apply it where ``_row`` is first known, below their parsing: Spark does not push a
    semi-join through a projection that holds ``monotonically_increasing_id``, so a filter above
    the parse would parse every line again.
    """
    from pyspark.sql import functions as F

    if positions is None:
        return df
    hit = (F.xxhash64(df["_source_file"]) == positions["_fk"]) & (df["_row"] == positions["_rk"])
    return df.join(F.broadcast(positions), hit, "left_semi")


def read_lines(
    spark: SparkSession, paths: list[str], positions: DataFrame | None = None
) -> DataFrame:
    """UTF-8 text files as lines: ``_raw``, ``_source_file``, ``_block``, ``_row``, ``_skip``;
    only the lines at ``positions`` when given (see :func:`only_positions`).

    Example:
        >>> read_lines(spark, ["a.jsonl"]).where("not _skip").count()  # doctest: +SKIP
    """
    from pyspark.sql import functions as F

    text = spark.read.text(paths).select(
        F.col("value").alias("_raw"),
        F.col("_metadata.file_path").alias("_source_file"),
        F.col("_metadata.file_block_start").alias("_block"),
        F.monotonically_increasing_id().alias("_row"),
    )
    text = only_positions(text, positions)
    # blank lines are not records (as in Spark's JSON Lines reader) but they count as lines,
    # so they are flagged (_skip), not filtered, until line numbers are known; a BOM is not content
    bom = F.col("_raw").startswith("\ufeff")
    text = text.withColumn(
        "_raw", F.when(bom, F.substring("_raw", 2, 1 << 30)).otherwise(F.col("_raw"))
    )
    return text.withColumn("_skip", F.trim(F.col("_raw")) == "")
