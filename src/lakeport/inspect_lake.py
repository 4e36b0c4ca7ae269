"""Looking at the lake as a user checks an ingestion: datasets with their size, version, last batch.

Example:
    >>> list_datasets(spark, cfg)[0]["rows"]
    1000
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lakeport.errors import NotFoundError
from lakeport.storage import lake as lk

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from lakeport.config import Config


def list_datasets(spark: SparkSession, cfg: Config) -> list[dict[str, Any]]:
    """One entry per configured dataset: name, rows, Delta version, path, last successful batch."""
    from pyspark.sql import functions as F

    lake = lk.Lake(cfg.lake_root)
    done = lk.batches(spark, lake).where(F.col("status") == "success")
    last = {
        r["dataset"]: r["batch_id"]
        for r in done.groupBy("dataset")
        .agg(F.max_by("batch_id", "completed_at").alias("batch_id"))
        .collect()
    }
    out = []
    for name in cfg.datasets:
        path = lake.dataset_path(name)
        version = lk.delta_version(spark, path)
        rows = spark.read.format("delta").load(path).count() if version is not None else 0
        out.append(
            {
                "name": name,
                "rows": rows,
                "version": version,
                "path": path,
                "lastBatch": last.get(name),
            }
        )
    return out


def preview(spark: SparkSession, cfg: Config, name: str, limit: int = 10) -> DataFrame:
    """The first ``limit`` rows of a dataset (ordered by ingestion for a stable view)."""
    cfg.dataset(name)
    path = lk.Lake(cfg.lake_root).dataset_path(name)
    if not lk.is_delta(spark, path):
        raise NotFoundError(f"dataset {name!r} has no data yet at {path}; ingest a batch first")
    return (
        spark.read.format("delta").load(path).orderBy("_ingested_at", "_source_file").limit(limit)
    )
