"""Readers: input files -> one *source frame* per batch, never dropping a row silently.

A source frame has these columns:

``_src``           struct of the source fields the mapping reads (strings for JSON and CSV, so
                   conversion decides types; Parquet keeps its own types)
``_raw``           the record's raw text (the line for JSON Lines and CSV; rebuilt JSON otherwise)
``_source_file``   the file's URI
``_parse_error``   null, or PARSE_MALFORMED_JSON / PARSE_MALFORMED_CSV
``_block``         the file split's start offset (line-based formats) for line numbers
``_row``           position of the row: an increasing id within its split (line-based), or the
                   Parquet row index
``_skip``          true for lines that are not records (blank lines, CSV headers); they stay in
                   the frame only so that line numbers count them

Line-based formats (JSON Lines, single-line UTF-8 CSV) are read as text and parsed with
``from_json``/``from_csv`` so that every line keeps its raw text and its line number.

Example:
    >>> info = discover(spark, files, "json", options)
    >>> plan = resolve_mapping(mapping, schema, info.fields)
    >>> source = read_source(spark, files, "json", options, plan, schema, info)
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from jobs.config import FieldSpec, ReaderOptions, SchemaSpec
from jobs.errors import BatchError
from jobs.storage import fs
from jobs.transforms.mapping import MappingPlan, mappable_targets

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession
    from pyspark.sql import types as T

MAX_FILES_PER_BATCH = 1500
MAX_BATCH_BYTES = 100 * 1024**3
SAMPLE_LINES = 1000
HEAD_BYTES = 1024 * 1024


@dataclass(frozen=True)
class SourceInfo:
    """What a batch's files contain before they are read in full."""

    fields: list[str]
    header: list[str] = field(default_factory=list)
    parquet_schema: Any = None


def line_based(fmt: str, options: ReaderOptions) -> bool:
    """True when records are lines (raw text and line numbers come for free)."""
    utf8 = options.encoding.replace("-", "").upper() in ("UTF8",)
    return fmt in ("json", "csv") and not options.multiline and utf8


# --------------------------------------------------------------------------------------------
# Batch-level checks and field discovery (driver side, metadata and small heads only)
# --------------------------------------------------------------------------------------------


def check_files(
    spark: SparkSession,
    files: list[fs.FileInfo],
    fmt: str,
    options: ReaderOptions,
    batch_id: str | None = None,
) -> list[str]:
    """Batch-level checks; returns the CSV header (empty for other formats).

    Raises:
        BatchError: BATCH_TOO_MANY_FILES, BATCH_TOO_LARGE, BATCH_FILE_EMPTY, BATCH_FILE_UNREADABLE,
            BATCH_CSV_HEADER_ONLY, BATCH_CSV_HEADER_MISMATCH.
    """
    if len(files) > MAX_FILES_PER_BATCH:
        raise BatchError(
            f"{len(files)} files in one batch; the limit is {MAX_FILES_PER_BATCH}. "
            "Split the files over several batches.",
            code="BATCH_TOO_MANY_FILES",
            batch_id=batch_id,
        )
    total = sum(f.size for f in files)
    if total > MAX_BATCH_BYTES:
        raise BatchError(
            f"{total} bytes in one batch; the limit is 100 GB. Split the files over several batches.",
            code="BATCH_TOO_LARGE",
            batch_id=batch_id,
        )
    header: list[str] = []
    for f in files:
        if f.size == 0:
            raise BatchError(
                f"{f.path}: the file is empty (0 bytes); remove it from the batch or re-export it.",
                code="BATCH_FILE_EMPTY",
                batch_id=batch_id,
            )
        # small text files are looked at too, so a whitespace-only file is named as empty
        need_head = (
            fmt == "csv" or f.path.endswith(".gz") or (fmt in ("json", "aam") and f.size <= 65536)
        )
        if not need_head:
            continue
        try:
            data = fs.head(spark, f.path, HEAD_BYTES)
        except OSError as exc:
            raise BatchError(
                f"{f.path}: cannot be read ({exc}); check that it is a valid "
                f"{'gzip ' if f.path.endswith('.gz') else ''}{fmt} file.",
                code="BATCH_FILE_UNREADABLE",
                batch_id=batch_id,
            ) from exc
        if not data.strip():
            raise BatchError(
                f"{f.path}: the file holds no records; remove it from the batch.",
                code="BATCH_FILE_EMPTY",
                batch_id=batch_id,
            )
        if fmt == "csv" and options.header:
            text = data.decode(options.encoding, errors="replace").lstrip("\ufeff")
            rows = list(_csv_rows(text, options, complete=len(data) < HEAD_BYTES))
            if not rows:
                raise BatchError(
                    f"{f.path}: no header line; the file needs a header (or set header: false).",
                    code="BATCH_CSV_HEADER_ONLY",
                    batch_id=batch_id,
                )
            if len(rows) == 1 and len(data) < HEAD_BYTES:
                raise BatchError(
                    f"{f.path}: the file has a header but no rows; remove it from the batch.",
                    code="BATCH_CSV_HEADER_ONLY",
                    batch_id=batch_id,
                )
            this = [h.strip() for h in rows[0]]
            if len(set(this)) != len(this) or any(not h for h in this):
                raise BatchError(
                    f"{f.path}: header {this} has empty or repeated column names; fix the header.",
                    code="BATCH_CSV_BAD_HEADER",
                    batch_id=batch_id,
                )
            if header and this != header:
                raise BatchError(
                    f"{f.path}: header {this} differs from {header} in the batch's first file; "
                    "put files with different headers in different batches.",
                    code="BATCH_CSV_BAD_HEADER",
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


def discover(
    spark: SparkSession,
    files: list[fs.FileInfo],
    fmt: str,
    options: ReaderOptions,
    header: list[str],
) -> SourceInfo:
    """The source field paths a batch offers (for auto-mapping and the unmapped report)."""
    if fmt == "csv":
        names = (
            header
            if options.header
            else [f"_c{i}" for i in range(_csv_width(spark, files[0], options))]
        )
        return SourceInfo(fields=list(names), header=list(names))
    if fmt == "parquet":
        schema = spark.read.parquet(*[f.path for f in files]).schema
        return SourceInfo(fields=_leaf_paths_of_type(schema), parquet_schema=schema)
    # JSON: look at a sample of records on the driver (keys only; no dataset is collected)
    paths: dict[str, None] = {}
    if options.multiline:
        inferred = (
            spark.read.option("multiLine", True)
            .option("encoding", options.encoding)
            .json(files[0].path)
            .schema
        )
        return SourceInfo(
            fields=[p for p in _leaf_paths_of_type(inferred) if p != "_corrupt_record"]
        )
    sample = spark.read.text([f.path for f in files[:5]]).limit(SAMPLE_LINES).collect()
    for row in sample:
        try:
            obj = json.loads(row[0])
        except (ValueError, TypeError):
            continue
        if isinstance(obj, dict):
            for p in _leaf_paths(obj):
                paths.setdefault(p, None)
    return SourceInfo(fields=list(paths))


def _csv_width(spark: SparkSession, f: fs.FileInfo, options: ReaderOptions) -> int:
    text = fs.head(spark, f.path, 65536).decode(options.encoding, errors="replace")
    for row in _csv_rows(text, options, complete=True):
        return len(row)
    return 0


def _leaf_paths(obj: dict[str, Any], prefix: str = "") -> Iterator[str]:
    for key, value in obj.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            yield from _leaf_paths(value, path + ".")
        else:
            yield path


def _leaf_paths_of_type(schema: T.StructType, prefix: str = "") -> list[str]:
    from pyspark.sql import types as T

    out = []
    for f in schema.fields:
        path = f"{prefix}{f.name}"
        if isinstance(f.dataType, T.StructType):
            out.extend(_leaf_paths_of_type(f.dataType, path + "."))
        else:
            out.append(path)
    return out


# --------------------------------------------------------------------------------------------
# Read schemas for JSON: every mapped path, typed as strings in the target's shape
# --------------------------------------------------------------------------------------------


def _shape_type(spec: FieldSpec | None) -> T.DataType:
    from pyspark.sql import types as T

    if spec is None or spec.type not in ("array", "map", "object"):
        return T.StringType()
    if spec.type == "array":
        return T.ArrayType(_shape_type(spec.items))
    if spec.type == "map":
        return T.MapType(T.StringType(), T.StringType())
    assert spec.fields is not None
    return T.StructType([T.StructField(n, _shape_type(s)) for n, s in spec.fields.items()])


def json_read_schema(plan: MappingPlan, schema: SchemaSpec) -> T.StructType:
    """A StructType with every source path the plan reads, leaves typed in the target's shape."""
    from pyspark.sql import types as T

    targets = mappable_targets(schema)
    shapes: dict[str, FieldSpec | None] = {}
    for target, entry in plan.entries.items():
        if entry.source is not None:
            shapes[entry.source] = targets.get(target)
    for path in plan.source_paths:
        shapes.setdefault(path, None)
    tree: dict[str, Any] = {}
    for path, spec in shapes.items():
        node = tree
        parts = path.split(".")
        for part in parts[:-1]:
            name, is_item = _split_index(part)
            child = node.setdefault(name, {})
            if not isinstance(child, dict):
                break  # the same name used as a leaf and as an object: the leaf wins
            if is_item:
                child = child.setdefault("[]", {})
            node = child
        else:
            name, is_item = _split_index(parts[-1])
            if name not in node:
                node[name] = ("item", spec) if is_item else ("leaf", spec)

    def build(node: dict[str, Any]) -> T.StructType:
        out = []
        for name, value in node.items():
            if isinstance(value, tuple):
                kind, spec = value
                dtype = T.ArrayType(_shape_type(spec)) if kind == "item" else _shape_type(spec)
            elif "[]" in value:
                dtype = T.ArrayType(build(value["[]"]))
            else:
                dtype = build(value)
            out.append(T.StructField(name, dtype))
        return T.StructType(out)

    return build(tree)


def _split_index(part: str) -> tuple[str, bool]:
    if part.endswith("]") and "[" in part:
        return part[: part.index("[")], True
    return part, False


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def read_lines(spark: SparkSession, paths: list[str]) -> DataFrame:
    """UTF-8 text files as lines: ``_raw``, ``_source_file``, ``_block``, ``_row``, ``_skip``.

    Example:
        >>> read_lines(spark, ["a.jsonl"]).where("not _skip").count()
    """
    from pyspark.sql import functions as F

    text = spark.read.text(paths).select(
        F.col("value").alias("_raw"),
        F.col("_metadata.file_path").alias("_source_file"),
        F.col("_metadata.file_block_start").alias("_block"),
        F.monotonically_increasing_id().alias("_row"),
    )
    # blank lines are not records (as in Spark's JSON Lines reader) but they count as lines,
    # so they are flagged (_skip), not filtered, until line numbers are known; a BOM is not content
    bom = F.col("_raw").startswith("\ufeff")
    text = text.withColumn(
        "_raw", F.when(bom, F.substring("_raw", 2, 1 << 30)).otherwise(F.col("_raw"))
    )
    return text.withColumn("_skip", F.trim(F.col("_raw")) == "")


def read_source(
    spark: SparkSession,
    files: list[fs.FileInfo],
    fmt: str,
    options: ReaderOptions,
    plan: MappingPlan,
    schema: SchemaSpec,
    info: SourceInfo,
) -> DataFrame:
    """Read a batch's files into a source frame (see the module docstring)."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    paths = [f.path for f in files]
    if line_based(fmt, options):
        text = read_lines(spark, paths)
        if fmt == "json":
            read_schema = json_read_schema(plan, schema).add("_corrupt_record", T.StringType())
            parsed = F.from_json(
                "_raw",
                read_schema,
                {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": "_corrupt_record"},
            )
            out = text.withColumn("_src", parsed)
            bad = F.col("_src._corrupt_record").isNotNull()
            return out.select(
                F.col("_src").dropFields("_corrupt_record").alias("_src"),
                "_raw",
                "_source_file",
                F.when(bad & ~F.col("_skip"), F.lit("PARSE_MALFORMED_JSON")).alias("_parse_error"),
                "_block",
                "_row",
                "_skip",
            )
        return _csv_from_text(text, options, info)
    reader = spark.read
    if fmt == "parquet":
        df = reader.parquet(*paths)
        cols = [F.col(f"`{c}`") for c in df.columns]
        return df.select(
            F.struct(*cols).alias("_src"),
            F.to_json(F.struct(*cols)).alias("_raw"),
            F.col("_metadata.file_path").alias("_source_file"),
            F.lit(None).cast("string").alias("_parse_error"),
            F.lit(None).cast("long").alias("_block"),
            F.col("_metadata.row_index").alias("_row"),
            F.lit(False).alias("_skip"),
        )
    if fmt == "json":
        read_schema = json_read_schema(plan, schema).add("_corrupt_record", T.StringType())
        df = (
            reader.schema(read_schema)
            .option("multiLine", True)
            .option("mode", "PERMISSIVE")
            .option("encoding", options.encoding)
            .option("columnNameOfCorruptRecord", "_corrupt_record")
            .json(paths)
        )
        fields = [F.col(f"`{n}`") for n in read_schema.names if n != "_corrupt_record"]
        bad = F.col("_corrupt_record").isNotNull()
        return df.select(
            F.struct(*fields).alias("_src"),
            F.coalesce(F.col("_corrupt_record"), F.to_json(F.struct(*fields))).alias("_raw"),
            F.col("_metadata.file_path").alias("_source_file"),
            F.when(bad, F.lit("PARSE_MALFORMED_JSON")).alias("_parse_error"),
            F.lit(None).cast("long").alias("_block"),
            F.monotonically_increasing_id().alias("_row"),
            F.lit(False).alias("_skip"),
        )
    # CSV that is multi-line or not UTF-8: Spark's own CSV reader, raw text rebuilt when valid
    names = info.header
    internal = [f"_c{i}" for i in range(len(names))]
    read_schema = T.StructType(
        [T.StructField(c, T.StringType()) for c in internal]
        + [T.StructField("_corrupt_record", T.StringType())]
    )
    df = (
        reader.schema(read_schema)
        .option("header", options.header)
        .option("sep", options.delimiter)
        .option("quote", options.quote)
        .option("escape", options.escape)
        .option("nullValue", options.null_value)
        .option("encoding", options.encoding)
        .option("multiLine", options.multiline)
        .option("mode", "PERMISSIVE")
        .option("columnNameOfCorruptRecord", "_corrupt_record")
        .option("enforceSchema", True)
        .csv(paths)
    )
    bad = F.col("_corrupt_record").isNotNull()
    return df.select(
        F.struct(*[F.col(c) for c in internal]).alias("_src"),
        F.coalesce(
            F.col("_corrupt_record"),
            F.concat_ws(options.delimiter, *[F.coalesce(F.col(c), F.lit("")) for c in internal]),
        ).alias("_raw"),
        F.col("_metadata.file_path").alias("_source_file"),
        F.when(bad, F.lit("PARSE_MALFORMED_CSV")).alias("_parse_error"),
        F.lit(None).cast("long").alias("_block"),
        F.monotonically_increasing_id().alias("_row"),
        F.lit(False).alias("_skip"),
    )


def _csv_from_text(text: DataFrame, options: ReaderOptions, info: SourceInfo) -> DataFrame:
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    names = info.header
    internal = [f"_c{i}" for i in range(len(names))]
    ddl = T.StructType([T.StructField(c, T.StringType()) for c in internal])
    csv_options = {
        "sep": options.delimiter,
        "quote": options.quote,
        "escape": options.escape,
        "nullValue": options.null_value,
        "mode": "PERMISSIVE",
    }
    if options.header:
        # the first line of each file is the header (check_files verified it is the same everywhere)
        parsed_header = F.from_csv(F.col("_raw"), ddl.simpleString(), csv_options)
        expected = F.struct(*[F.lit(n).alias(c) for n, c in zip(names, internal, strict=True)])
        is_header = (F.col("_block") == 0) & (F.to_json(parsed_header) == F.to_json(expected))
        text = text.withColumn("_skip", F.col("_skip") | is_header)
    q, d = options.quote, options.delimiter
    # number of delimiters outside quotes = fields - 1
    outside = (
        f"\\{d}(?=(?:[^{q}]*{q}[^{q}]*{q})*[^{q}]*$)"
        if d not in ("\t",)
        else f"\t(?=(?:[^{q}]*{q}[^{q}]*{q})*[^{q}]*$)"
    )
    width = F.size(F.split(F.col("_raw"), outside))
    parsed = F.from_csv(F.col("_raw"), ddl.simpleString(), csv_options)
    wrong_width = width != F.lit(len(names))
    return text.select(
        F.when(wrong_width, F.lit(None).cast(ddl)).otherwise(parsed).alias("_src"),
        "_raw",
        "_source_file",
        F.when(wrong_width & ~F.col("_skip"), F.lit("PARSE_MALFORMED_CSV")).alias("_parse_error"),
        "_block",
        "_row",
        "_skip",
    )


def resolver(source: DataFrame, fmt: str, info: SourceInfo) -> Any:
    """A function mapping a source path to (Column, Spark type) over the source frame."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    src_type = source.schema["_src"].dataType
    header_index = {name: f"_c{i}" for i, name in enumerate(info.header)}

    def resolve(path: str) -> tuple[Column, T.DataType]:
        if fmt == "csv":
            internal = header_index.get(path)
            if internal is None:
                return F.lit(None).cast("string"), T.StringType()
            return F.col("_src")[internal], T.StringType()
        col: Column = F.col("_src")
        dtype: T.DataType = src_type
        for part in path.split("."):
            name, is_item = _split_index(part)
            if not isinstance(dtype, T.StructType) or name not in dtype.names:
                return F.lit(None).cast("string"), T.StringType()
            col, dtype = col[name], dtype[name].dataType
            if is_item:
                index = int(part[part.index("[") + 1 : -1])
                if not isinstance(dtype, T.ArrayType):
                    return F.lit(None).cast("string"), T.StringType()
                col, dtype = F.get(col, index), dtype.elementType
        return col, dtype

    return resolve
