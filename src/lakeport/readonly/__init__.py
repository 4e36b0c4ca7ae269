"""Fast reads of the lake without a JVM: the read-only commands answered with delta-rs.

``batch status``, ``batch list``, ``batch errors``, ``datasets list``, ``datasets preview``,
``sources status`` and ``profiles get`` start no Spark when :class:`ReadOnlyLake` can serve them:
it reads the same Delta tables with delta-rs (the ``deltalake`` package) and returns
the same typed results as the Spark path (:class:`~lakeport.lake.records.BatchResult`,
:class:`~lakeport.lake.datasets.DatasetInfo`, :class:`~lakeport.profiles.Profile`,
:class:`~lakeport.sources.SourceStatus`, error and preview rows as ``Row.asDict`` gives them),
so the CLI prints the same bytes. Spark stays the only writer. Modules: ``store`` (local and S3
paths, listing as Hadoop lists), ``tables`` (which tables delta-rs may read; rows as Spark
collects them), ``order`` (the preview order and tie checks), ``catalog`` (batches, errors),
``datasets``, ``profiles``, ``sources``, ``sparkjson`` (Spark's ``to_json``), ``show`` (Spark's
``show()``).

It raises :class:`Unavailable` instead of answering whenever it could be wrong: ``deltalake`` is
not installed, a table needs a reader feature other than deletion vectors or uses column mapping,
the lake is neither local nor ``s3a://``, delta-rs or the object store fails, a table would have
to be read whole into Python past ``tables.MAX_ROWS`` rows, or rows tie where Spark's choice
would be arbitrary. The CLI then takes the Spark path. Answers that are errors
(no such batch, unknown namespace) are the Spark path's errors, raised the same way.
``LAKEPORT_READONLY=off`` turns it off (every command then starts Spark).

Example:
    >>> from lakeport.config import load_config
    >>> lake = ReadOnlyLake(load_config("conf/lakeport.yaml", lake_root="/tmp/lake"))  # doctest: +SKIP
    >>> lake.batch("demo-purchases").metrics.failed_records  # doctest: +SKIP
    12
    >>> enabled({"LAKEPORT_READONLY": "off"})
    False
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from lakeport.lake.layout import Lake
from lakeport.lake.records import BatchResult
from lakeport.readonly import catalog, datasets
from lakeport.readonly.datasets import order_frame
from lakeport.readonly.store import Store, Unavailable

if TYPE_CHECKING:
    from lakeport.config.model import Config
    from lakeport.lake.datasets import DatasetInfo
    from lakeport.profiles.results import Profile
    from lakeport.sources.results import SourceStatus

__all__ = ["ReadOnlyLake", "Unavailable", "enabled", "order_frame"]

T = TypeVar("T")
OFF = ("off", "0", "false", "no", "spark")


def enabled(environ: Mapping[str, str] | None = None) -> bool:
    """False when ``LAKEPORT_READONLY`` is ``off`` (or 0, false, no, spark): always use Spark."""
    value = (environ if environ is not None else os.environ).get("LAKEPORT_READONLY", "")
    return value.strip().lower() not in OFF


class ReadOnlyLake:
    """The read-only commands on one configuration, without Spark.

    Every method returns what the matching :class:`lakeport.Lakeport` method returns (or the
    rows the CLI prints), raises the same LakeportError for the same answer, or raises
    :class:`Unavailable` when only Spark can answer.
    """

    def __init__(self, config: Config) -> None:
        self.config = config
        self.lake = Lake(config.lake_root)
        self._store: Store | None = None

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store.of(self.config.lake_root, dict(self.config.spark.conf))
        return self._store

    def _run(self, action: Callable[[], T]) -> T:
        """Run one read; any failure that is not an answer becomes Unavailable."""
        from lakeport.errors import LakeportError

        try:
            return action()
        except (Unavailable, LakeportError):
            raise
        except Exception as exc:  # delta-rs, arro3, the object store: Spark answers instead
            raise Unavailable(f"{type(exc).__name__}: {exc}") from exc

    def batch(self, batch_id: str) -> BatchResult:
        """A batch's status, metrics and error summary (NotFoundError: no such batch)."""
        return self._run(lambda: BatchResult.of(catalog.get_batch(self.store, self.lake, batch_id)))

    def batches(self, dataset: str | None = None) -> list[BatchResult]:
        """Every batch (optionally of one dataset), oldest first."""
        return self._run(
            lambda: [
                BatchResult.of(r) for r in catalog.list_batches(self.store, self.lake, dataset)
            ]
        )

    def errors(
        self,
        batch_id: str,
        *,
        code: str | None = None,
        severity: str | None = "error",
        limit: int = 1000,
    ) -> list[dict[str, Any]]:
        """The first ``limit`` error rows of a batch by file and line, as dicts."""
        if limit < 0:
            raise Unavailable("a negative limit (Spark reports it)")
        return self._run(
            lambda: catalog.batch_errors(
                self.store, self.lake, batch_id, code=code, severity=severity, limit=limit
            )
        )

    def datasets(self) -> list[DatasetInfo]:
        """Every configured dataset: rows, Delta version, path, last batch."""
        return self._run(lambda: datasets.list_datasets(self.store, self.config))

    def preview(self, name: str, limit: int = 10) -> list[dict[str, Any]]:
        """The first rows of a dataset in the preview order, as dicts."""
        if limit < 0:
            raise Unavailable("a negative limit (Spark reports it)")
        return self._run(lambda: datasets.preview(self.store, self.config, name, limit))

    def preview_text(self, name: str, limit: int = 10, *, vertical: bool = False) -> str:
        """The table ``datasets preview`` prints (Spark's ``show(limit, 40, vertical)``)."""
        if limit < 0:
            raise Unavailable("a negative limit (Spark reports it)")
        return self._run(
            lambda: datasets.preview_text(self.store, self.config, name, limit, vertical)
        )

    def lookup(
        self,
        namespace: str,
        value: str,
        policy: str | None = None,
        *,
        events: bool = False,
        events_limit: int = 100,
    ) -> Profile:
        """The merged profile holding identity ``namespace:value``."""
        if events and events_limit < 0:
            raise Unavailable("a negative limit (Spark reports it)")
        from lakeport.readonly import profiles  # imports lakeport.profiles (and pyspark's Python)

        return self._run(
            lambda: profiles.lookup(
                self.store,
                self.config,
                namespace,
                value,
                policy,
                events=events,
                events_limit=events_limit,
            )
        )

    def source_status(self, name: str) -> SourceStatus:
        """Every file a source has seen, files waiting, and who holds it."""

        from lakeport.readonly import sources

        def status() -> SourceStatus:
            src = sources.source_config(self.config, name)
            listing = Store.of(src.location, dict(self.config.spark.conf))
            return sources.status(self.store, listing, self.config, name)

        return self._run(status)
