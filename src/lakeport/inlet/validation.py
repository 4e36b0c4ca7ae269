"""``?syncValidation=true``: the request's records through the pipeline's own read -> map ->
validate, before anything lands.

The lines that would land are written to a scratch file and read by
:func:`lakeport.pipeline.frame.validated_frame`, exactly as a micro-batch reads its files (the
dataset's reader, options, mapping, conversions and rules), on a local SparkSession started on
the first request that asks for it. Only the flagged rows of that one-partition frame are
collected, so the codes and messages are the pipeline's own; there is no second implementation
of the rules in Python.

Example:
    >>> errors, warnings = Validator(cfg).check("people", lines)  # doctest: +SKIP
    >>> errors  # doctest: +SKIP
    [{'index': 1, 'errors': [{'code': 'CONVERSION_INVALID_NUMBER', 'field': 'age', 'message': ...}]}]
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lakeport.inlet.envelope import parse_tag
from lakeport.lake.fs import FileInfo
from lakeport.pipeline.frame import validated_frame
from lakeport.sources.discovery import effective, source_config

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from lakeport.config import Config

log = logging.getLogger(__name__)

Findings = list[dict[str, Any]]


def _problems(items: Any) -> list[dict[str, Any]]:
    return [{"code": e["code"], "field": e["field"], "message": e["message"]} for e in items or []]


class Validator:
    """Runs the pipeline's validation on a request's lines (one SparkSession, started lazily)."""

    def __init__(self, cfg: Config, spark: SparkSession | None = None) -> None:
        self.cfg = cfg
        self._spark = spark
        self._lock = threading.Lock()
        self._scratch: Path | None = None

    def spark(self) -> SparkSession:
        """The session, started on first use (the first sync request waits for the JVM)."""
        with self._lock:
            if self._spark is None:
                from lakeport.session import get_spark

                log.info("inlet: starting Spark for synchronous validation")
                self._spark = get_spark(self.cfg)
                self._scratch = Path(tempfile.mkdtemp(prefix="lakeport-inlet-"))
            return self._spark

    def check(self, dataset: str, lines: bytes) -> tuple[Findings, Findings]:
        """Validate ``lines`` (the request's landing lines) as the dataset's stream would.

        Returns:
            ``(errors, warnings)``: one ``{"index", "errors"|"warnings": [{code, field,
            message}]}`` per flagged record, by index (0-based, the record's place in the
            request); empty when every record is good.

        Raises:
            BatchError: a batch-level problem of the lines (not expected for inlet lines).
        """
        from pyspark.sql import functions as F

        spark = self.spark()
        src = source_config(self.cfg, self.cfg.inlet.datasets[dataset].source)
        run_cfg, overrides, _ = effective(self.cfg, src)
        ds = run_cfg.dataset(dataset)
        options = ds.config.options.model_copy(update=overrides) if overrides else ds.config.options
        if self._scratch is None:
            self._scratch = Path(tempfile.mkdtemp(prefix="lakeport-inlet-"))
        path = self._scratch / f"validate-{secrets.token_hex(8)}.jsonl"
        path.write_bytes(lines)
        try:
            stat = path.stat()
            files = [FileInfo(path.as_uri(), stat.st_size, int(stat.st_mtime * 1000))]
            frame, _ = validated_frame(spark, ds, files, options, None)
            flagged = (
                frame.where(~F.col("_skip") & ((F.size("_errors") > 0) | (F.size("_warnings") > 0)))
                .select("_raw", "_errors", "_warnings")
                .collect()
            )
        finally:
            path.unlink(missing_ok=True)
        errors: Findings = []
        warnings: Findings = []
        for row in flagged:
            tag = parse_tag((row["_raw"] or "").encode("utf-8"))
            index = tag[1] if tag is not None else -1
            if row["_errors"]:
                errors.append({"index": index, "errors": _problems(row["_errors"])})
            elif row["_warnings"]:
                warnings.append({"index": index, "warnings": _problems(row["_warnings"])})
        return sorted(errors, key=lambda e: e["index"]), sorted(warnings, key=lambda e: e["index"])

    def close(self) -> None:
        """Remove the scratch directory (the session stays: it may be an adopted one)."""
        if self._scratch is not None and os.path.isdir(self._scratch):
            shutil.rmtree(self._scratch, ignore_errors=True)
