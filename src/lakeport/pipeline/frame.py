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
        source,
        plan,
        ds.schema_spec,
        resolve,
        ds.mapping.timezone,
        keep=POSITION_COLUMNS,
        on_invalid=ds.config.on_invalid,
    )
    code = F.col("_parse_error")
    parse_error = F.array(
        F.struct(
            code.alias("code"),
            F.lit(None).cast("string").alias("field"),
            F.when(
                code == ErrorCode.PARSE_MALFORMED_JSON.value,
                F.lit("the line is not a JSON object"),
            )
            .when(
                code == ErrorCode.ENCODING_INVALID_UTF8.value,
                F.lit("the line holds bytes that are not UTF-8; they landed as U+FFFD"),
            )
            .otherwise(F.lit("the row does not have as many fields as the header"))
            .alias("message"),
        )
    )
    empty = F.array().cast(ERROR_STRUCT)
    # bytes that are not UTF-8 still make a record: a warning, or an error if the dataset says so
    not_utf8 = code == ErrorCode.ENCODING_INVALID_UTF8.value
    broken = code.isNotNull() & ~not_utf8
    errors = F.when(broken, parse_error).otherwise(F.col("_errors"))
    warnings = F.when(broken, empty).otherwise(F.col("_warnings"))
    if options.encoding_errors == "fail":
        errors = F.when(not_utf8, F.concat(parse_error, errors)).otherwise(errors)
    else:
        warnings = F.when(not_utf8, F.concat(parse_error, warnings)).otherwise(warnings)
    mapped = mapped.withColumn("_errors", errors).withColumn("_warnings", warnings)
    return mapped.drop("_parse_error"), plan.summary()
