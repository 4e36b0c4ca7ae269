"""Job: ingest the new files of a source, one batch per run, or continuously as a stream.

A source (``sources:`` in lakeport.yaml) is a landing location plus a glob, feeding one dataset.
``run`` ingests every file not seen before (by path, size and modification time) as one batch
through the batch pipeline (:mod:`lakeport.ingest_batch`). The order of its steps makes a crash at any
point harmless:

1. take the source's lease (``system/source_locks``; a second run exits with code 3);
2. finish what a crashed run left: a batch whose files were claimed but not marked is ingested
   again *with the same batch id*; the pipeline is idempotent on the batch id (a successful batch
   is returned as it is, a half-done one replaces its own rows), so nothing is duplicated;
3. list the location, keep the files not in ``system/source_files``;
4. **claim** them: one Delta commit that records the file set with a new batch id;
5. **ingest** them with that batch id;
6. **mark** them ``done`` (or ``failed`` with the batch's error code; a failed file is not
   retried until it changes). A Spark failure leaves the claim open: the next run replays it.

``stream`` runs the same steps under Structured Streaming: a ``binaryFile`` stream over the
location (only path, length and modification time are read; the content column is pruned), a
checkpoint in ``<lake>/system/checkpoints/<source>``, and ``foreachBatch`` running the batch
pipeline on each micro-batch's files with batch id ``<source>-e<epoch>``. Spark replays an epoch
whose commit did not reach the checkpoint with the same files and the same epoch id, so the
replay reuses the batch id and the pipeline makes it a no-op (no ``txnAppId`` is needed: the
batch id plays that role, through the pipeline's ``replaceWhere`` on ``_batch_id``).

Test hooks (tests only, never set them in production): ``LAKEPORT_TEST_CRASH_AT=<step>`` makes the
process ``os._exit(137)`` when it reaches ``<step>``; ``LAKEPORT_TEST_PAUSE_AT=<step>[:seconds]``
makes it sleep there (default an hour) after printing ``lakeport: test pause at <step>`` on
stderr. Steps: ``locked``, ``claimed``, ``ingested``, ``marked`` (``sources run``), and
``stream-claimed-e<N>``, ``stream-ingested-e<N>``, ``stream-marked-e<N>`` (epoch N of a stream).

Runs under spark-submit too::

    spark-submit --py-files dist/jobs.zip jobs/run_source.py --config conf/lakeport.yaml run landing

Example:
    >>> summary = run(spark, cfg, "landing")
    >>> summary["status"], [b["batch_id"] for b in summary["batches"]]
    ('ingested', ['landing-r20261123T120501123456Z'])
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import sys
import time
from typing import TYPE_CHECKING, Any

from lakeport import ingest_batch
from lakeport.config import Config, ReaderOptions, SourceConfig
from lakeport.errors import BatchError, ConfigError, LakeportError, UsageError
from lakeport.storage import fs
from lakeport.storage import lake as lk
from lakeport.storage import sources as st

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.streaming import StreamingQuery

log = logging.getLogger(__name__)

# A Spark failure under a batch is worth retrying with the same files; data failures are not.
RETRYABLE = ("BATCH_SPARK_FAILURE",)


def test_hook(step: str) -> None:
    """Crash or pause at ``step`` when a test asks for it (see the module docstring)."""
    if os.environ.get("LAKEPORT_TEST_CRASH_AT") == step:
        print(f"lakeport: test crash at {step}", file=sys.stderr, flush=True)
        os._exit(137)
    pause = os.environ.get("LAKEPORT_TEST_PAUSE_AT")
    if pause:
        name, _, seconds = pause.partition(":")
        if name == step:
            print(f"lakeport: test pause at {step}", file=sys.stderr, flush=True)
            time.sleep(float(seconds or 3600))


# --------------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------------


def source_config(cfg: Config, name: str) -> SourceConfig:
    """The source called ``name``; a ConfigError naming the configured ones otherwise."""
    if name not in cfg.sources:
        import difflib

        close = difflib.get_close_matches(name, list(cfg.sources), n=1, cutoff=0.6)
        hint = (
            f"; did you mean {close[0]!r}?"
            if close
            else f"; use one of: {', '.join(cfg.sources) or '(none configured: add sources: to lakeport.yaml)'}"
        )
        raise ConfigError([f"{cfg.path}: sources: no source named {name!r}{hint}"])
    return cfg.sources[name]


def effective(cfg: Config, src: SourceConfig) -> tuple[Config, dict[str, Any], dict[str, Any]]:
    """The config the pipeline sees for this source, and its reader-option and partial overrides.

    A source with its own format reads with that format (and default options of it); options
    given in the source override the dataset's one by one. Both are recorded in the batch row.
    """
    ds = cfg.dataset(src.dataset)
    if src.format is not None and src.format != ds.config.format:
        config = ds.config.model_copy(update={"format": src.format, "options": ReaderOptions()})
        cfg = dataclasses.replace(
            cfg, datasets={**cfg.datasets, ds.name: dataclasses.replace(ds, config=config)}
        )
    options = (
        {k: getattr(src.options, k) for k in src.options.model_fields_set} if src.options else {}
    )
    partial = src.partial_ingestion.model_dump() if src.partial_ingestion else {}
    return cfg, options, partial


def _pattern(src: SourceConfig) -> str:
    return f"{src.location.rstrip('/')}/{src.glob}"


def discover(spark: SparkSession, src: SourceConfig) -> list[fs.FileInfo]:
    """The files at the source's location that match its glob (none when nothing matches)."""
    try:
        return fs.list_files(spark, [_pattern(src)])
    except FileNotFoundError:
        return []


# --------------------------------------------------------------------------------------------
# One batch of claimed files
# --------------------------------------------------------------------------------------------


def _summary(spark: SparkSession, cfg: Config, batch_id: str, files: list[fs.FileInfo]) -> dict:
    try:
        out = lk.batch_summary(lk.get_batch(spark, lk.Lake(cfg.lake_root), batch_id))
    except LakeportError:
        out = {"batch_id": batch_id, "status": "failed"}
    out["files"] = [f.path for f in files]
    return out


def ingest_claimed(
    spark: SparkSession,
    cfg: Config,
    name: str,
    batch_id: str,
    files: list[fs.FileInfo],
    *,
    lease: st.Lease,
    hook_prefix: str = "",
    hook_suffix: str = "",
) -> dict[str, Any]:
    """Ingest claimed files with their batch id, then mark them ``done`` or ``failed``.

    Raises:
        BatchError: a Spark failure (the claim stays open and is replayed by the next run).
        SourceBusyError: the lease was lost meanwhile (nothing is marked).
    """
    src = source_config(cfg, name)
    lake = lk.Lake(cfg.lake_root)
    run_cfg, options, partial = effective(cfg, src)
    status, code = "done", None
    try:
        ingest_batch.ingest(
            spark,
            run_cfg,
            src.dataset,
            [f.path for f in files],
            batch_id=batch_id,
            options=options,
            partial=partial,
        )
    except BatchError as exc:
        if exc.code in RETRYABLE:
            raise
        status, code = "failed", exc.code
        log.error("source %s: batch %s failed [%s]: %s", name, batch_id, exc.code, exc.message)
    test_hook(f"{hook_prefix}ingested{hook_suffix}")
    lease.check()
    st.record(spark, lake, name, batch_id, files, status, code)
    test_hook(f"{hook_prefix}marked{hook_suffix}")
    return _summary(spark, cfg, batch_id, files)


def _recover(
    spark: SparkSession, cfg: Config, name: str, lease: st.Lease, known: dict | None = None
) -> list[dict]:
    if known is None:
        known = st.seen(spark, lk.Lake(cfg.lake_root), name)
    out = []
    for batch_id, files in st.unfinished(known):
        log.warning(
            "source %s: batch %s claimed %d file(s) and did not finish; finishing it",
            name,
            batch_id,
            len(files),
        )
        out.append(
            {**ingest_claimed(spark, cfg, name, batch_id, files, lease=lease), "recovered": True}
        )
    return out


def run(spark: SparkSession, cfg: Config, name: str) -> dict[str, Any]:
    """Ingest the source's new files as one batch (after finishing any batch a crash left).

    Returns:
        ``{"source", "dataset", "status": "ingested" | "no_new_files" | "failed", "batches": [...],
        "newFiles", "pendingFiles"}``; ``pendingFiles`` are new files beyond
        ``max_files_per_batch``, left for the next run.

    Raises:
        SourceBusyError: another run holds the source (exit code 3).
        BatchError: Spark failed under the batch (the next run replays it).
    """
    src = source_config(cfg, name)
    lake = lk.Lake(cfg.lake_root)
    cfg.dataset(src.dataset)
    lease = st.acquire(spark, lake, name, src.lock_timeout_seconds)
    try:
        test_hook("locked")
        known = st.seen(spark, lake, name)
        batches = _recover(spark, cfg, name, lease, known)
        new = [f for f in discover(spark, src) if (f.path, f.size, f.mtime) not in known]
        new.sort(key=lambda f: (f.mtime, f.path))
        take, pending = new[: src.max_files_per_batch], new[src.max_files_per_batch :]
        if take:
            batch_id = f"{name}-r{lk.utc_now():%Y%m%dT%H%M%S%fZ}"
            lease.check()
            st.record(spark, lake, name, batch_id, take, "claimed")
            log.info("source %s: claimed %d new file(s) as batch %s", name, len(take), batch_id)
            test_hook("claimed")
            batches.append(ingest_claimed(spark, cfg, name, batch_id, take, lease=lease))
    finally:
        lease.release()
    failed = any(b["status"] != "success" for b in batches)
    return {
        "source": name,
        "dataset": src.dataset,
        "status": "failed" if failed else ("ingested" if batches else "no_new_files"),
        "batches": batches,
        "newFiles": len(take),
        "pendingFiles": len(pending),
    }


# --------------------------------------------------------------------------------------------
# Streaming
# --------------------------------------------------------------------------------------------


def parse_trigger(text: str) -> str:
    """``5s`` / ``500ms`` / ``2m`` / ``1h`` (or Spark's ``5 seconds``) -> Spark's interval text."""
    units = {"ms": "milliseconds", "s": "seconds", "m": "minutes", "h": "hours"}
    match = re.fullmatch(r"\s*(\d+)\s*(ms|s|m|h)\s*", text)
    if match:
        return f"{match.group(1)} {units[match.group(2)]}"
    if re.fullmatch(r"\s*\d+\s+(milliseconds?|seconds?|minutes?|hours?)\s*", text):
        return text.strip()
    raise UsageError(f"--trigger {text!r}: write a number and a unit, such as 5s, 500ms, 2m or 1h")


@dataclasses.dataclass
class StreamRun:
    """A running source stream: its query, its lease, and the batches it has run so far."""

    query: StreamingQuery
    lease: st.Lease
    batches: list[dict[str, Any]]
    failure: list[BaseException]

    def stop(self) -> None:
        """Stop the query and release the source."""
        try:
            self.query.stop()
        finally:
            self.lease.release()

    def wait(self, timeout: float | None = None) -> None:
        """Block until the query ends (``--available-now``) or ``timeout`` seconds pass."""
        try:
            if timeout is None:
                self.query.awaitTermination()
            else:
                self.query.awaitTermination(int(timeout))
        except Exception as exc:
            if self.failure:
                raise self.failure[0] from exc
            raise BatchError(
                f"the stream failed: {fs.jvm_message(exc)}; start it again (the checkpoint "
                "replays the unfinished micro-batch)",
                code="BATCH_SPARK_FAILURE",
            ) from exc
        if self.failure:
            raise self.failure[0]


def start_stream(
    spark: SparkSession,
    cfg: Config,
    name: str,
    *,
    trigger: str = "10s",
    available_now: bool = False,
) -> StreamRun:
    """Start the source's stream (non-blocking); the caller waits on or stops the StreamRun.

    Example:
        >>> s = start_stream(spark, cfg, "landing", available_now=True)
        >>> s.wait(); s.stop()
    """
    from pyspark.sql import functions as F

    src = source_config(cfg, name)
    lake = lk.Lake(cfg.lake_root)
    cfg.dataset(src.dataset)
    interval = None if available_now else parse_trigger(trigger)
    lease = st.acquire(spark, lake, name, src.lock_timeout_seconds)
    batches: list[dict[str, Any]] = []
    failure: list[BaseException] = []
    try:
        test_hook("locked")
        batches.extend(_recover(spark, cfg, name, lease))
        files = (
            spark.readStream.format("binaryFile")
            .schema("path string, modificationTime timestamp, length long, content binary")
            .option("maxFilesPerTrigger", src.max_files_per_batch)
            # the default (7 days) would skip back-filled files older than the newest one
            .option("maxFileAge", "3650d")
            .load(_pattern(src))
            .select(
                "path",
                F.col("length").alias("size"),
                F.unix_millis("modificationTime").alias("mtime"),
            )
        )

        def each(df: DataFrame, epoch_id: int) -> None:
            try:
                out = _epoch(spark, cfg, name, lease, df, epoch_id)
                if out is not None:
                    batches.append(out)
            except BaseException as exc:
                failure.append(exc)
                raise

        writer = (
            files.writeStream.foreachBatch(each)
            .queryName(f"lakeport-source-{name}")
            .option("checkpointLocation", lake.system_path(f"checkpoints/{name}"))
        )
        writer = (
            writer.trigger(availableNow=True)
            if available_now
            else writer.trigger(processingTime=str(interval))
        )
        query = writer.start()
    except BaseException:
        lease.release()
        raise
    return StreamRun(query, lease, batches, failure)


def _epoch(
    spark: SparkSession, cfg: Config, name: str, lease: st.Lease, df: DataFrame, epoch_id: int
) -> dict[str, Any] | None:
    """One micro-batch: its files (a few rows of metadata) through the batch pipeline."""
    lake = lk.Lake(cfg.lake_root)
    batch_id = f"{name}-e{epoch_id}"
    listed = [
        fs.FileInfo(r["path"], int(r["size"]), int(r["mtime"])) for r in df.distinct().collect()
    ]
    if not listed:
        return None
    known = st.seen(spark, lake, name)
    # files that another batch (a 'sources run', an earlier epoch) already took are skipped;
    # a replayed epoch finds its own claim and goes on with it
    mine = [
        f
        for f in listed
        if known.get((f.path, f.size, f.mtime), {}).get("batch_id") in (None, batch_id)
    ]
    if not mine:
        log.info("source %s: epoch %d holds only files ingested before", name, epoch_id)
        return None
    unclaimed = [f for f in mine if (f.path, f.size, f.mtime) not in known]
    if unclaimed:
        lease.check()
        st.record(spark, lake, name, batch_id, unclaimed, "claimed")
    test_hook(f"stream-claimed-e{epoch_id}")
    done = [
        f
        for f in mine
        if known.get((f.path, f.size, f.mtime), {}).get("status") in ("done", "failed")
    ]
    if done and len(done) == len(mine):
        log.info(
            "source %s: epoch %d (batch %s) was finished before; nothing to do",
            name,
            epoch_id,
            batch_id,
        )
        return None
    mine.sort(key=lambda f: f.path)
    return ingest_claimed(
        spark,
        cfg,
        name,
        batch_id,
        mine,
        lease=lease,
        hook_prefix="stream-",
        hook_suffix=f"-e{epoch_id}",
    )


def stream(
    spark: SparkSession,
    cfg: Config,
    name: str,
    *,
    trigger: str = "10s",
    available_now: bool = False,
) -> dict[str, Any]:
    """Run the source's stream until it ends (``available_now``) or is interrupted.

    Returns:
        ``{"source", "dataset", "mode", "status", "batches": [...]}`` for the micro-batches this
        process ran.
    """
    run_ = start_stream(spark, cfg, name, trigger=trigger, available_now=available_now)
    try:
        run_.wait()
    finally:
        run_.stop()
    src = source_config(cfg, name)
    failed = any(b["status"] != "success" for b in run_.batches)
    return {
        "source": name,
        "dataset": src.dataset,
        "mode": "available-now" if available_now else f"trigger {parse_trigger(trigger)}",
        "status": "failed" if failed else ("ingested" if run_.batches else "no_new_files"),
        "batches": run_.batches,
    }


# --------------------------------------------------------------------------------------------
# Looking at sources
# --------------------------------------------------------------------------------------------


def _ts(value: Any) -> str | None:
    return f"{value:%Y-%m-%dT%H:%M:%S}Z" if value else None


def status(spark: SparkSession, cfg: Config, name: str) -> dict[str, Any]:
    """Every file the source has seen (with its batch and state), files waiting, and the lease.

    A file that was deleted after it was seen keeps its rows, with ``present: false``.
    """
    src = source_config(cfg, name)
    lake = lk.Lake(cfg.lake_root)
    listed = {(f.path, f.size, f.mtime) for f in discover(spark, src)}
    known = st.seen(spark, lake, name)
    files = [
        {
            "path": path,
            "size": size,
            "mtime": mtime,
            "status": row["status"],
            "batch_id": row["batch_id"],
            "error_code": row["error_code"],
            "recorded_at": _ts(row["recorded_at"]),
            "present": (path, size, mtime) in listed,
        }
        for (path, size, mtime), row in sorted(known.items(), key=lambda kv: (kv[1]["seq"], kv[0]))
    ]
    batch_ids = list(dict.fromkeys(f["batch_id"] for f in files))
    batches = []
    for batch_id in batch_ids:
        mine = [f for f in files if f["batch_id"] == batch_id]
        try:
            summary = lk.batch_summary(lk.get_batch(spark, lake, batch_id))
        except LakeportError:
            summary = {"batch_id": batch_id, "status": None}
        batches.append(
            {
                "batch_id": batch_id,
                "status": summary["status"],
                "files": len(mine),
                "recordedAt": max(f["recorded_at"] or "" for f in mine) or None,
                "metrics": summary.get("metrics"),
            }
        )
    lock = st.holder(spark, lake, name)
    counts: dict[str, int] = {}
    for f in files:
        counts[f["status"]] = counts.get(f["status"], 0) + 1
    return {
        "source": name,
        "dataset": src.dataset,
        "location": src.location,
        "glob": src.glob,
        "fileCounts": dict(sorted(counts.items())),
        "pendingFiles": len(listed - set(known)),
        "heldBy": (
            {"pid": lock["pid"], "host": lock["host"], "until": _ts(lock["expires_at"])}
            if lock
            else None
        ),
        "batches": batches,
        "files": files,
    }


def list_sources(spark: SparkSession, cfg: Config) -> list[dict[str, Any]]:
    """One line per configured source: where, into which dataset, its last batch and file counts."""
    from pyspark.sql import functions as F

    lake = lk.Lake(cfg.lake_root)
    df = lk.read_table(spark, lake.system_path("source_files"), st.SOURCE_FILES_DDL)
    stats = {
        r["source"]: r.asDict()
        for r in df.groupBy("source")
        .agg(
            F.max_by("batch_id", "seq").alias("last_batch"),
            F.max("recorded_at").alias("last_at"),
            F.count_distinct("path", "size", "mtime").alias("files"),
        )
        .collect()
    }
    out = []
    for name, src in cfg.sources.items():
        s = stats.get(name, {})
        out.append(
            {
                "source": name,
                "dataset": src.dataset,
                "location": src.location,
                "glob": src.glob,
                "format": src.format or cfg.dataset(src.dataset).config.format,
                "filesSeen": int(s.get("files") or 0),
                "lastBatch": s.get("last_batch"),
                "lastActivityAt": _ts(s.get("last_at")),
            }
        )
    return out


def main(argv: list[str] | None = None) -> int:
    """spark-submit entry point: ``jobs/run_source.py [--config F] [--lake L] run|stream|status NAME``."""
    from lakeport import cli

    return cli.main(["sources", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
