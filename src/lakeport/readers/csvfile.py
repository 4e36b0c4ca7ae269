"""CSV input: header, delimiter, quote, escape, null marker, charset, BOM, multi-line fields.

Single-line UTF-8 CSV is read as text and parsed with ``from_csv``, so every line keeps its raw
text and line number, and a row with more or fewer fields than the header is one failed record
(``PARSE_MALFORMED_CSV``). Multi-line or non-UTF-8 CSV goes through Spark's CSV reader. Columns
are addressed by position (``_c0``...) and resolved by header name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lakeport.errors import ErrorCode
from lakeport.lake import fs
from lakeport.readers.base import Reader, Resolver, SourceInfo, source_frame
from lakeport.readers.files import csv_rows, only_positions, read_lines
from lakeport.readers.jsonl import line_based

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession
    from pyspark.sql import types as T

    from lakeport.config.plan import MappingPlan
    from lakeport.lake.fs import FileInfo
    from lakeport.spec.schema import SchemaSpec
    from lakeport.spec.settings import ReaderOptions


def _csv_width(spark: SparkSession, f: fs.FileInfo, options: ReaderOptions) -> int:
    text = fs.head(spark, f.path, 65536).decode(options.encoding, errors="replace")
    for row in csv_rows(text, options, complete=True):
        return len(row)
    return 0


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
    return source_frame(
        text,
        src=F.when(wrong_width, F.lit(None).cast(ddl)).otherwise(parsed),
        raw=F.col("_raw"),
        source_file=F.col("_source_file"),
        parse_error=F.when(
            wrong_width & ~F.col("_skip"), F.lit(ErrorCode.PARSE_MALFORMED_CSV.value)
        ),
        block=F.col("_block"),
        row=F.col("_row"),
        skip=F.col("_skip"),
    )


class CsvReader(Reader):
    name = "csv"

    def discover(
        self,
        spark: SparkSession,
        files: list[FileInfo],
        options: ReaderOptions,
        header: list[str],
    ) -> SourceInfo:
        names = (
            header
            if options.header
            else [f"_c{i}" for i in range(_csv_width(spark, files[0], options))]
        )
        return SourceInfo(fields=list(names), header=list(names))

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
        if line_based("csv", options):
            return _csv_from_text(read_lines(spark, paths, positions), options, info)
        # multi-line or not UTF-8: Spark's own CSV reader, raw text rebuilt when valid
        internal = [f"_c{i}" for i in range(len(info.header))]
        read_schema = T.StructType(
            [T.StructField(c, T.StringType()) for c in internal]
            + [T.StructField("_corrupt_record", T.StringType())]
        )
        df = (
            spark.read.schema(read_schema)
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
        rebuilt = F.concat_ws(
            options.delimiter, *[F.coalesce(F.col(c), F.lit("")) for c in internal]
        )
        source = source_frame(
            df,
            src=F.struct(*[F.col(c) for c in internal]),
            raw=F.coalesce(F.col("_corrupt_record"), rebuilt),
            parse_error=F.when(bad, F.lit(ErrorCode.PARSE_MALFORMED_CSV.value)),
        )
        return only_positions(source, positions)

    def resolver(self, source: DataFrame, info: SourceInfo) -> Resolver:
        from pyspark.sql import functions as F
        from pyspark.sql import types as T

        header_index = {name: f"_c{i}" for i, name in enumerate(info.header)}

        def resolve(path: str) -> tuple[Column, T.DataType]:
            internal = header_index.get(path)
            if internal is None:
                return F.lit(None).cast("string"), T.StringType()
            return F.col("_src")[internal], T.StringType()

        return resolve
