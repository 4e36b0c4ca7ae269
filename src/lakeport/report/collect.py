"""The ingestion report: one self-contained HTML page with charts of what the lake holds.

:func:`collect` runs a handful of aggregations (only small results reach the driver: counts per
day and status, per dataset, per error code, per graph size); :func:`render` turns them into a
page that works offline: no CDN, no external file. The numbers are embedded as JSON and drawn as
inline SVG by a small inline script; every chart also has its numbers in a table underneath.

Charts: batches over time by status, records landed vs failed per dataset, top error codes,
rows per dataset, profiles per merge policy, and the identity-graph size histogram (read from
``<lake>/identity_graph``; "no profiles built yet" when there is none).

Example:
    >>> data = collect(spark, cfg)  # doctest: +SKIP
    >>> Path("report.html").write_text(render(data))      # lakeport.report.render  # doctest: +SKIP
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from lakeport.lake import fs
from lakeport.lake.catalog import batches
from lakeport.lake.clock import from_spark, iso, utc_now
from lakeport.lake.datasets import list_datasets
from lakeport.lake.delta import is_delta
from lakeport.lake.layout import Lake

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from lakeport.config import Config

STATUSES = ("success", "failed", "replaced", "aborted", "processing", "loading")
# graph sizes 1..10 get a bar each; larger graphs are grouped
SIZE_BUCKETS = ((11, 20), (21, 50), (51, 100), (101, None))


def _time_unit(first: datetime | None, last: datetime | None) -> str:
    """Bucket width for "batches over time": fine for a short history, coarse for a long one."""
    if first is None or last is None:
        return "day"
    span = last - first
    if span <= timedelta(days=2):
        return "hour"
    if span <= timedelta(days=120):
        return "day"
    if span <= timedelta(days=3 * 365):
        return "week"
    return "month"


def _bucket_label(start: datetime, unit: str) -> str:
    if unit == "hour":
        return start.strftime("%Y-%m-%d %H:00")
    if unit == "month":
        return start.strftime("%Y-%m")
    return start.strftime("%Y-%m-%d")


def _batches(spark: SparkSession, lake: Lake, top: int) -> dict[str, Any]:
    from pyspark.sql import functions as F

    b = batches(spark, lake).cache()
    try:
        span = b.agg(F.min("created_at"), F.max("created_at"), F.count(F.lit(1))).first()
        first, last, total = (span[0], span[1], int(span[2])) if span else (None, None, 0)
        unit = _time_unit(first, last)
        over_time = [
            {
                "start": iso(r["t"]),
                "label": _bucket_label(from_spark(r["t"]), unit),
                "status": r["status"],
                "batches": int(r["n"]),
            }
            for r in b.groupBy(F.date_trunc(unit, "created_at").alias("t"), "status")
            .agg(F.count(F.lit(1)).alias("n"))
            .orderBy("t", "status")
            .collect()
        ]
        per_dataset = [
            {
                "dataset": r["dataset"],
                "batches": int(r["batches"]),
                "landed": int(r["landed"] or 0),
                "failed": int(r["failed"] or 0),
                "warnings": int(r["warnings"] or 0),
            }
            for r in b.groupBy("dataset")
            .agg(
                F.count(F.lit(1)).alias("batches"),
                F.sum(F.when(F.col("status") == "success", F.col("output_record_count"))).alias(
                    "landed"
                ),
                F.sum("failed_record_count").alias("failed"),
                F.sum("warning_record_count").alias("warnings"),
            )
            .orderBy("dataset")
            .collect()
        ]
        error_codes = [
            {"code": r["key"], "records": int(r["n"])}
            for r in b.select(F.explode("error_summary"))
            .groupBy("key")
            .agg(F.sum("value").alias("n"))
            .orderBy(F.col("n").desc(), "key")
            .limit(top)
            .collect()
        ]
        batch_failures = [
            {"code": r["error_code"], "batches": int(r["n"])}
            for r in b.where(F.col("status") == "failed")
            .groupBy("error_code")
            .agg(F.count(F.lit(1)).alias("n"))
            .orderBy(F.col("n").desc(), "error_code")
            .limit(top)
            .collect()
        ]
        by_status = {
            r["status"]: int(r["n"])
            for r in b.groupBy("status").agg(F.count(F.lit(1)).alias("n")).collect()
        }
    finally:
        b.unpersist()
    return {
        "total": total,
        "byStatus": by_status,
        "timeUnit": unit,
        "overTime": over_time,
        "perDataset": per_dataset,
        "errorCodes": error_codes,
        "batchFailures": batch_failures,
    }


def _policies(spark: SparkSession, lake: Lake) -> list[str]:
    """The merge policies that have a profile table under ``<lake>/profiles/``."""
    names = fs.subdirectories(spark, lake.profiles_root())
    return sorted(n for n in names if is_delta(spark, lake.profiles_path(n)))


def _size_bucket(size_col: Any) -> Any:
    from pyspark.sql import functions as F

    expr = F.when(size_col <= 10, size_col.cast("string"))
    for low, high in SIZE_BUCKETS:
        label = f"{low}-{high}" if high else f">{low - 1}"
        expr = expr.when(size_col <= high, F.lit(label)) if high else expr.otherwise(F.lit(label))
    return expr


def _bucket_order(label: str) -> int:
    return int(label.lstrip(">").split("-")[0])


def _profiles(spark: SparkSession, lake: Lake) -> dict[str, Any]:
    from pyspark.sql import functions as F

    per_policy = [
        {"policy": p, "profiles": spark.read.format("delta").load(lake.profiles_path(p)).count()}
        for p in _policies(spark, lake)
    ]
    graph_path = lake.graph_path()
    if not is_delta(spark, graph_path):
        return {
            "built": False,
            "perPolicy": per_policy,
            "graphSizes": [],
            "identities": 0,
            "graphs": 0,
        }
    ig: DataFrame = spark.read.format("delta").load(graph_path)
    graphs = ig.groupBy("profile_id").agg(F.max("graph_size").alias("size"))
    totals = graphs.agg(F.count(F.lit(1)), F.sum("size")).first()
    sizes = sorted(
        (
            {"size": r["bucket"], "profiles": int(r["n"])}
            for r in graphs.groupBy(_size_bucket(F.col("size")).alias("bucket"))
            .agg(F.count(F.lit(1)).alias("n"))
            .collect()
        ),
        key=lambda d: _bucket_order(d["size"]),
    )
    return {
        "built": True,
        "perPolicy": per_policy,
        "graphSizes": sizes,
        "graphs": int(totals[0]) if totals else 0,
        "identities": int(totals[1] or 0) if totals else 0,
    }


def collect(spark: SparkSession, cfg: Config, *, top: int = 10) -> dict[str, Any]:
    """The report's numbers: small aggregates only, as plain JSON-able values.

    Args:
        top: how many error codes to list.

    Returns:
        ``{"lake", "generatedAt", "batches": {...}, "datasets": [...], "profiles": {...}}``.
    """
    datasets = [
        {
            "dataset": d.name,
            "rows": d.rows,
            "version": d.version,
            "lastBatch": d.last_batch,
        }
        for d in list_datasets(spark, cfg)
    ]
    return {
        "lake": cfg.lake_root,
        "generatedAt": iso(utc_now().replace(microsecond=0)),
        "batches": _batches(spark, Lake(cfg.lake_root), top),
        "datasets": datasets,
        "profiles": _profiles(spark, Lake(cfg.lake_root)),
    }
