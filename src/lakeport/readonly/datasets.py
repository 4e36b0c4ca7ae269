"""``datasets list`` and ``datasets preview`` without Spark.

``list_datasets`` gives what ``lake.datasets.list_datasets`` gives: per configured dataset the
exact live row count, the latest Delta version, the path, and the successful batch with the
latest ``completed_at`` (a tie there is :class:`Unavailable`: Spark's ``max_by`` would pick one
arbitrarily). ``preview`` orders by ingestion (``_ingested_at``, ``_source_file``) and then by the
row's own columns (:mod:`lakeport.readonly.order`); :func:`order_frame` applies the same order
to the Spark path's frame, so both paths print the same rows in the same order.

Example:
    >>> PREVIEW_ORDER
    ['_ingested_at', '_source_file']
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lakeport.errors import NotFoundError
from lakeport.lake.datasets import DatasetInfo
from lakeport.lake.layout import Lake
from lakeport.readonly.catalog import catalog_rows
from lakeport.readonly.order import keys, pick, spark_keys, spark_order
from lakeport.readonly.show import show
from lakeport.readonly.store import Store, Unavailable
from lakeport.readonly.tables import Frame, open_table

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from lakeport.config.model import Config

PREVIEW_ORDER = ["_ingested_at", "_source_file"]


def last_batches(store: Store, lake: Lake) -> dict[str, str]:
    """The successful batch with the latest ``completed_at``, per dataset."""
    best: dict[str, tuple[Any, str]] = {}
    tied: set[str] = set()
    for row in catalog_rows(store, lake):
        if row.get("status") != "success" or row.get("completed_at") is None:
            continue
        dataset, at = row["dataset"], row["completed_at"]
        if dataset in best and best[dataset][0] == at:
            tied.add(dataset)
        elif dataset not in best or at > best[dataset][0]:
            best[dataset] = (at, row["batch_id"])
            tied.discard(dataset)
    if tied:
        raise Unavailable(f"successful batches of {sorted(tied)} completed at the same time")
    return {d: b for d, (_, b) in best.items()}


def list_datasets(store: Store, cfg: Config) -> list[DatasetInfo]:
    """One entry per configured dataset, in config order."""
    lake = Lake(cfg.lake_root)
    last = last_batches(store, lake)
    out = []
    for name in cfg.datasets:
        path = lake.dataset_path(name)
        table = open_table(store, path)
        version = table.version if table is not None else None
        rows = table.count() if table is not None else 0
        out.append(DatasetInfo(name, rows, version, path, last.get(name)))
    return out


def _first_rows(store: Store, cfg: Config, name: str, limit: int) -> tuple[Frame, list[int]]:
    cfg.dataset(name)
    path = Lake(cfg.lake_root).dataset_path(name)
    table = open_table(store, path)
    if table is None:
        raise NotFoundError(f"dataset {name!r} has no data yet at {path}; ingest a batch first")
    if any(c not in table.fields for c in PREVIEW_ORDER):
        raise Unavailable(f"{path} has no {PREVIEW_ORDER} columns")
    frame = table.read()
    return frame, pick(frame, keys(table.fields, PREVIEW_ORDER), limit)


def preview(store: Store, cfg: Config, name: str, limit: int) -> list[dict[str, Any]]:
    """The first ``limit`` rows of a dataset, as ``Row.asDict(recursive=True)`` gives them.

    Raises:
        ConfigError: no such dataset is configured.
        NotFoundError: the dataset has no table yet.
    """
    frame, chosen = _first_rows(store, cfg, name, limit)
    return frame.rows(chosen)


def preview_text(store: Store, cfg: Config, name: str, limit: int, vertical: bool) -> str:
    """What ``df.show(limit, truncate=40, vertical=vertical)`` of the same rows prints."""
    frame, chosen = _first_rows(store, cfg, name, limit)
    rows = [{n: frame.columns[n][i] for n in frame.names} for i in chosen]
    return show(frame.names, frame.types, rows, truncate=40, vertical=vertical)


def order_frame(table: DataFrame, limit: int) -> DataFrame:
    """A Spark dataset frame in the preview order, first ``limit`` rows (the Spark path)."""
    return table.orderBy(*spark_order(spark_keys(table.schema, PREVIEW_ORDER))).limit(limit)
