"""Parquet input: the files' own types are kept; conversion takes them from there."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lakeport.readers.base import Reader, SourceInfo, leaf_paths_of_type, source_frame
from lakeport.readers.files import only_positions

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from lakeport.config.plan import MappingPlan
    from lakeport.lake.fs import FileInfo
    from lakeport.spec.schema import SchemaSpec
    from lakeport.spec.settings import ReaderOptions


class ParquetReader(Reader):
    name = "parquet"

    def discover(
        self,
        spark: SparkSession,
        files: list[FileInfo],
        options: ReaderOptions,
        header: list[str],
    ) -> SourceInfo:
        schema = spark.read.parquet(*[f.path for f in files]).schema
        return SourceInfo(fields=leaf_paths_of_type(schema), parquet_schema=schema)

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

        df = spark.read.parquet(*[f.path for f in files])
        cols = [F.col(f"`{c}`") for c in df.columns]
        source = source_frame(
            df,
            src=F.struct(*cols),
            raw=F.to_json(F.struct(*cols)),
            row=F.col("_metadata.row_index"),
        )
        return only_positions(source, positions)
