"""Audience-partner traits are state, not a log: a batch is applied with one Delta MERGE.

A ``format: aam`` dataset holds one row per (data source, target data source, user, trait).
The batch's files are applied in order of (epoch, N, file name); within a file, line by line and
left to right:

- ``.sync``: each trait is added or updated (a ``key=value`` holds one value per key and user;
  a later value replaces an earlier one); ``d_unsid=<id>`` removes trait id ``<id>`` (whether it
  came as a bare id or as ``d_sid``).
- ``.overwrite``: for every user present in the file, the traits from before the file are dropped
  and the file's traits (all its lines for that user) are the user's traits; ``d_unsid`` is
  ignored in overwrite files, as on the platform.

Example:
    >>> merge_traits(spark, lake, ds, frame.where("size(_errors) = 0"), batch_id, [], now)  # doctest: +SKIP
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from lakeport.lake.delta import append_rows, delta_version, is_delta, retry, sql_string
from lakeport.lake.layout import Lake
from lakeport.spec.traits import TRAIT_KEY, USER_KEY
from lakeport.transforms.types import to_struct_type

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

    from lakeport.config.model import Dataset


def batch_changes(good: DataFrame, current: DataFrame | None) -> DataFrame:
    """The batch's net effect on the traits table: one row per trait key, ``_op`` upsert or delete.

    ``good`` holds the batch's good lines (:func:`parse_lines`); ``current`` the table as it is
    (None when it does not exist yet), read only for the users an overwrite file resets.
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    ops = good.select(
        *USER_KEY,
        "file_at",
        "_source_file",
        "_mode",
        "_epoch",
        "_split",
        "_block",
        "_row",
        F.posexplode("_traits").alias("_pos", "_t"),
    )
    file_pos = F.struct("_epoch", "_split", "_source_file")
    # the user's last overwrite file in the batch: what came before it does not count
    ops = ops.withColumn(
        "_reset",
        F.max(F.when(F.col("_mode") == "overwrite", file_pos)).over(Window.partitionBy(*USER_KEY)),
    )
    live = ops.where(F.col("_reset").isNull() | (file_pos >= F.col("_reset")))
    kind = F.col("_t.kind")
    live = live.where(~((F.col("_mode") == "overwrite") & (kind == "unsid")))
    live = live.select(
        "*",
        F.explode(
            F.when(kind == "unsid", F.array(F.lit("id"), F.lit("sid"))).otherwise(F.array(kind))
        ).alias("trait_type"),
        F.col("_t.key").alias("trait_key"),
    )
    latest = Window.partitionBy(*TRAIT_KEY).orderBy(
        *[F.col(c).desc() for c in ("_epoch", "_split", "_source_file", "_block", "_row", "_pos")]
    )
    winners = (
        live.withColumn("_n", F.row_number().over(latest))
        .where(F.col("_n") == 1)
        .select(
            *TRAIT_KEY,
            F.col("_t.value").alias("trait_value"),
            "file_at",
            "_source_file",
            F.when(kind == "unsid", F.lit("delete")).otherwise(F.lit("upsert")).alias("_op"),
        )
    )
    if current is None:
        return winners
    reset_users = ops.where(F.col("_reset").isNotNull()).select(*USER_KEY).distinct()
    dropped = (
        current.join(reset_users, on=USER_KEY, how="inner")
        .join(winners.select(*TRAIT_KEY), on=TRAIT_KEY, how="left_anti")
        .select(
            *TRAIT_KEY,
            F.lit(None).cast("string").alias("trait_value"),
            F.lit(None).cast("timestamp").alias("file_at"),
            F.lit(None).cast("string").alias("_source_file"),
            F.lit("delete").alias("_op"),
        )
    )
    return winners.unionByName(dropped)


def merge_traits(
    spark: SparkSession,
    lake: Lake,
    ds: Dataset,
    good: DataFrame,
    batch_id: str,
    replace: list[str],
    ingested_at: datetime,
) -> int | None:
    """Apply a batch's good lines to the traits table in one Delta commit; returns its version.

    Idempotent: rows this batch already wrote are not rewritten, so a re-run of the same batch
    leaves the table as it is. ``replace`` (a replay) also deletes the rows that the named
    batches wrote last and that this batch does not set.
    """
    from delta.tables import DeltaTable
    from pyspark.sql import functions as F

    path = lake.dataset_path(ds.name)
    exists = is_delta(spark, path)
    # only an overwrite file needs the current table in the source (a sync batch never scans it)
    resets = exists and good.where(F.col("_mode") == "overwrite").limit(1).count() > 0
    current = spark.read.format("delta").load(path) if resets else None
    changes = batch_changes(good, current)
    target = to_struct_type(ds.schema_spec)
    rows = changes.select(
        *[F.col(f.name).cast(f.dataType).alias(f.name) for f in target.fields],
        F.lit(batch_id).alias("_batch_id"),
        F.lit(ingested_at).cast("timestamp").alias("_ingested_at"),
        F.col("_source_file"),
        F.col("_op"),
    )
    if not exists:
        append_rows(rows.where(F.col("_op") == "upsert").drop("_op"), path)
        return delta_version(spark, path)
    columns = [*target.names, "_batch_id", "_ingested_at", "_source_file"]
    values: dict[str, str | Column] = {c: F.col(f"s.{c}") for c in columns}
    on = " AND ".join(f"t.{c} = s.{c}" for c in TRAIT_KEY)

    def run() -> None:
        merge = (
            DeltaTable.forPath(spark, path)
            .alias("t")
            .merge(rows.alias("s"), on)
            .whenMatchedDelete(condition="s._op = 'delete'")
            .whenMatchedUpdate(
                condition=f"s._op = 'upsert' AND t._batch_id <> {sql_string(batch_id)}",
                set=values,
            )
            .whenNotMatchedInsert(condition="s._op = 'upsert'", values=values)
        )
        if replace:
            listed = ", ".join(sql_string(b) for b in replace)
            merge = merge.whenNotMatchedBySourceDelete(condition=f"t._batch_id IN ({listed})")
        merge.execute()

    retry(run)
    return delta_version(spark, path)
