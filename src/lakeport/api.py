"""The ``Lakeport`` facade: one object for notebooks, orchestrators and the CLI.

``(spark, Config)`` in, typed results out; no logic of its own: every method calls one function
of the layer that owns it (pipeline, profiles, exports, sources, report).

Example:
    >>> from lakeport import Lakeport
    >>> lp = Lakeport.open("conf/lakeport.yaml", lake="./lake")   # starts or adopts Spark  # doctest: +SKIP
    >>> r = lp.ingest("purchases", ["sample-data/purchases.jsonl"], batch_id="b1")  # doctest: +SKIP
    >>> r.status, r.metrics.input_records, r.metrics.failed_records  # doctest: +SKIP
    ('success', 1000, 12)
    >>> lp.errors("b1").count()  # doctest: +SKIP
    12
    >>> lp.build_profiles().policies["timestamp_ordered"]["mode"]  # doctest: +SKIP
    'full'
    >>> lp.profile("loyaltyId", "L0000042").attributes["person"]["firstName"]  # doctest: +SKIP
    'Danny'
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lakeport import exports, inlet, pipeline, profiles, sample, sources
from lakeport.config import Config, load_config, validate_tree
from lakeport.errors import NotFoundError, UsageError
from lakeport.lake import catalog, datasets, maintenance
from lakeport.lake.layout import open_lake
from lakeport.lake.records import BatchResult
from lakeport.lake.txn import check_delta
from lakeport.report import write_report
from lakeport.session import adopt, get_spark

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from lakeport.exports import ExportResult
    from lakeport.lake.datasets import DatasetInfo
    from lakeport.lake.maintenance import Maintenance
    from lakeport.profiles import Profile, ProfileBuild


class Lakeport:
    """lakeport on one Spark session and one configuration.

    ``Lakeport(spark, config)`` is the injectable constructor (a test or a platform passes its
    own session); :meth:`open` loads the config and starts or adopts Spark. A lake root that is
    ``/`` or a directory of other files is refused (``UsageError``, ``LAKE_ROOT_REFUSED``) unless
    ``force=True`` or ``$LAKEPORT_LAKE_FORCE=1``.
    """

    def __init__(self, spark: SparkSession, config: Config, *, force: bool = False) -> None:
        self.lake = open_lake(config.lake_root, force=force)
        self.spark = adopt(spark)
        check_delta(self.spark)  # the batch commit is built on one Delta version's internals
        self.config = config

    @classmethod
    def open(
        cls,
        config: str | os.PathLike[str] | None = None,
        *,
        lake: str | None = None,
        spark: SparkSession | None = None,
        force: bool = False,
    ) -> Lakeport:
        """Load ``config`` (default ``$LAKEPORT_CONFIG`` or ``conf/lakeport.yaml``) on ``lake``.

        Raises:
            ConfigError: the config, a schema or a mapping is invalid (one line per problem).
            UsageError: the lake root is refused (before Spark starts; ``force=True`` allows it).
            SetupError: Java, the Delta jars or Spark are not ready, or the Delta jar is not
                the supported version (4.4.0).

        Example:
            >>> lp = Lakeport.open("conf/lakeport.yaml", lake="/tmp/lake")  # doctest: +SKIP
        """
        cfg = load_config(config, lake_root=lake)
        open_lake(cfg.lake_root, force=force)  # refused before Spark starts
        return cls(spark if spark is not None else get_spark(cfg), cfg, force=force)

    @staticmethod
    def validate(config: str | os.PathLike[str] | None = None) -> list[str]:
        """Every problem of the config and the YAML beside it, one line each (no Spark)."""
        return validate_tree(config)

    @staticmethod
    def sample_data(out: str | Path, *, seed: int = 7, scale: int = 1) -> dict[str, Any]:
        """Write the fictional Luma sample feeds into ``out`` (see :mod:`lakeport.sample`)."""
        return sample.generate(out, seed=seed, scale=scale)

    # ---------------------------------------------------------------------------------- batches

    def ingest(
        self,
        dataset: str,
        files: Sequence[str],
        *,
        batch_id: str | None = None,
        replace: Sequence[str] = (),
        options: dict[str, Any] | None = None,
        partial: dict[str, Any] | None = None,
    ) -> BatchResult:
        """Create, fill and complete a batch in one step (re-running a batch id never duplicates).

        Raises:
            BatchError: the batch failed; the dataset is unchanged (``batch(id)`` says why).
        """
        record = pipeline.ingest(
            self.spark,
            self.config,
            dataset,
            list(files),
            batch_id=batch_id,
            replace=list(replace),
            options=options,
            partial=partial,
        )
        return BatchResult.of(record)

    def create_batch(
        self,
        dataset: str,
        *,
        batch_id: str | None = None,
        input_format: str | None = None,
        replace: Sequence[str] = (),
        partial: dict[str, Any] | None = None,
    ) -> BatchResult:
        """Open a batch (status ``loading``); upload files into it, then complete it."""
        record = pipeline.create_batch(
            self.spark,
            self.config,
            dataset,
            batch_id=batch_id,
            input_format=input_format,
            replace=list(replace),
            partial=partial,
        )
        return BatchResult.of(record)

    def upload(self, batch_id: str, files: Sequence[str]) -> BatchResult:
        """Copy files into an open batch."""
        return BatchResult.of(pipeline.upload(self.spark, self.config, batch_id, list(files)))

    def complete(self, batch_id: str) -> BatchResult:
        """Process an open batch (safe to retry)."""
        return BatchResult.of(pipeline.complete(self.spark, self.config, batch_id))

    def abort(self, batch_id: str) -> BatchResult:
        """Abort an open batch; its staged files are deleted."""
        return BatchResult.of(pipeline.abort(self.spark, self.config, batch_id))

    def batch(self, batch_id: str) -> BatchResult:
        """A batch's status, metrics and error summary.

        Raises:
            NotFoundError: no such batch.
        """
        return BatchResult.of(catalog.get_batch(self.spark, self.lake, batch_id))

    def batches(self, dataset: str | None = None) -> list[BatchResult]:
        """Every batch (optionally of one dataset), oldest first."""
        return [BatchResult.of(r) for r in catalog.list_batches(self.spark, self.lake, dataset)]

    def errors(
        self, batch_id: str, *, code: str | None = None, severity: str | None = "error"
    ) -> DataFrame:
        """The failed records of a batch (``severity="warning"`` for warnings, None for all).

        Raises:
            NotFoundError: no such batch.
        """
        catalog.get_batch(self.spark, self.lake, batch_id)
        return pipeline.batch_errors(self.spark, self.lake, batch_id, code=code, severity=severity)

    # --------------------------------------------------------------------------------- datasets

    def datasets(self) -> list[DatasetInfo]:
        """Every configured dataset: rows, Delta version, path, last batch."""
        return datasets.list_datasets(self.spark, self.config)

    def table(self, name: str) -> DataFrame:
        """A dataset as a DataFrame (system columns included).

        Raises:
            NotFoundError: the dataset has no table yet.
        """
        return datasets.preview(self.spark, self.config, name, limit=None)

    def preview(self, name: str, limit: int = 10) -> DataFrame:
        """The first rows of a dataset, in ingestion order."""
        return datasets.preview(self.spark, self.config, name, limit)

    # --------------------------------------------------------------------------------- profiles

    def build_profiles(self, policy: str | None = None, *, full: bool = False) -> ProfileBuild:
        """Update the identity graph and the profiles of one policy (or every policy)."""
        return profiles.build(self.spark, self.config, policy, force_full=full)

    def lookup(
        self,
        namespace: str,
        value: str,
        policy: str | None = None,
        *,
        events: bool = False,
        events_limit: int = 100,
    ) -> Profile:
        """The merged profile holding identity ``namespace:value``.

        Raises:
            NotFoundError: no profiles were built for the policy, or none holds the identity
                (the message says which).
            UsageError: the namespace is not declared by any schema.
        """
        return profiles.lookup(
            self.spark,
            self.config,
            namespace,
            value,
            policy,
            events=events,
            events_limit=events_limit,
        )

    def profile(
        self,
        namespace: str,
        value: str,
        policy: str | None = None,
        *,
        events: bool = False,
        events_limit: int = 100,
    ) -> Profile | None:
        """The merged profile holding identity ``namespace:value``, or None when none holds it."""
        try:
            return self.lookup(namespace, value, policy, events=events, events_limit=events_limit)
        except NotFoundError:
            return None

    # ---------------------------------------------------------------------------------- exports

    def export_snapshot(
        self, policy: str, target: str, format: str = "parquet", **options: Any
    ) -> ExportResult:
        """Export a policy's profiles at one Delta version (see :mod:`lakeport.exports`)."""
        return exports.export_snapshot(self.spark, self.config, policy, target, format, **options)

    def export_dataset(
        self, name: str, target: str, format: str = "parquet", **options: Any
    ) -> ExportResult:
        """Export a dataset at one Delta version."""
        return exports.export_dataset(self.spark, self.config, name, target, format, **options)

    # ---------------------------------------------------------------------------------- sources

    def run_source(self, name: str) -> sources.SourceRun:
        """Ingest a source's new files as one batch."""
        return sources.run(self.spark, self.config, name)

    def stream_source(
        self,
        name: str,
        *,
        trigger: str = "10s",
        available_now: bool = False,
        profiles: bool = False,
        compact_every: int = maintenance.STREAM_EVERY,
    ) -> sources.SourceStream:
        """Run a source as a stream until it ends (``available_now=True``) or is interrupted;
        ``profiles=True`` updates the identity graph and profiles from each micro-batch, and
        every ``compact_every`` micro-batches (0: never) the lake's small files are compacted."""
        return sources.stream(
            self.spark,
            self.config,
            name,
            trigger=trigger,
            available_now=available_now,
            profiles=profiles,
            compact_every=compact_every,
        )

    @staticmethod
    def serve_inlet(
        config: Config, *, host: str = "127.0.0.1", port: int = 8080
    ) -> inlet.InletSummary:
        """Serve the HTTP streaming inlet until SIGTERM / SIGINT (no Spark unless a request
        asks for ``syncValidation``); see :mod:`lakeport.inlet`."""
        return inlet.serve(config, host=host, port=port)

    def source_status(self, name: str) -> sources.SourceStatus:
        """Every file a source has seen, files waiting, and who holds it."""
        return sources.status(self.spark, self.config, name)

    def sources(self) -> list[sources.SourceSummary]:
        """One entry per configured source."""
        return sources.list_sources(self.spark, self.config)

    # ----------------------------------------------------------------------------------- report

    def report(self, out: str, *, top: int = 10) -> dict[str, Any]:
        """Write the self-contained HTML report to the local file ``out``; returns its numbers."""
        return write_report(self.spark, self.config, out, top=top)

    # ------------------------------------------------------------------------------ maintenance

    def maintain(
        self, *, min_files: int = maintenance.MIN_FILES, datasets: bool = False
    ) -> Maintenance:
        """Compact (Delta OPTIMIZE) the lake's system and profile tables, and with ``datasets``
        every dataset, that hold ``min_files`` data files or more; rows stay as they were.

        Raises:
            UsageError: ``min_files`` below 2.
        """
        if min_files < 2:
            raise UsageError(f"min_files {min_files}: give a number of files of at least 2")
        tables = maintenance.lake_tables(self.config, datasets=datasets)
        return maintenance.maintain(self.spark, tables, min_files=min_files)
