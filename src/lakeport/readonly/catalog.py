"""The batch catalog and the error table without Spark: what ``lake.catalog`` and
``pipeline.diagnostics.batch_errors`` answer, from the same Delta tables.

The latest row per batch id is the one with the highest ``seq`` (Spark: ``row_number`` over
``seq desc``); two rows of one batch with the same ``seq`` would make Spark's choice arbitrary, so
they are :class:`Unavailable` here, and so are batches tied on ``created_at`` in a listing and
error rows tied on ``(source_file, line)`` that differ.

Example:
    >>> from lakeport.readonly.store import Store
    >>> find_batch(Store.of("/nonexistent", {}), Lake("/nonexistent"), "b1") is None
    True
"""

from __future__ import annotations

from typing import Any

from lakeport.errors import NotFoundError
from lakeport.lake.layout import Lake
from lakeport.lake.records import BatchRecord
from lakeport.readonly.order import Key, pick
from lakeport.readonly.store import Store, Unavailable
from lakeport.readonly.tables import Frame, open_table, sql_string
from lakeport.spec.names import check_batch_id


def _latest(frame: Frame) -> list[int]:
    """Row indices of the latest row (highest seq, nulls lowest) of each batch id."""
    ids, seqs = frame.columns["batch_id"], frame.columns["seq"]
    best: dict[Any, int] = {}
    tied: set[Any] = set()
    for i, (batch_id, seq) in enumerate(zip(ids, seqs, strict=True)):
        j = best.get(batch_id)
        if j is None:
            best[batch_id] = i
            continue
        other = seqs[j]
        if seq == other:
            tied.add(batch_id)
        elif other is None or (seq is not None and seq > other):
            best[batch_id] = i
            tied.discard(batch_id)
    if tied:
        raise Unavailable(f"batches {sorted(map(str, tied))[:3]} have rows with the same seq")
    return sorted(best.values())


def catalog_rows(store: Store, lake: Lake, batch_id: str | None = None) -> list[dict[str, Any]]:
    """The latest row of every batch (or of one), as Spark collects them."""
    table = open_table(store, lake.system_path("batches"))
    if table is None:
        return []
    where = None
    if batch_id is not None:
        where = f"batch_id = {sql_string(check_batch_id(batch_id))}"
    frame = table.read(predicate=where)
    return frame.rows(_latest(frame))


def find_batch(store: Store, lake: Lake, batch_id: str) -> BatchRecord | None:
    """The latest state of one batch, or None (``lake.catalog.find_batch``)."""
    check_batch_id(batch_id)
    rows = catalog_rows(store, lake, batch_id)
    return BatchRecord.from_row(rows[0]) if rows else None


def get_batch(store: Store, lake: Lake, batch_id: str) -> BatchRecord:
    """The latest state of one batch; NotFoundError with the Spark path's message."""
    record = find_batch(store, lake, batch_id)
    if record is None:
        raise NotFoundError(
            f"no batch {batch_id!r} in {lake.system_path('batches')}; "
            "list batches with 'lakeport batch list'"
        )
    return record


def list_batches(store: Store, lake: Lake, dataset: str | None = None) -> list[BatchRecord]:
    """Every batch's latest state, oldest first (``lake.catalog.list_batches``)."""
    records = [BatchRecord.from_row(r) for r in catalog_rows(store, lake)]
    if dataset:
        records = [r for r in records if r.dataset == dataset]
    created = [r.created_at for r in records]
    if len(set(created)) != len(created):
        raise Unavailable("two batches have the same created_at (Spark's order is arbitrary)")
    return sorted(records, key=lambda r: (r.created_at is not None, r.created_at or 0))


def batch_errors(
    store: Store,
    lake: Lake,
    batch_id: str,
    *,
    code: str | None = None,
    severity: str | None = "error",
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """The error rows of a batch ordered by file and line, at most ``limit``, as dicts.

    Raises:
        NotFoundError: no such batch (checked first, as ``Lakeport.errors`` does).
    """
    get_batch(store, lake, batch_id)
    table = open_table(store, lake.system_path("errors"))
    if table is None:
        return []
    where = f"batch_id = {sql_string(batch_id)}"
    quoted = sql_string(severity) if severity else None
    if severity and quoted is None:
        raise Unavailable("a severity that is not plainly quotable")
    if quoted:
        where += f" AND severity = {quoted}"
    frame = table.read(predicate=where)
    if code:
        keep = [
            i
            for i, errors in enumerate(frame.columns["errors"])
            if any(e.get("code") == code for e in errors or () if e is not None)
        ]
        frame = frame.take(keep)
    keys = [Key(("source_file",), "value"), Key(("line",), "value")]
    return frame.rows(pick(frame, keys, limit))
