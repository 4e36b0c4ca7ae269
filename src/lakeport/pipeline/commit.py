"""The commit: a batch's good rows land in its dataset in one Delta commit, idempotently.

A first attempt appends. A retry (the batch was ``processing`` or ``failed`` before) or a replay
(``--replace``) replaces the rows of its own batch id and of the replaced ones, in the same
commit, so a re-run never duplicates rows. Audience-partner traits are state: one MERGE. Event
datasets are deduplicated on ``_id`` (unless ``dedupe: false``): one MERGE inserts the events the
dataset does not hold yet, takes over the ones of the batch's own earlier attempt and of the
batches it replaces, and skips the others (counted as duplicates).

Example:
    >>> version = commit_rows(spark, lake, ds, good, "b1", [], ingested_at, retry=False)  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from lakeport.errors import BatchError, ErrorCode
from lakeport.lake.delta import (
    append_rows,
    delta_version,
    is_delta,
    is_schema_mismatch,
    sql_string,
    write_batch_rows,
)
from lakeport.lake.delta import retry as retry_conflicts
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
) -> Committed:
    """Write the good rows in one Delta commit; returns the new version (and, for deduplicated
    event datasets, how many rows were written).

    Raises:
        BatchError: BATCH_SCHEMA_MISMATCH when the schema YAML no longer fits the table.
    """
    if get_reader(ds.config.format).state_table:
        return Committed(merge_traits(spark, lake, ds, good, batch_id, replace, ingested_at))
    path = lake.dataset_path(ds.name)
    merge = ds.config.schema_evolution == "add_columns"
    if ds.dedupes_events:
        rows = conform(first_per_id(good), ds, batch_id, ingested_at)
    else:
        rows = conform(good, ds, batch_id, ingested_at)
    try:
        if ds.dedupes_events:
            if is_delta(spark, path):
                mine = [batch_id, *replace]
                written = merge_events(spark, path, rows, mine, retry=retry, evolve=merge)
            else:  # the first batch: only its own repeats are duplicates
                written = rows.count()
                append_rows(rows, path, merge_schema=merge)
            return Committed(delta_version(spark, path), written)
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
    return Committed(delta_version(spark, path))


@dataclass(frozen=True)
class Committed:
    """The dataset's version after the commit; ``written`` rows when events were deduplicated."""

    version: int | None
    written: int | None = None


def first_per_id(good: DataFrame) -> DataFrame:
    """One row per ``_id``: the first in file and line order (repeats within a batch)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    first = Window.partitionBy("_id").orderBy("_source_file", "_block", "_row")
    return good.withColumn("_n", F.row_number().over(first)).where("_n = 1").drop("_n")


def merge_events(
    spark: SparkSession,
    path: str,
    rows: DataFrame,
    mine: list[str],
    *,
    retry: bool,
    evolve: bool,
) -> int:
    """MERGE events on ``_id``: insert new ids, take over the rows of ``mine`` (this batch's earlier
    attempt, replaced batches), skip ids other batches hold; returns the rows written."""
    from delta.tables import DeltaTable

    owned = f"t._batch_id IN ({', '.join(sql_string(b) for b in mine)})"
    merge = (
        DeltaTable.forPath(spark, path)
        .alias("t")
        .merge(rows.alias("s"), "t._id = s._id")
        .whenMatchedUpdateAll(condition=owned)
        .whenNotMatchedInsertAll()
    )
    if retry or len(mine) > 1:  # rows of an earlier attempt or a replaced batch not sent again
        merge = merge.whenNotMatchedBySourceDelete(condition=owned)
    if evolve:
        merge = merge.withSchemaEvolution()
    out = retry_conflicts(merge.execute)
    first = out.first() if out is not None else None
    if first is None:
        return 0
    return int(first["num_inserted_rows"] or 0) + int(first["num_updated_rows"] or 0)
