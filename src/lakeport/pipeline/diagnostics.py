"""The error table, ``<root>/system/errors``: failed records and warnings, with file and line.

Example:
    >>> batch_errors(spark, lake, "b1", code="REQUIRED_MISSING").count()  # doctest: +SKIP
    3
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from lakeport.lake.delta import append_rows, read_table, write_batch_rows
from lakeport.lake.layout import Lake
from lakeport.lake.tables import ERRORS_DDL, SYSTEM_TABLE_DEFAULTS
from lakeport.pipeline.observe import is_flagged
from lakeport.spec.names import check_batch_id

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

SEVERITIES = ("error", "warning", "identity")


def write_errors(
    lake: Lake,
    lines: DataFrame,
    records: DataFrame,
    dataset: str,
    batch_id: str,
    recorded_at: datetime,
    *,
    replace: bool = True,
) -> None:
    """Failed records (and warnings of landed ones) to ``system/errors``, with line numbers.

    ``lines`` is the batch's validated frame (it still holds the blank and header lines, so that
    they are counted; only its position columns are read here) and ``records`` the same frame
    built for the flagged records alone (:meth:`lakeport.pipeline.frame.MappedBatch.frame` with
    the positions the batch's pass observed): only those lines are parsed, mapped and validated
    again. A line number is the lines of the file's earlier splits plus the line's place in its
    own split; the per-split counts come from the text alone (one small aggregation).
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    flagged = records.where(is_flagged())
    failed = F.size("_errors") > 0
    line_based = lines.where(F.col("_block").isNotNull())
    blocks = line_based.groupBy("_source_file", "_block").agg(
        F.count(F.lit(1)).alias("_n"), F.min("_row").alias("_first")
    )
    earlier = (
        Window.partitionBy("_source_file")
        .orderBy("_block")
        .rowsBetween(Window.unboundedPreceding, -1)
    )
    blocks = blocks.withColumn("_before", F.coalesce(F.sum("_n").over(earlier), F.lit(0)))
    # one row per file split: broadcast, so the flagged rows are not shuffled to meet it
    positioned = flagged.join(F.broadcast(blocks), on=["_source_file", "_block"], how="left")
    # _row is a monotonically increasing id: consecutive within a split. Parquet's _row is its row index.
    line = F.when(
        F.col("_block").isNotNull(), F.col("_before") + F.col("_row") - F.col("_first") + 1
    ).otherwise(F.col("_row") + 1)
    out = positioned.select(
        F.lit(batch_id).alias("batch_id"),
        F.lit(dataset).alias("dataset"),
        F.when(failed, F.lit("error")).otherwise(F.lit("warning")).alias("severity"),
        F.when(failed, F.col("_errors")).otherwise(F.col("_warnings")).alias("errors"),
        F.col("_raw").alias("raw"),
        F.col("_source_file").alias("source_file"),
        line.cast("long").alias("line"),
        F.lit(recorded_at).cast("timestamp").alias("recorded_at"),
    )
    if replace:
        write_batch_rows(out, lake.system_path("errors"), [batch_id], id_column="batch_id")
    else:
        append_rows(out, lake.system_path("errors"), properties=SYSTEM_TABLE_DEFAULTS)


def batch_errors(
    spark: SparkSession,
    lake: Lake,
    batch_id: str,
    *,
    code: str | None = None,
    severity: str | None = "error",
) -> DataFrame:
    """The failed records of a batch, ordered by file and line; optionally one code or severity.

    ``severity``: ``error`` (failed records), ``warning`` (landed records with warnings),
    ``identity`` (profile-build drops), or None for all of them.
    """
    from pyspark.sql import functions as F

    check_batch_id(batch_id)
    df = read_table(spark, lake.system_path("errors"), ERRORS_DDL).where(
        F.col("batch_id") == batch_id
    )
    if severity:
        df = df.where(F.col("severity") == severity)
    if code:
        df = df.where(F.exists("errors", lambda e: e["code"] == code))
    return df.orderBy("source_file", "line")
