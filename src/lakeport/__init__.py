"""lakeport: customer-data ingestion on Apache Spark and Delta Lake.

One import for notebooks and orchestrators::

    from lakeport import Lakeport
    lp = Lakeport.open("conf/lakeport.yaml", lake="./lake")
    r = lp.ingest("purchases", ["sample-data/purchases.jsonl"], batch_id="b1")   # BatchResult

``Lakeport`` is imported on first use, so ``lakeport validate`` and other commands that need no
Spark do not load PySpark.
"""

from __future__ import annotations

from importlib import metadata
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lakeport.api import Lakeport

try:
    __version__ = metadata.version("lakeport")
except metadata.PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+source"

__all__ = ["Lakeport", "__version__"]


def __getattr__(name: str) -> Any:
    if name == "Lakeport":
        from lakeport.api import Lakeport

        return Lakeport
    raise AttributeError(f"module 'lakeport' has no attribute {name!r}")
