"""Looking at the lake as a user checks an ingestion: datasets with their size, version, last batch.

Example:
    >>> list_datasets(spark, cfg)[0].rows  # doctest: +SKIP
    1000
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lakeport.errors import NotFoundError
from lakeport.lake.catalog import batches
from lakeport.lake.delta import delta_version, is_delta
from lakeport.lake.layout import Lake

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from lakeport.config.model import Config


@dataclass(frozen=True)
class DatasetInfo:
    """One dataset: rows, Delta version, path, the last successful batch."""

    name: str
    rows: int
    version: int | None
    path: str
    last_batch: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "rows": self.rows,
            "version": self.version,
            "path": self.path,
            "lastBatch": self.last_batch,
        }


def list_datasets(spark: SparkSession, cfg: Config) -> list[DatasetInfo]:
    """One entry per configured dataset, in config order."""
    from pyspark.sql import functions as F

    lake = Lake(cfg.lake_root)
    done = batches(spark, lake).where(F.col("status") == "success")
    last = {
        r["dataset"]: r["batch_id"]
        for r in done.groupBy("dataset")
        .agg(F.max_by("batch_id", "completed_at").alias("batch_id"))
        .collect()
    }
    out = []
    for name in cfg.datasets:
        path = lake.dataset_path(name)
        version = delta_version(spark, path)
        rows = spark.read.format("delta").load(path).count() if version is not None else 0
        out.append(DatasetInfo(name, rows, version, path, last.get(name)))
    return out


def preview(spark: SparkSession, cfg: Config, name: str, limit: int | None = 10) -> DataFrame:
    """The first ``limit`` rows of a dataset, ordered by ingestion (every row when None).

    Raises:
        ConfigError: no such dataset is configured.
        NotFoundError: the dataset has no table yet.
    """
    cfg.dataset(name)
    path = Lake(cfg.lake_root).dataset_path(name)
    if not is_delta(spark, path):
        raise NotFoundError(f"dataset {name!r} has no data yet at {path}; ingest a batch first")
    table = spark.read.format("delta").load(path)
    if limit is None:
        return table
    return table.orderBy("_ingested_at", "_source_file").limit(limit)
