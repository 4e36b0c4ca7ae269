"""The commit: a batch's good rows land in its dataset in one Delta commit, idempotently.

A first attempt appends. A retry (the batch was ``processing`` or ``failed`` before) or a replay
(``--replace``) replaces the rows of its own batch id and of the replaced ones, in the same
commit, so a re-run never duplicates rows. Audience-partner traits are state: one MERGE.

Example:
    >>> version = commit_rows(spark, lake, ds, good, "b1", [], ingested_at, retry=False)  # doctest: +SKIP
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from lakeport.errors import BatchError, ErrorCode
from lakeport.lake.delta import append_rows, delta_version, is_schema_mismatch, write_batch_rows
from lakeport.lake.layout import Lake
from lakeport.pipeline.traits import merge_traits
from lakeport.readers import get_reader
from lakeport.transforms.types import to_struct_type

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from lakeport.config.model import Dataset


def conform(good: DataFrame, ds: Dataset, batch_id: str, ingested_at: datetime) -> DataFrame:
    """One select that conforms the rows to the dataset: names, types, order, system columns."""
    from pyspark.sql import functions as F

    target = to_struct_type(ds.schema_spec)
    return good.select(
        *[F.col(f.name).cast(f.dataType).alias(f.name) for f in target.fields],
        F.lit(batch_id).alias("_batch_id"),
        F.lit(ingested_at).cast("timestamp").alias("_ingested_at"),
        F.col("_source_file"),
    )


def commit_rows(
    spark: SparkSession,
    lake: Lake,
    ds: Dataset,
    good: DataFrame,
    batch_id: str,
    replace: list[str],
    ingested_at: datetime,
    *,
    retry: bool = True,
) -> int | None:
    """Write the good rows in one Delta commit; returns the dataset's new version.

    Raises:
        BatchError: BATCH_SCHEMA_MISMATCH when the schema YAML no longer fits the table.
    """
    if get_reader(ds.config.format).state_table:
        return merge_traits(spark, lake, ds, good, batch_id, replace, ingested_at)
    rows = conform(good, ds, batch_id, ingested_at)
    path = lake.dataset_path(ds.name)
    merge = ds.config.schema_evolution == "add_columns"
    try:
        if retry or replace:
            write_batch_rows(rows, path, [batch_id, *replace], merge_schema=merge)
        else:
            append_rows(rows, path, merge_schema=merge)
    except Exception as exc:
        if is_schema_mismatch(exc):
            raise BatchError(
                f"dataset {ds.name}: the schema in {ds.schema_file} no longer matches the Delta "
                f"table at {path}; set schema_evolution: add_columns for the dataset to add new "
                "fields",
                code=ErrorCode.BATCH_SCHEMA_MISMATCH,
                batch_id=batch_id,
            ) from exc
        raise
    return delta_version(spark, path)
