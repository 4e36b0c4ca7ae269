"""The dataset commit: a batch's good rows are written in the pass that counts them, then land in
one Delta commit, or not at all.

:func:`stage` writes the good rows as data files of a Delta transaction (nothing is visible yet);
:meth:`Staged.commit` makes them visible in one commit once the batch's threshold holds, and
:meth:`Staged.discard` abandons them (a failed batch leaves its dataset unchanged). Idempotency
is Delta's own: the commit records ``txnAppId = lakeport-batch-<id>`` (``txnVersion`` = the
attempt's claim), so a re-run sees that an earlier attempt committed and writes nothing again;
appends never conflict with each other. A replay (``--replace``) removes its predecessors' rows
in the same commit (``replaceWhere`` on their batch ids). Event datasets are deduplicated on
``_id`` in the same pass: the first row per ``_id`` in file and line order, and none whose
``_id`` another batch holds (the transaction reads the whole table, so a concurrent append of
the same events is a conflict, not a duplicate). Audience-partner traits are state: one MERGE.

Example:
    >>> staged = stage(spark, lake, ds, good, "b1", [], ingested_at, app=("lakeport-batch-b1", 7))  # doctest: +SKIP
    >>> staged.commit({"batch": "b1"}).version  # doctest: +SKIP
    0
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from lakeport.errors import BatchError, ErrorCode
from lakeport.lake.delta import is_schema_mismatch, sql_string
from lakeport.lake.layout import Lake
from lakeport.lake.tables import DATASET_TABLE_DEFAULTS
from lakeport.lake.txn import Txn
from lakeport.pipeline.traits import merge_traits
from lakeport.readers import get_reader
from lakeport.transforms.types import to_struct_type

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, Observation, SparkSession

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


def first_per_id(good: DataFrame) -> DataFrame:
    """One row per ``_id``: the first in file and line order (repeats within a batch)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    first = Window.partitionBy("_id").orderBy("_source_file", "_block", "_row")
    return good.withColumn("_n", F.row_number().over(first)).where("_n = 1").drop("_n")


def table_properties(ds: Dataset) -> dict[str, str]:
    """The Delta table properties a new dataset table gets: lakeport's defaults, then the
    dataset's own ``table_properties``."""
    given = {
        k: str(v).lower() if isinstance(v, bool) else str(v)
        for k, v in ds.config.table_properties.items()
    }
    return {**DATASET_TABLE_DEFAULTS, **given}


@dataclass(frozen=True)
class Committed:
    """The dataset's version after the commit; ``written`` rows when events were deduplicated."""

    version: int | None
    written: int | None = None


class Staged:
    """A batch's good rows, written but not visible: commit them once, or discard them."""

    def __init__(
        self,
        ds: Dataset,
        batch_id: str,
        txn: Txn | None = None,
        written: Observation | None = None,
        merge: Any = None,
    ) -> None:
        self._ds, self._batch_id = ds, batch_id
        self._txn, self._written, self._merge = txn, written, merge

    def commit(self, metadata: dict[str, Any]) -> Committed:
        """One Delta commit (raises Delta's conflict exceptions when another writer won)."""
        if self._merge is not None:
            good = self._merge[1]
            try:
                return Committed(self._merge[0]())
            finally:
                good.unpersist()
        assert self._txn is not None
        written = None
        if self._written is not None:
            written = int(self._written.get["written"])
            metadata = {**metadata, "written": written}
        return Committed(self._txn.commit(metadata), written)

    def discard(self) -> None:
        if self._merge is not None:
            self._merge[1].unpersist()
        elif self._txn is not None:
            self._txn.discard()


def stage(
    spark: SparkSession,
    lake: Lake,
    ds: Dataset,
    good: DataFrame,
    batch_id: str,
    replace: list[str],
    ingested_at: datetime,
    *,
    app: tuple[str, int],
) -> Staged:
    """Write the good rows as data files of a Delta transaction: the batch's one pass.

    Raises:
        BatchError: BATCH_SCHEMA_MISMATCH when the schema YAML no longer fits the table.
    """
    from pyspark import StorageLevel
    from pyspark.sql import Observation
    from pyspark.sql import functions as F

    if get_reader(ds.config.format).state_table:
        # traits are MERGEd into state, which commits by itself: the pass fills a cache first
        good = good.persist(StorageLevel.MEMORY_AND_DISK)
        good.write.format("noop").mode("overwrite").save()

        def merge() -> int | None:
            return merge_traits(spark, lake, ds, good, batch_id, replace, ingested_at)

        return Staged(ds, batch_id, merge=(merge, good))
    path = lake.dataset_path(ds.name)
    txn = Txn(spark, path)
    mine = [batch_id, *replace]
    rows = conform(first_per_id(good) if ds.dedupes_events else good, ds, batch_id, ingested_at)
    written = None
    if ds.dedupes_events:
        if txn.read_version >= 0:
            txn.read_everything()
            held = (
                spark.read.format("delta")
                .option("versionAsOf", txn.read_version)
                .load(path)
                .where(~F.col("_batch_id").isin(mine))
                .select(F.col("_id").alias("_held"))
            )
            rows = rows.join(held, rows["_id"] == held["_held"], "left_anti")
        written = Observation()
        rows = rows.observe(written, F.count(F.lit(1)).alias("written"))
    predicate = f"_batch_id IN ({', '.join(sql_string(b) for b in mine)})" if replace else None
    try:
        txn.write(
            rows,
            replace_where=predicate,
            merge_schema=ds.config.schema_evolution == "add_columns",
            app=app,
            properties=table_properties(ds),
        )
    except Exception as exc:
        txn.discard()
        if is_schema_mismatch(exc):
            raise BatchError(
                f"dataset {ds.name}: the schema in {ds.schema_file} no longer matches the Delta "
                f"table at {path}; set schema_evolution: add_columns for the dataset to add new "
                "fields",
                code=ErrorCode.BATCH_SCHEMA_MISMATCH,
                batch_id=batch_id,
            ) from exc
        raise
    return Staged(ds, batch_id, txn=txn, written=written)
