"""The batch lifecycle: ``create`` -> ``upload`` -> ``complete`` (or ``abort``), and ``ingest``.

Statuses (SEMANTICS.md, "Batches"): ``loading`` (open, files being added) -> ``processing`` ->
``success`` | ``failed``, or ``loading`` -> ``aborted``. ``ingest`` is all three in one call and
reads the files where they are. ``complete`` is safe to retry: a batch that already succeeded is
returned as it is, and every write replaces its own batch id.

Example:
    >>> b = create_batch(spark, cfg, "loyalty")  # doctest: +SKIP
    >>> upload(spark, cfg, b.batch_id, ["loyalty.jsonl"])  # doctest: +SKIP
    >>> complete(spark, cfg, b.batch_id).status  # doctest: +SKIP
    'success'
"""

from __future__ import annotations

import json
import logging
import secrets
from typing import TYPE_CHECKING, Any

from lakeport.errors import BatchError, BatchStateError, ErrorCode, UsageError
from lakeport.lake import fs
from lakeport.lake.catalog import find_batch, get_batch, record_batch
from lakeport.lake.clock import stamp, utc_now
from lakeport.lake.delta import java_classes
from lakeport.lake.events import Event, emit, missing
from lakeport.lake.layout import Lake
from lakeport.lake.records import BatchRecord
from lakeport.pipeline.process import fail, process
from lakeport.spec.names import check_batch_id

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from lakeport.config.model import Config

log = logging.getLogger(__name__)

_PERMISSION_CLASSES = (
    "java.nio.file.AccessDeniedException",
    "org.apache.hadoop.security.AccessControlException",
)


def new_batch_id() -> str:
    """A sortable, unique batch id such as ``b20261123T120501Z-3f9a1c``."""
    return f"b{stamp(utc_now())}-{secrets.token_hex(3)}"


def _settings(options: dict[str, Any] | None, partial: dict[str, Any] | None) -> str:
    return json.dumps({"options": options or {}, "partial": partial or {}})


def create_batch(
    spark: SparkSession,
    cfg: Config,
    dataset: str,
    *,
    batch_id: str | None = None,
    input_format: str | None = None,
    replace: list[str] | None = None,
    options: dict[str, Any] | None = None,
    partial: dict[str, Any] | None = None,
) -> BatchRecord:
    """Open a batch (status ``loading``) for ``dataset``; files are uploaded into it next.

    Raises:
        InvalidNameError: a batch id that is not allowed (``../datasets``).
        BatchStateError: the id exists already.
        UsageError: the format is not the dataset's.
    """
    batch_id = check_batch_id(batch_id) if batch_id is not None else new_batch_id()
    replaced = tuple(check_batch_id(b) for b in replace or [])
    ds = cfg.dataset(dataset)
    lake = Lake(cfg.lake_root)
    fmt = input_format or ds.config.format
    if fmt != ds.config.format:
        raise UsageError(
            f"dataset {dataset!r} takes format {ds.config.format!r}, not {fmt!r}; "
            "change 'format' in lakeport.yaml or convert the files"
        )
    existing = find_batch(spark, lake, batch_id)
    if existing is not None:
        raise BatchStateError(
            f"batch {batch_id} already exists (status {existing.status}); choose another id"
        )
    record = BatchRecord(
        batch_id=batch_id,
        dataset=dataset,
        status="loading",
        input_format=fmt,
        replace=replaced,
        created_at=utc_now(),
        options=_settings(options, partial),
    )
    return record_batch(spark, lake, record)


def upload(spark: SparkSession, cfg: Config, batch_id: str, files: list[str]) -> BatchRecord:
    """Copy files into an open batch's staging area.

    Raises:
        BatchStateError: the batch is not ``loading``.
        BatchError: a file does not exist or is not a regular file.
    """
    check_batch_id(batch_id)
    lake = Lake(cfg.lake_root)
    record = get_batch(spark, lake, batch_id)
    if record.status != "loading":
        raise BatchStateError(
            f"batch {batch_id} is {record.status}; files can only be uploaded into a "
            "loading batch. Create a new batch."
        )
    allow_links = cfg.dataset(record.dataset).config.allow_links
    found = list_inputs(spark, files, batch_id, allow_links=allow_links)
    staged = list(record.files)
    for f in found:
        name = f.path.rstrip("/").split("/")[-1]
        target = f"{lake.staging_path(batch_id)}/{name}"
        fs.copy(spark, f.path, target)
        staged.append(fs.qualify(spark, target))
    return record_batch(spark, lake, record.evolve(files=tuple(dict.fromkeys(staged))))


def abort(spark: SparkSession, cfg: Config, batch_id: str) -> BatchRecord:
    """Abort an open batch; its staged files are deleted and nothing is ingested."""
    check_batch_id(batch_id)
    lake = Lake(cfg.lake_root)
    record = get_batch(spark, lake, batch_id)
    if record.status == "aborted":
        return record
    if record.status != "loading":
        raise BatchStateError(
            f"batch {batch_id} is {record.status}; only a loading batch can be aborted"
        )
    fs.delete(spark, lake.staging_path(batch_id), within=lake.staging_root())
    return record_batch(spark, lake, record.evolve(status="aborted", completed_at=utc_now()))


def complete(spark: SparkSession, cfg: Config, batch_id: str) -> BatchRecord:
    """Process a batch's files. Safe to retry: a successful batch is returned as it is.

    Raises:
        BatchStateError: the batch was aborted, or has no files.
        BatchError: the batch failed (the catalog says why; the dataset is unchanged).
    """
    check_batch_id(batch_id)
    lake = Lake(cfg.lake_root)
    record = get_batch(spark, lake, batch_id)
    if record.status == "success":
        # a run killed between the success row and its event: the retry emits the event
        emit(spark, lake, missing(spark, lake, [Event.for_batch(record)]), cfg.events.webhook)
        return record
    if record.status == "replaced":  # a later batch replayed it: its rows are gone on purpose
        return record
    if record.status == "aborted":
        raise BatchStateError(
            f"batch {batch_id} was aborted; it cannot be completed. Create a new batch."
        )
    if not record.files:
        raise BatchStateError(f"batch {batch_id} has no files; upload files before completing it")
    return process(spark, cfg, record)


def ingest(
    spark: SparkSession,
    cfg: Config,
    dataset: str,
    files: list[str],
    *,
    batch_id: str | None = None,
    replace: list[str] | None = None,
    options: dict[str, Any] | None = None,
    partial: dict[str, Any] | None = None,
) -> BatchRecord:
    """Create, fill and complete a batch in one step; files are read where they are.

    Re-running with the same ``batch_id`` never duplicates rows: a successful batch is returned as
    it is, a failed one is processed again.
    """
    if batch_id is not None:
        check_batch_id(batch_id)
    replaced = tuple(check_batch_id(b) for b in replace or [])
    lake = Lake(cfg.lake_root)
    if batch_id:
        existing = find_batch(spark, lake, batch_id)
        if existing is not None:
            if existing.dataset != dataset:
                raise UsageError(
                    f"batch {batch_id} belongs to dataset {existing.dataset!r}, not {dataset!r}"
                )
            if existing.status in ("failed", "processing"):
                return _retry(spark, cfg, existing, files, replaced, _settings(options, partial))
            if existing.status == "success" and existing.options != _settings(options, partial):
                log.warning(
                    "batch %s succeeded already; it is returned as it is and the flags of this "
                    "run are not applied (use a new batch id to ingest with other settings)",
                    batch_id,
                )
            return complete(spark, cfg, batch_id)
    ds = cfg.dataset(dataset)
    record = BatchRecord(
        batch_id=batch_id or new_batch_id(),
        dataset=dataset,
        status="loading",
        input_format=ds.config.format,
        replace=replaced,
        created_at=utc_now(),
        options=_settings(options, partial),
    )
    try:
        found = list_inputs(spark, files, record.batch_id, allow_links=ds.config.allow_links)
    except BatchError as exc:
        fail(spark, cfg, record, exc)
        raise
    # one catalog row for open+upload: ingest reads the files where they are
    return process(spark, cfg, record.evolve(files=tuple(f.path for f in found)))


def _retry(
    spark: SparkSession,
    cfg: Config,
    existing: BatchRecord,
    files: list[str],
    replace: tuple[str, ...],
    settings: str,
) -> BatchRecord:
    """Process a failed (or interrupted) batch again with this run's files and flags.

    A retry is how a batch that failed at its threshold is given a higher one, so the flags of the
    new run win over the ones the batch was created with (and the log says so).
    """
    ds = cfg.dataset(existing.dataset)
    found = list_inputs(spark, files, existing.batch_id, allow_links=ds.config.allow_links)
    paths = tuple(f.path for f in found)
    if settings != existing.options or replace != existing.replace:
        log.info(
            "batch %s: retried with this run's settings %s (it had %s)",
            existing.batch_id,
            settings,
            existing.options,
        )
    return process(spark, cfg, existing.evolve(files=paths, options=settings, replace=replace))


def list_inputs(
    spark: SparkSession, patterns: list[str], batch_id: str, *, allow_links: bool = False
) -> list[fs.FileInfo]:
    """The files behind patterns (files, directories, globs), all regular files.

    Raises:
        BatchError: BATCH_FILE_NOT_FOUND, BATCH_PERMISSION_DENIED, BATCH_FILE_NOT_REGULAR.
    """
    found: list[fs.FileInfo] = []
    for pattern in patterns:
        try:
            found.extend(fs.list_files(spark, [pattern]))
        except FileNotFoundError as exc:
            raise BatchError(
                f"{pattern}: no such file; check the path (globs and directories are allowed)",
                code=ErrorCode.BATCH_FILE_NOT_FOUND,
                batch_id=batch_id,
            ) from exc
        except Exception as exc:
            if any(name in _PERMISSION_CLASSES for name in java_classes(exc)):
                raise BatchError(
                    f"{pattern}: permission denied; grant read access to lakeport's user",
                    code=ErrorCode.BATCH_PERMISSION_DENIED,
                    batch_id=batch_id,
                ) from exc
            raise
    if not found:
        raise BatchError(
            "no input files; give at least one file",
            code=ErrorCode.BATCH_FILE_NOT_FOUND,
            batch_id=batch_id,
        )
    for f in found:
        kind = fs.special_kind(f.path)
        if kind is None or (kind == "symbolic link" and allow_links):
            continue
        advice = (
            "give the file it points to, or set allow_links: true for the dataset"
            if kind == "symbolic link"
            else "give a regular file (copy the data out of it first)"
        )
        raise BatchError(
            f"{f.path}: is a {kind}, not a regular file; {advice}",
            code=ErrorCode.BATCH_FILE_NOT_REGULAR,
            batch_id=batch_id,
        )
    return found
