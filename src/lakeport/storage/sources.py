"""Bookkeeping of sources: which files were seen, and who may ingest a source right now.

``<root>/system/source_files/``  Delta, append-only: one row per state change of a file of a
                                  source (``claimed`` -> ``done`` | ``failed``); the latest row per
                                  (source, path, size, mtime) is the file's state. A file that
                                  changes (new size or mtime) is a new key, so it is new again.
``<root>/system/source_locks/``  Delta, one row per source that is held: a lease (owner token,
                                  host, pid, expiry) taken and renewed with a conditional MERGE.
                                  Two concurrent MERGEs conflict in Delta's optimistic
                                  concurrency check, so at most one run holds a source.

Example:
    >>> lease = acquire(spark, Lake("./lake"), "landing", ttl_seconds=600)
    >>> try:
    ...     claim(spark, lake, "landing", "landing-r20261123T120000Z", files)
    ... finally:
    ...     lease.release()
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from lakeport.errors import LakeportError
from lakeport.storage import fs
from lakeport.storage import lake as lk

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger(__name__)

SOURCE_FILES_DDL = (
    "source string, path string, size long, mtime long, status string, batch_id string, "
    "error_code string, recorded_at timestamp, seq long"
)
LOCKS_DDL = (
    "source string, owner string, host string, pid long, acquired_at timestamp, "
    "expires_at timestamp"
)
BUSY_EXIT_CODE = 3


class SourceBusyError(LakeportError):
    """Another run (or stream) holds the source; this one ingests nothing. Exit code 3."""

    exit_code = BUSY_EXIT_CODE

    def __init__(self, message: str) -> None:
        super().__init__(message, code="SOURCE_BUSY")


# --------------------------------------------------------------------------------------------
# Files seen per source
# --------------------------------------------------------------------------------------------


def file_states(spark: SparkSession, lake: lk.Lake, source: str) -> DataFrame:
    """The latest state of every file key of ``source`` (one row per path, size and mtime)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    df = lk.read_table(spark, lake.system_path("source_files"), SOURCE_FILES_DDL)
    df = df.where(F.col("source") == source)
    latest = Window.partitionBy("path", "size", "mtime").orderBy(F.col("seq").desc())
    return df.withColumn("_n", F.row_number().over(latest)).where("_n = 1").drop("_n")


def seen(spark: SparkSession, lake: lk.Lake, source: str) -> dict[tuple[str, int, int], dict]:
    """``{(path, size, mtime): latest row}`` for ``source`` (small: one row per file ever seen)."""
    return {
        (r["path"], int(r["size"]), int(r["mtime"])): r.asDict()
        for r in file_states(spark, lake, source).collect()
    }


def unfinished(known: dict[tuple[str, int, int], dict]) -> list[tuple[str, list[fs.FileInfo]]]:
    """Batches whose files were claimed but never marked done or failed, oldest first.

    ``known`` is :func:`seen` of the source.
    """
    claims: dict[str, list[fs.FileInfo]] = {}
    order: dict[str, int] = {}
    for (path, size, mtime), row in known.items():
        if row["status"] == "claimed":
            claims.setdefault(row["batch_id"], []).append(fs.FileInfo(path, size, mtime))
            order[row["batch_id"]] = min(order.get(row["batch_id"], row["seq"]), row["seq"])
    return [
        (b, sorted(claims[b], key=lambda f: f.path)) for b in sorted(claims, key=order.__getitem__)
    ]


def record(
    spark: SparkSession,
    lake: lk.Lake,
    source: str,
    batch_id: str,
    files: list[fs.FileInfo],
    status: str,
    error_code: str | None = None,
) -> None:
    """Append one state change (``claimed``, ``done``, ``failed``) for ``files``, in one commit."""
    schema = lk.struct_schema(SOURCE_FILES_DDL)
    now, seq = lk.utc_now(), time.time_ns()
    rows = [
        (source, f.path, f.size, f.mtime, status, batch_id, error_code, now, seq) for f in files
    ]
    lk.append_rows(spark.createDataFrame(rows, schema), lake.system_path("source_files"))


# --------------------------------------------------------------------------------------------
# The lease: one holder per source
# --------------------------------------------------------------------------------------------


def _alive_here(host: str, pid: int) -> bool | None:
    """Whether a process of this host is alive; None when it ran on another host."""
    if host != socket.gethostname():
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _conflict(exc: BaseException) -> bool:
    """A Delta optimistic-concurrency failure (another writer committed first)."""
    text = f"{type(exc).__name__} {fs.jvm_message(exc)} {str(exc)[:2000]}".lower()
    return any(
        k in text
        for k in (
            "concurrent",  # ConcurrentAppendException, [DELTA_CONCURRENT_...], "a concurrent update"
            "protocol_changed",
            "protocolchanged",
            "metadata_changed",
            "filealreadyexists",
            "concurrency-control",
        )
    )


def _ensure_locks_table(spark: SparkSession, path: str) -> None:
    from delta.tables import DeltaTable

    for _attempt in range(20):
        if lk.is_delta(spark, path):
            return
        try:
            DeltaTable.createIfNotExists(spark).location(path).addColumns(
                lk.struct_schema(LOCKS_DDL)
            ).execute()
            return
        except Exception as exc:
            # two first runs create it at once: the loser sees a conflict, or a directory that is
            # "not empty and also not a Delta table" until the winner's first commit lands
            last = exc
            time.sleep(0.5)
    raise last


@dataclass
class Lease:
    """A held source. Renewed by a background thread until :meth:`release`."""

    spark: Any
    path: str
    source: str
    owner: str
    ttl_seconds: int
    lost: threading.Event = field(default_factory=threading.Event)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def _merge(self, *, condition: str, insert: bool) -> int:
        from delta.tables import DeltaTable

        now = lk.utc_now()
        row = [
            (
                self.source,
                self.owner,
                socket.gethostname(),
                os.getpid(),
                now,
                now + timedelta(seconds=self.ttl_seconds),
            )
        ]
        new = self.spark.createDataFrame(row, lk.struct_schema(LOCKS_DDL))
        merge = (
            DeltaTable.forPath(self.spark, self.path)
            .alias("t")
            .merge(new.alias("s"), "t.source = s.source")
            .whenMatchedUpdateAll(condition=condition)
        )
        if insert:
            merge = merge.whenNotMatchedInsertAll()
        metrics = merge.execute()
        first = metrics.first() if metrics is not None else None
        return int(first["num_affected_rows"]) if first is not None else 0

    def renew(self) -> bool:
        """Push the expiry forward; False (and ``lost`` set) when another run took the source."""
        try:
            ok = self._merge(condition=f"t.owner = {lk.sql_string(self.owner)}", insert=False) == 1
        except Exception as exc:
            if not _conflict(exc):
                raise
            ok = False
        if not ok:
            self.lost.set()
        return ok

    def check(self) -> None:
        """Raise SourceBusyError when the lease was lost (do not record anything then)."""
        if self.lost.is_set():
            raise SourceBusyError(
                f"source {self.source}: another run took the source over while this one worked "
                f"(its lease of {self.ttl_seconds} s was not renewed in time); the files claimed "
                "here are finished by the run that holds the source now"
            )

    def _beat(self) -> None:
        every = max(1.0, min(60.0, self.ttl_seconds / 3))
        while not self._stop.wait(every):
            try:
                if not self.renew():
                    log.error("source %s: lease lost to another run", self.source)
                    return
            except Exception:  # a hiccup: the next beat tries again before expiry
                log.warning("source %s: could not renew the lease", self.source, exc_info=True)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._beat, name=f"lease-{self.source}", daemon=True)
        self._thread.start()

    def release(self) -> None:
        """Stop renewing and drop the lease (only if it is still ours)."""
        from delta.tables import DeltaTable

        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        if self.lost.is_set():
            return
        try:
            DeltaTable.forPath(self.spark, self.path).delete(
                f"source = {lk.sql_string(self.source)} AND owner = {lk.sql_string(self.owner)}"
            )
        except Exception:  # it expires by itself
            log.warning("source %s: could not release the lease", self.source, exc_info=True)


def holder(spark: SparkSession, lake: lk.Lake, source: str) -> dict[str, Any] | None:
    """The current lease row of ``source``, or None."""
    from pyspark.sql import functions as F

    path = lake.system_path("source_locks")
    row = (
        lk.read_table(spark, path, LOCKS_DDL).where(F.col("source") == source).first()
        if lk.is_delta(spark, path)
        else None
    )
    return row.asDict() if row is not None else None


def _busy(source: str, row: dict[str, Any]) -> SourceBusyError:
    return SourceBusyError(
        f"source {source} is held by another run (pid {row['pid']} on {row['host']}, since "
        f"{row['acquired_at']:%Y-%m-%d %H:%M:%S} UTC, lease until {row['expires_at']:%H:%M:%S} UTC); "
        "nothing was ingested. Let that run finish; a run that died frees the source when its "
        "lease expires (at once when it ran on this host)"
    )


def acquire(spark: SparkSession, lake: lk.Lake, source: str, ttl_seconds: int) -> Lease:
    """Take the source's lease, or raise SourceBusyError when a live run holds it.

    A lease is free when there is none, it expired, or its process ran on this host and is gone
    (a killed run). Taking it is a MERGE conditioned on the holder seen: of two runs that race,
    Delta lets one commit and the other fails its conflict check.
    """
    path = lake.system_path("source_locks")
    _ensure_locks_table(spark, path)
    lease = Lease(spark, path, source, uuid.uuid4().hex, ttl_seconds)
    for _attempt in range(3):
        row = holder(spark, lake, source)
        if row is not None:
            expired = row["expires_at"] < lk.utc_now()
            alive = _alive_here(row["host"], int(row["pid"]))
            if not expired and alive is not False:
                raise _busy(source, row)
            log.warning(
                "source %s: taking over the lease of pid %s on %s (%s)",
                source,
                row["pid"],
                row["host"],
                "expired" if expired else "the process is gone",
            )
            condition = f"t.owner = {lk.sql_string(row['owner'])}"
        else:
            condition = "false"
        try:
            taken = lease._merge(condition=condition, insert=True) == 1
        except Exception as exc:
            if not _conflict(exc):
                raise
            log.info("source %s: another run raced for the lease; looking again", source)
            continue
        if taken:
            lease.start()
            return lease
    row = holder(spark, lake, source)
    if row is not None and row["owner"] != lease.owner:
        raise _busy(source, row)
    raise SourceBusyError(f"source {source}: could not take the lease; try again")
