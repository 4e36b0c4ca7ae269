"""Ingestion events: one :class:`Event` type and one emitter for batches, profiles and exports.

Every event is a row of ``<root>/system/events`` (``ing_load_success`` / ``ing_load_failure`` for
batches, ``ig_load_*`` / ``ps_load_*`` for the identity graph and profiles, ``exp_*`` for exports);
when ``events.webhook`` is configured each is then POSTed with an HMAC signature
(:mod:`lakeport.lake.notify`). Emitting never fails the work it reports on: a write or delivery
that fails is logged.

Example:
    >>> emit(spark, lake, [Event.for_batch(record)], cfg.events.webhook)  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import TYPE_CHECKING, Any

from lakeport.lake import notify
from lakeport.lake.clock import iso, stamp, utc_now
from lakeport.lake.delta import append_records, is_delta
from lakeport.lake.fs import jvm_message
from lakeport.lake.layout import Lake
from lakeport.lake.records import BatchRecord
from lakeport.lake.tables import EVENTS_DDL

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from lakeport.spec.settings import WebhookSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    """One row of ``system/events``."""

    event_id: str
    event_type: str
    batch_id: str | None
    dataset: str
    status: str
    input_format: str | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    success_count: int = 0
    failed_count: int = 0
    error_summary: dict[str, int] = field(default_factory=dict)
    emitted_at: datetime = field(default_factory=utc_now)

    @classmethod
    def for_batch(cls, record: BatchRecord) -> Event:
        """The ``ing_load_*`` event of a finished batch attempt (one per attempt)."""
        started = record.started_at or utc_now()
        return cls(
            # one event per attempt: a failed batch that is retried reports each outcome
            event_id=f"{record.batch_id}:{record.status}:{stamp(started, '%Y%m%dT%H%M%S%f')}",
            event_type="ing_load_success" if record.status == "success" else "ing_load_failure",
            batch_id=record.batch_id,
            dataset=record.dataset,
            status=record.status,
            input_format=record.input_format,
            started_at=record.started_at,
            completed_at=record.completed_at,
            success_count=record.output_record_count or 0,
            failed_count=record.failed_record_count or 0,
            error_summary=dict(record.error_summary),
        )

    def to_row(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def payload(self) -> dict[str, Any]:
        """The webhook's JSON object (camelCase, ISO 8601 UTC times)."""
        return {
            "eventId": self.event_id,
            "eventType": self.event_type,
            "batchId": self.batch_id,
            "dataset": self.dataset,
            "status": self.status,
            "inputFormat": self.input_format,
            "startedAt": iso(self.started_at),
            "completedAt": iso(self.completed_at),
            "successCount": self.success_count,
            "failedCount": self.failed_count,
            "errorSummary": dict(self.error_summary),
            "emittedAt": iso(self.emitted_at),
        }


def missing(spark: SparkSession, lake: Lake, events: Sequence[Event]) -> list[Event]:
    """The events not in ``system/events`` yet (a process killed before it emitted them)."""
    from pyspark.sql import functions as F

    path = lake.system_path("events")
    if not events or not is_delta(spark, path):
        return list(events)
    ids = [e.event_id for e in events]
    table = spark.read.format("delta").load(path)
    found = {r[0] for r in table.where(F.col("event_id").isin(ids)).select("event_id").collect()}
    return [e for e in events if e.event_id not in found]


def write(spark: SparkSession, lake: Lake, events: Sequence[Event]) -> None:
    """Append events to ``system/events`` in one commit (raises on a write failure)."""
    append_records(spark, lake.system_path("events"), EVENTS_DDL, [e.to_row() for e in events])


def deliver(events: Sequence[Event], hook: WebhookSettings | None) -> None:
    """POST each event to the webhook, if one is configured (never raises)."""
    if hook is None:
        return
    secret = os.environ.get(hook.secret_env) if hook.secret_env else None
    if hook.secret_env and not secret:
        log.warning(
            "events.webhook.secret_env names %s, which is not set; sending unsigned",
            hook.secret_env,
        )
    for event in events:
        notify.deliver(
            hook.url, secret, event.payload(), attempts=hook.attempts, timeout=hook.timeout_seconds
        )


def emit(
    spark: SparkSession,
    lake: Lake,
    events: Sequence[Event],
    hook: WebhookSettings | None = None,
    *,
    strict: bool = True,
) -> None:
    """Write the events (one commit), then deliver them.

    With ``strict=False`` a failed write is logged instead of raised (exports and profile builds
    report their own outcome; their event is a courtesy).
    """
    if not events:
        return
    try:
        write(spark, lake, events)
    except Exception as exc:
        if strict:
            raise
        log.warning(
            "could not write %d event(s) to system/events: %s", len(events), jvm_message(exc)
        )
        return
    deliver(events, hook)
