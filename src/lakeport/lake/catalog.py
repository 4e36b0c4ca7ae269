"""The batch catalog, ``<root>/system/batches/``: append-only status transitions of batches.

The latest row per batch id (highest ``seq``) is the batch's state; blind appends never conflict
between writers, so concurrent batches never block each other on the catalog.

Example:
    >>> record_batch(spark, lake, BatchRecord("b1", "loyalty", "loading", created_at=utc_now()))  # doctest: +SKIP
    >>> get_batch(spark, lake, "b1").status  # doctest: +SKIP
    'loading'
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from typing import TYPE_CHECKING

from lakeport.errors import BatchBusyError, NotFoundError
from lakeport.lake.clock import iso, utc_now
from lakeport.lake.delta import append_rows, is_conflict, read_table
from lakeport.lake.layout import Lake
from lakeport.lake.records import BatchRecord
from lakeport.lake.tables import BATCHES_DDL, SYSTEM_TABLE_DEFAULTS, struct_schema
from lakeport.lake.txn import Txn
from lakeport.spec.names import check_batch_id

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


def record_batch(spark: SparkSession, lake: Lake, record: BatchRecord) -> BatchRecord:
    """Append one status transition of a batch; returns it with its ``seq`` and ``updated_at``."""
    return record_batches(spark, lake, [record])[0]


def record_batches(
    spark: SparkSession, lake: Lake, records: list[BatchRecord]
) -> list[BatchRecord]:
    """Append status transitions of several batches in one commit (in this order)."""
    now, base = utc_now(), time.time_ns()
    stamped = [r.evolve(seq=base + i, updated_at=now) for i, r in enumerate(records)]
    schema = struct_schema(BATCHES_DDL)
    rows = [s.to_row() for s in stamped]
    df = spark.createDataFrame([tuple(row.get(n) for n in schema.names) for row in rows], schema)
    # merge_schema: a catalog written by an older lakeport gains the newer columns
    append_rows(
        df, lake.system_path("batches"), merge_schema=True, properties=SYSTEM_TABLE_DEFAULTS
    )
    return stamped


def claim_batch(
    spark: SparkSession, lake: Lake, record: BatchRecord, *, timeout_seconds: int = 3600
) -> BatchRecord:
    """Record ``record`` (status ``processing``) as this process's claim on its batch id.

    One batch id is one claim: the ``processing`` row is committed with Delta's idempotency
    marker (``txnAppId`` = the batch id, ``txnVersion`` = its attempt number), so of two runs
    that claim the same attempt at once Delta commits one row; the other conflicts on the marker
    and gets BatchBusyError. A batch left ``processing`` by a process that is
    gone (same host, pid dead; or older than ``timeout_seconds`` on another host) is taken over.

    Raises:
        BatchBusyError: another live process is processing this batch id.
    """
    from pyspark.sql import functions as F

    path = lake.system_path("batches")
    app = f"lakeport-batch-{record.batch_id}"
    for _ in range(5):
        rows = read_table(spark, path, BATCHES_DDL).where(F.col("batch_id") == record.batch_id)
        state = rows.agg(
            F.max_by(F.struct(*rows.columns), F.col("seq")).alias("latest"),
            F.count(F.when(F.col("status") == "processing", F.lit(1))).alias("attempts"),
        ).first()
        latest = state["latest"] if state is not None else None
        if latest is not None and latest["status"] == "processing":
            _refuse_if_alive(BatchRecord.from_row(latest.asDict(recursive=True)), timeout_seconds)
        attempt = int(state["attempts"] if state is not None else 0) + 1
        owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        claimed = record.evolve(
            status="processing", owner=owner, seq=time.time_ns(), updated_at=utc_now()
        )
        schema = struct_schema(BATCHES_DDL)
        row = claimed.to_row()
        df = spark.createDataFrame([tuple(row.get(n) for n in schema.names)], schema)
        # one commit that records the claim with Delta's idempotency marker of this attempt: of
        # two runs that claim the same attempt at once, the second conflicts on the marker
        txn = Txn(spark, path)
        if txn.txn_version(app) < attempt:
            txn.write(df, merge_schema=True, app=(app, attempt), properties=SYSTEM_TABLE_DEFAULTS)
            try:
                txn.commit({"app": app, "owner": owner})
                return claimed
            except Exception as exc:
                txn.discard()
                if not is_conflict(exc):
                    raise
        time.sleep(0.2)  # another claim, or another batch creating the catalog, came first
    current = find_batch(spark, lake, record.batch_id)
    raise BatchBusyError(
        f"batch {record.batch_id} is being processed by another process "
        f"({_owner_text(current.owner if current else None)}); nothing was written. Wait for it "
        f"('lakeport batch status {record.batch_id}')"
    )


def _owner_text(owner: str | None) -> str:
    host, _, rest = (owner or "?:?").partition(":")
    return f"pid {rest.split(':', 1)[0]} on {host}"


def _refuse_if_alive(current: BatchRecord, timeout_seconds: int) -> None:
    """BatchBusyError when the process that left ``current`` processing may still be at work."""
    host, _, rest = (current.owner or "").partition(":")
    if not host:
        return  # claimed by a lakeport without owners: no way to tell, take it over
    pid = int(rest.split(":", 1)[0] or 0)
    if host == socket.gethostname():
        if pid == os.getpid():
            return  # this very process claimed it and failed or was interrupted: a retry
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return  # it died: take over
        except PermissionError:
            pass
    else:
        started = current.updated_at or current.started_at
        if started is None or (utc_now() - started).total_seconds() > timeout_seconds:
            return
    raise BatchBusyError(
        f"batch {current.batch_id} is being processed by {_owner_text(current.owner)} since "
        f"{iso(current.started_at)}; nothing was written. Wait for it to finish ('lakeport batch "
        f"status {current.batch_id}'); a process that died frees the id "
        + ("at once" if host == socket.gethostname() else f"after {timeout_seconds} s")
    )


def batches(spark: SparkSession, lake: Lake) -> DataFrame:
    """The latest state of every batch (one row per batch id)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    df = read_table(spark, lake.system_path("batches"), BATCHES_DDL)
    latest = Window.partitionBy("batch_id").orderBy(F.col("seq").desc())
    return df.withColumn("_n", F.row_number().over(latest)).where("_n = 1").drop("_n")


def find_batch(spark: SparkSession, lake: Lake, batch_id: str) -> BatchRecord | None:
    """The latest state of one batch, or None when the catalog has no such batch.

    Raises:
        InvalidNameError: ``batch_id`` is not a valid batch id.
    """
    from pyspark.sql import functions as F

    check_batch_id(batch_id)
    df = read_table(spark, lake.system_path("batches"), BATCHES_DDL)
    row = df.where(F.col("batch_id") == batch_id).orderBy(F.col("seq").desc()).first()
    return BatchRecord.from_row(row.asDict(recursive=True)) if row is not None else None


def get_batch(spark: SparkSession, lake: Lake, batch_id: str) -> BatchRecord:
    """The latest state of one batch.

    Raises:
        NotFoundError: when the catalog has no such batch.
    """
    record = find_batch(spark, lake, batch_id)
    if record is None:
        raise NotFoundError(
            f"no batch {batch_id!r} in {lake.system_path('batches')}; "
            "list batches with 'lakeport batch list'"
        )
    return record


def list_batches(spark: SparkSession, lake: Lake, dataset: str | None = None) -> list[BatchRecord]:
    """Every batch's latest state, oldest first (optionally of one dataset)."""
    df = batches(spark, lake)
    if dataset:
        df = df.where(df.dataset == dataset)
    return [
        BatchRecord.from_row(r.asDict(recursive=True)) for r in df.orderBy("created_at").collect()
    ]
