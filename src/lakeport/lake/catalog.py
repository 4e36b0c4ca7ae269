"""The batch catalog, ``<root>/system/batches/``: append-only status transitions of batches.

The latest row per batch id (highest ``seq``) is the batch's state; blind appends never conflict
between writers, so concurrent batches never block each other on the catalog.

Example:
    >>> record_batch(spark, lake, BatchRecord("b1", "loyalty", "loading", created_at=utc_now()))  # doctest: +SKIP
    >>> get_batch(spark, lake, "b1").status  # doctest: +SKIP
    'loading'
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from lakeport.errors import NotFoundError
from lakeport.lake.clock import utc_now
from lakeport.lake.delta import append_rows, read_table
from lakeport.lake.layout import Lake
from lakeport.lake.records import BatchRecord
from lakeport.lake.tables import BATCHES_DDL, struct_schema
from lakeport.spec.names import check_batch_id

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


def record_batch(spark: SparkSession, lake: Lake, record: BatchRecord) -> BatchRecord:
    """Append one status transition of a batch; returns it with its ``seq`` and ``updated_at``."""
    stamped = record.evolve(seq=time.time_ns(), updated_at=utc_now())
    schema = struct_schema(BATCHES_DDL)
    row = stamped.to_row()
    df = spark.createDataFrame([tuple(row.get(n) for n in schema.names)], schema)
    # merge_schema: a catalog written by an older lakeport gains the newer columns
    append_rows(df, lake.system_path("batches"), merge_schema=True)
    return stamped


def batches(spark: SparkSession, lake: Lake) -> DataFrame:
    """The latest state of every batch (one row per batch id)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    df = read_table(spark, lake.system_path("batches"), BATCHES_DDL)
    latest = Window.partitionBy("batch_id").orderBy(F.col("seq").desc())
    return df.withColumn("_n", F.row_number().over(latest)).where("_n = 1").drop("_n")


def find_batch(spark: SparkSession, lake: Lake, batch_id: str) -> BatchRecord | None:
    """The latest state of one batch, or None when the catalog has no such batch.

    Raises:
        InvalidNameError: ``batch_id`` is not a valid batch id.
    """
    from pyspark.sql import functions as F

    check_batch_id(batch_id)
    df = read_table(spark, lake.system_path("batches"), BATCHES_DDL)
    row = df.where(F.col("batch_id") == batch_id).orderBy(F.col("seq").desc()).first()
    return BatchRecord.from_row(row.asDict(recursive=True)) if row is not None else None


def get_batch(spark: SparkSession, lake: Lake, batch_id: str) -> BatchRecord:
    """The latest state of one batch.

    Raises:
        NotFoundError: when the catalog has no such batch.
    """
    record = find_batch(spark, lake, batch_id)
    if record is None:
        raise NotFoundError(
            f"no batch {batch_id!r} in {lake.system_path('batches')}; "
            "list batches with 'lakeport batch list'"
        )
    return record


def list_batches(spark: SparkSession, lake: Lake, dataset: str | None = None) -> list[BatchRecord]:
    """Every batch's latest state, oldest first (optionally of one dataset)."""
    df = batches(spark, lake)
    if dataset:
        df = df.where(df.dataset == dataset)
    return [
        BatchRecord.from_row(r.asDict(recursive=True)) for r in df.orderBy("created_at").collect()
    ]
