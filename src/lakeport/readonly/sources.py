"""``sources status`` without Spark: ``system/source_files``, ``system/source_locks``, the batch
catalog, and the listing of the source's location (local directories with ``os``, ``s3a://``
with pyarrow's S3 client), combined exactly as :func:`lakeport.sources.overview.status` does.

Example:
    >>> from lakeport.readonly.store import Store
    >>> holder(Store.of("/nonexistent", {}), Lake("/nonexistent"), "landing") is None
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lakeport.lake.layout import Lake
from lakeport.readonly.catalog import get_batch
from lakeport.readonly.store import Store, Unavailable
from lakeport.readonly.tables import open_table, sql_string
from lakeport.sources.discovery import pattern, source_config
from lakeport.sources.files import FileKey, FileState, key_of
from lakeport.sources.leases import LeaseHolder
from lakeport.sources.overview import assemble_status
from lakeport.sources.results import SourceStatus

if TYPE_CHECKING:
    from lakeport.config.model import Config


def _quoted(source: str) -> str:
    text = sql_string(source)
    if text is None:
        raise Unavailable(f"source name {source!r} is not plainly quotable")
    return text


def seen(store: Store, lake: Lake, source: str) -> dict[FileKey, FileState]:
    """Every file key of ``source`` with its latest state (``lakeport.sources.files.seen``)."""
    table = open_table(store, lake.system_path("source_files"))
    if table is None:
        return {}
    rows = table.read(predicate=f"source = {_quoted(source)}").rows()
    best: dict[FileKey, dict[str, Any]] = {}
    tied: set[FileKey] = set()
    for row in rows:
        key = (row["path"], row["size"], row["mtime"])
        other = best.get(key)
        if other is None:
            best[key] = row
        elif row["seq"] == other["seq"]:
            tied.add(key)
        elif other["seq"] is None or (row["seq"] is not None and row["seq"] > other["seq"]):
            best[key] = row
            tied.discard(key)
    if tied:
        raise Unavailable("two rows of one source file have the same seq")
    states = (FileState.from_row(r) for r in best.values())
    return {s.key: s for s in states}


def holder(store: Store, lake: Lake, source: str) -> LeaseHolder | None:
    """The lease row of ``source`` (``lakeport.sources.leases.holder``), None when free."""
    table = open_table(store, lake.system_path("source_locks"))
    if table is None:
        return None
    rows = table.read(predicate=f"source = {_quoted(source)}").rows()
    if len(rows) > 1:
        raise Unavailable(f"{len(rows)} lease rows for source {source}")
    return LeaseHolder.from_row(rows[0]) if rows else None


def status(store: Store, listing: Store, cfg: Config, name: str) -> SourceStatus:
    """What :func:`lakeport.sources.overview.status` returns; ``listing`` lists the location."""
    src = source_config(cfg, name)
    lake = Lake(cfg.lake_root)
    listed = {key_of(f) for f in listing.list_files(pattern(src))}
    return assemble_status(
        cfg,
        name,
        listed,
        seen(store, lake, name),
        lambda batch_id: get_batch(store, lake, batch_id),
        holder(store, lake, name),
    )
