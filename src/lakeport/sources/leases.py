"""Who may ingest a source right now: leases in ``<root>/system/source_locks/``.

``system/source_locks`` is a Delta table with one row per source that is held: a lease (owner
token, host, pid, expiry) taken and renewed with a conditional MERGE. Two concurrent MERGEs
conflict in Delta's optimistic concurrency check (:func:`lakeport.lake.delta.is_conflict`), so at
most one run holds a source. A lease is renewed by a background thread until it is released; a
run that died frees the source when its lease expires, at once when it ran on this host.

Example:
    >>> lease = acquire(spark, Lake("./lake"), "landing", ttl_seconds=600)  # doctest: +SKIP
    >>> try:  # doctest: +SKIP
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
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from lakeport.errors import SourceBusyError
from lakeport.lake.clock import from_spark, utc_now
from lakeport.lake.delta import is_conflict, is_delta, read_table, sql_string
from lakeport.lake.layout import Lake
from lakeport.lake.tables import struct_schema

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)

LOCKS_DDL = (
    "source string, owner string, host string, pid long, acquired_at timestamp, "
    "expires_at timestamp"
)


@dataclass(frozen=True)
class LeaseHolder:
    """The lease row of a held source: who holds it (owner token, host, pid) and until when.

    ``acquired_at`` and ``expires_at`` are aware UTC datetimes.
    """

    source: str
    owner: str
    host: str
    pid: int
    acquired_at: datetime
    expires_at: datetime

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> LeaseHolder:
        """A holder from a collected lock row (its timestamps made aware UTC)."""
        return cls(
            source=row["source"],
            owner=row["owner"],
            host=row["host"],
            pid=int(row["pid"]),
            acquired_at=from_spark(row["acquired_at"]),
            expires_at=from_spark(row["expires_at"]),
        )


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


def ensure_lock_table(spark: SparkSession, path: str) -> None:
    """Create ``system/source_locks`` at ``path`` unless it exists (two first runs may race).

    Args:
        spark: the session.
        path: the lock table's path (``Lake.system_path("source_locks")``).

    Raises:
        Exception: the last failure when the table is still not there after 20 attempts.

    Example:
        >>> ensure_lock_table(spark, Lake("./lake").system_path("source_locks"))  # doctest: +SKIP
    """
    from delta.tables import DeltaTable

    last: Exception | None = None
    for _attempt in range(20):
        if is_delta(spark, path):
            return
        try:
            DeltaTable.createIfNotExists(spark).location(path).addColumns(
                struct_schema(LOCKS_DDL)
            ).execute()
            return
        except Exception as exc:
            # two first runs create it at once: the loser sees a conflict, or a directory that is
            # "not empty and also not a Delta table" until the winner's first commit lands
            last = exc
            time.sleep(0.5)
    assert last is not None
    raise last


@dataclass
class Lease:
    """A held source. Renewed by a background thread until :meth:`release`.

    Example:
        >>> lease = acquire(spark, lake, "landing", 600)  # doctest: +SKIP
        >>> lease.check()        # SourceBusyError when another run took the source meanwhile  # doctest: +SKIP
        >>> lease.release()  # doctest: +SKIP
    """

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

        now = utc_now()
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
        new = self.spark.createDataFrame(row, struct_schema(LOCKS_DDL))
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
        """Push the expiry forward.

        Returns:
            True when renewed; False (and ``lost`` set) when another run took the source.

        Raises:
            Exception: a Delta failure that is not a concurrency conflict.
        """
        try:
            ok = self._merge(condition=f"t.owner = {sql_string(self.owner)}", insert=False) == 1
        except Exception as exc:
            if not is_conflict(exc):
                raise
            ok = False
        if not ok:
            self.lost.set()
        return ok

    def check(self) -> None:
        """Raise SourceBusyError when the lease was lost (do not record anything then).

        Raises:
            SourceBusyError: another run took the source over while this one worked.
        """
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
        """Start renewing the lease in a daemon thread (every third of its TTL, 1-60 s)."""
        self._thread = threading.Thread(target=self._beat, name=f"lease-{self.source}", daemon=True)
        self._thread.start()

    def release(self) -> None:
        """Stop renewing and drop the lease (only if it is still ours; else it expires)."""
        from delta.tables import DeltaTable

        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        if self.lost.is_set():
            return
        try:
            DeltaTable.forPath(self.spark, self.path).delete(
                f"source = {sql_string(self.source)} AND owner = {sql_string(self.owner)}"
            )
        except Exception:  # it expires by itself
            log.warning("source %s: could not release the lease", self.source, exc_info=True)


def holder(spark: SparkSession, lake: Lake, source: str) -> LeaseHolder | None:
    """The current lease of ``source``, or None when nobody holds it.

    Args:
        spark: the session.
        lake: the lake whose ``system/source_locks`` is read.
        source: the source's name.

    Returns:
        The lease row (expired ones too), or None when there is none or no lock table yet.

    Example:
        >>> holder(spark, Lake("./lake"), "landing").pid  # doctest: +SKIP
        41230
    """
    from pyspark.sql import functions as F

    path = lake.system_path("source_locks")
    row = (
        read_table(spark, path, LOCKS_DDL).where(F.col("source") == source).first()
        if is_delta(spark, path)
        else None
    )
    return LeaseHolder.from_row(row.asDict()) if row is not None else None


def _busy(source: str, row: LeaseHolder) -> SourceBusyError:
    return SourceBusyError(
        f"source {source} is held by another run (pid {row.pid} on {row.host}, since "
        f"{row.acquired_at:%Y-%m-%d %H:%M:%S} UTC, lease until {row.expires_at:%H:%M:%S} UTC); "
        "nothing was ingested. Let that run finish; a run that died frees the source when its "
        "lease expires (at once when it ran on this host)"
    )


def acquire(spark: SparkSession, lake: Lake, source: str, ttl_seconds: int) -> Lease:
    """Take the source's lease, or raise SourceBusyError when a live run holds it.

    A lease is free when there is none, it expired, or its process ran on this host and is gone
    (a killed run). Taking it is a MERGE conditioned on the holder seen: of two runs that race,
    Delta lets one commit and the other fails its conflict check.

    Args:
        spark: the session.
        lake: the lake whose ``system/source_locks`` holds the lease.
        source: the source's name.
        ttl_seconds: how long the lease lasts without renewal (renewed in the background).

    Returns:
        The held, renewing lease; release it with :meth:`Lease.release`.

    Raises:
        SourceBusyError: another live run (or stream) holds the source (exit code 3).

    Example:
        >>> lease = acquire(spark, Lake("./lake"), "landing", 600)  # doctest: +SKIP
        >>> lease.release()  # doctest: +SKIP
    """
    path = lake.system_path("source_locks")
    ensure_lock_table(spark, path)
    lease = Lease(spark, path, source, uuid.uuid4().hex, ttl_seconds)
    for _attempt in range(3):
        row = holder(spark, lake, source)
        if row is not None:
            expired = row.expires_at < utc_now()
            alive = _alive_here(row.host, row.pid)
            if not expired and alive is not False:
                raise _busy(source, row)
            log.warning(
                "source %s: taking over the lease of pid %s on %s (%s)",
                source,
                row.pid,
                row.host,
                "expired" if expired else "the process is gone",
            )
            condition = f"t.owner = {sql_string(row.owner)}"
        else:
            condition = "false"
        try:
            taken = lease._merge(condition=condition, insert=True) == 1
        except Exception as exc:
            if not is_conflict(exc):
                raise
            log.info("source %s: another run raced for the lease; looking again", source)
            continue
        if taken:
            lease.start()
            return lease
    row = holder(spark, lake, source)
    if row is not None and row.owner != lease.owner:
        raise _busy(source, row)
    raise SourceBusyError(f"source {source}: could not take the lease; try again")
