"""JSON input: JSON Lines (default; every line keeps its raw text and line number) or multi-line
JSON (a top-level array or pretty-printed objects, ``multiline: true``).

JSON Lines is read as text and parsed with ``from_json``, so a line that is not one JSON object
is one failed record with its own text, never several rows or a lost line. A line with bytes that
are not UTF-8 is flagged ENCODING_INVALID_UTF8 (a warning, or an error with ``encoding_errors:
fail``). Every mapped path is read as a string in the target's shape: conversion decides types,
not the reader; a path mapped to a date or datetime is read as a JSON value (a variant), so that
a JSON number is an epoch value whatever its size, while the text ``"2018"`` is not.

A multi-line file whose top-level array holds an element that is not an object is one corrupt
record to Spark; it is read again element by element: each element is a record (its ``line`` is
its 1-based position in the array), and a bad element is one failed record.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from lakeport.errors import ErrorCode
from lakeport.readers.base import (
    Reader,
    SourceInfo,
    leaf_paths,
    leaf_paths_of_type,
    source_frame,
    split_index,
)
from lakeport.readers.files import only_positions, read_lines
from lakeport.spec.schema import FieldSpec, mappable_targets

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession
    from pyspark.sql import types as T

    from lakeport.config.plan import MappingPlan
    from lakeport.lake.fs import FileInfo
    from lakeport.spec.schema import SchemaSpec
    from lakeport.spec.settings import ReaderOptions

SAMPLE_LINES = 1000


def line_based(fmt: str, options: ReaderOptions) -> bool:
    """True when records are lines (raw text and line numbers come for free)."""
    utf8 = options.encoding.replace("-", "").upper() in ("UTF8",)
    return fmt in ("json", "csv") and not options.multiline and utf8


def _shape_type(spec: FieldSpec | None) -> T.DataType:
    from pyspark.sql import types as T

    if spec is not None and spec.type in ("date", "datetime"):
        return T.VariantType()  # a JSON number stays a number: convert reads it as epoch
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
    as_text = {p for e in plan.entries.values() if e.expression is not None for p in e.reads}
    for target, entry in plan.entries.items():
        if entry.source is not None:
            spec = targets.get(target)
            if spec is not None and spec.type in ("date", "datetime") and entry.source in as_text:
                spec = None  # an expression reads it too: text, as expressions expect
            shapes[entry.source] = spec
    for path in plan.source_paths:
        shapes.setdefault(path, None)
    tree: dict[str, Any] = {}
    for path, spec in shapes.items():
        node = tree
        parts = path.split(".")
        for part in parts[:-1]:
            name, is_item = split_index(part)
            child = node.setdefault(name, {})
            if not isinstance(child, dict):
                break  # the same name used as a leaf and as an object: the leaf wins
            if is_item:
                child = child.setdefault("[]", {})
            node = child
        else:
            name, is_item = split_index(parts[-1])
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


class JsonReader(Reader):
    name = "json"
    inspect_small_files = True

    def discover(
        self,
        spark: SparkSession,
        files: list[FileInfo],
        options: ReaderOptions,
        header: list[str],
    ) -> SourceInfo:
        if options.multiline:
            inferred = (
                spark.read.option("multiLine", True)
                .option("encoding", options.encoding)
                .json(files[0].path)
                .schema
            )
            fields = [p for p in leaf_paths_of_type(inferred) if p != "_corrupt_record"]
            if not fields:  # e.g. an array with one element that is not an object
                fields = _element_fields(spark, files[0].path, options)
            return SourceInfo(fields=fields)
        # look at a sample of records on the driver (keys only; no dataset is collected)
        paths: dict[str, None] = {}
        sample = spark.read.text([f.path for f in files[:5]]).limit(SAMPLE_LINES).collect()
        for row in sample:
            try:
                obj = json.loads(row[0])
            except (ValueError, TypeError):
                continue
            if isinstance(obj, dict):
                for p in leaf_paths(obj):
                    paths.setdefault(p, None)
        return SourceInfo(fields=list(paths))

    def read(
        self,
        spark: SparkSession,
        files: list[FileInfo],
        options: ReaderOptions,
        plan: MappingPlan,
        schema: SchemaSpec,
        info: SourceInfo,
        positions: DataFrame | None = None,
    ) -> DataFrame:
        from pyspark.sql import functions as F
        from pyspark.sql import types as T

        paths = [f.path for f in files]
        read_schema = json_read_schema(plan, schema).add("_corrupt_record", T.StringType())
        if line_based("json", options):
            text = read_lines(spark, paths, positions)
            parsed = F.from_json(
                "_raw",
                read_schema,
                {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": "_corrupt_record"},
            )
            out = text.withColumn("_src", parsed)
            bad = F.col("_src._corrupt_record").isNotNull()
            return source_frame(
                out,
                src=F.col("_src").dropFields("_corrupt_record"),
                raw=F.col("_raw"),
                source_file=F.col("_source_file"),
                parse_error=F.when(
                    bad & ~F.col("_skip"), F.lit(ErrorCode.PARSE_MALFORMED_JSON.value)
                ).when(
                    ~F.is_valid_utf8("_raw") & ~F.col("_skip"),
                    F.lit(ErrorCode.ENCODING_INVALID_UTF8.value),
                ),
                block=F.col("_block"),
                row=F.col("_row"),
                skip=F.col("_skip"),
            )
        df = (
            spark.read.schema(read_schema)
            .option("multiLine", True)
            .option("mode", "PERMISSIVE")
            .option("encoding", options.encoding)
            .option("columnNameOfCorruptRecord", "_corrupt_record")
            .json(paths)
        )
        fields = [F.col(f"`{n}`") for n in read_schema.names if n != "_corrupt_record"]
        records = df.select(
            F.col("_metadata.file_path").alias("_file"),
            F.explode(_records(F.struct(*fields), read_schema)).alias("_r"),
        )
        source = source_frame(
            records,
            src=F.col("_r.src"),
            raw=F.col("_r.raw"),
            source_file=F.col("_file"),
            parse_error=F.col("_r.error"),
            row=F.coalesce(F.col("_r.pos"), F.monotonically_increasing_id()),
        )
        return only_positions(source, positions)


def _records(whole: Column, read_schema: T.StructType) -> Column:
    """The records of one row of Spark's multi-line reader, as an array of
    ``struct<src, raw, error, pos>``: the row itself, or, when Spark could not read the file
    (``_corrupt_record``) and it is a JSON array, one record per element with its index."""
    from pyspark.sql import functions as F

    corrupt = F.col("_corrupt_record")
    malformed = F.lit(ErrorCode.PARSE_MALFORMED_JSON.value)

    def record(src: Column, raw: Column, error: Column, pos: Column) -> Column:
        return F.struct(src.alias("src"), raw.alias("raw"), error.alias("error"), pos.alias("pos"))

    def element(e: Column, i: Column) -> Column:
        text = F.to_json(e)
        parsed = F.from_json(
            text,
            read_schema,
            {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": "_corrupt_record"},
        )
        bad = ~text.startswith("{") | parsed["_corrupt_record"].isNotNull()
        src = F.when(~bad, parsed.dropFields("_corrupt_record"))
        return record(src, text, F.when(bad, malformed), i.cast("long"))

    elements = F.from_json(corrupt, "array<variant>")  # null unless the text is a JSON array
    none = F.lit(None)
    return (
        F.when(
            corrupt.isNull(),
            F.array(record(whole, F.to_json(whole), none.cast("string"), none.cast("long"))),
        )
        .when(elements.isNotNull(), F.transform(elements, element))
        .otherwise(F.array(record(whole, corrupt, malformed, none.cast("long"))))
    )


def _element_fields(spark: SparkSession, path: str, options: ReaderOptions) -> list[str]:
    """Source fields of the object elements of a multi-line JSON array that Spark could not read
    as a whole (a sample on the driver, keys only, like JSON Lines' discovery)."""
    from pyspark.sql import functions as F

    probe = "_lakeport_probe"  # Spark refuses a scan of the corrupt-record column alone
    df = (
        spark.read.schema(f"`{probe}` string, _corrupt_record string")
        .option("multiLine", True)
        .option("encoding", options.encoding)
        .option("columnNameOfCorruptRecord", "_corrupt_record")
        .json(path)
    )
    text = F.coalesce(F.col("_corrupt_record"), F.col(probe))
    objects = (
        df.select(F.explode(F.from_json(text, "array<variant>")).alias("e"))
        .select(F.to_json("e").alias("j"))
        .where(F.col("j").startswith("{"))
        .limit(SAMPLE_LINES)
        .collect()
    )
    paths: dict[str, None] = {}
    for row in objects:
        for p in leaf_paths(json.loads(row[0])):
            paths.setdefault(p, None)
    return list(paths)
