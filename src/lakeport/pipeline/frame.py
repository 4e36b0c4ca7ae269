"""Read -> map: a batch's files as one frame of target columns, ``_errors`` and ``_warnings``.

Example:
    >>> frame, report = validated_frame(spark, ds, files, options, "b1")  # doctest: +SKIP
    >>> report["unmappedSourceFields"]  # doctest: +SKIP
    []
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lakeport.config.plan import resolve_mapping
from lakeport.errors import ErrorCode
from lakeport.lake.tables import ERROR_STRUCT
from lakeport.pipeline.mapping import apply_mapping
from lakeport.readers import get_reader

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from lakeport.config.model import Dataset
    from lakeport.lake.fs import FileInfo
    from lakeport.spec.settings import ReaderOptions

POSITION_COLUMNS = ["_raw", "_source_file", "_parse_error", "_block", "_row", "_skip"]


def validated_frame(
    spark: SparkSession,
    ds: Dataset,
    files: list[FileInfo],
    options: ReaderOptions,
    batch_id: str | None = None,
) -> tuple[DataFrame, dict[str, Any]]:
    """The batch as one frame: target columns, ``_errors``, ``_warnings`` and the position columns.

    Pure up to the read: no action runs except the small header/sample reads on the driver.
    Returns the frame and the mapping report (auto-mapped, unmapped fields).

    Raises:
        BatchError: a batch-level problem of the files (empty, unreadable, bad header, ...).
    """
    from pyspark.sql import functions as F

    reader = get_reader(ds.config.format)
    fixed = reader.validated(spark, files, batch_id)
    if fixed is not None:  # a fixed-shape format: nothing to map
        return fixed, {}
    header = reader.check(spark, files, options, batch_id)
    info = reader.discover(spark, files, options, header)
    plan = resolve_mapping(ds.mapping, ds.schema_spec, info.fields, ds.entries)
    source = reader.read(spark, files, options, plan, ds.schema_spec, info)
    resolve = reader.resolver(source, info)
    mapped = apply_mapping(
        source, plan, ds.schema_spec, resolve, ds.mapping.timezone, keep=POSITION_COLUMNS
    )
    parse_error = F.array(
        F.struct(
            F.col("_parse_error").alias("code"),
            F.lit(None).cast("string").alias("field"),
            F.when(
                F.col("_parse_error") == ErrorCode.PARSE_MALFORMED_JSON.value,
                F.lit("the line is not a JSON object"),
            )
            .otherwise(F.lit("the row does not have as many fields as the header"))
            .alias("message"),
        )
    )
    empty = F.array().cast(ERROR_STRUCT)
    mapped = mapped.withColumn(
        "_errors",
        F.when(F.col("_parse_error").isNotNull(), parse_error).otherwise(F.col("_errors")),
    )
    mapped = mapped.withColumn(
        "_warnings", F.when(F.col("_parse_error").isNotNull(), empty).otherwise(F.col("_warnings"))
    )
    return mapped.drop("_parse_error"), plan.summary()
