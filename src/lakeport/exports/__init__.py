"""Profile snapshot and dataset exports: one pinned Delta version -> Parquet, JSON Lines or CSV.

An export of policy (or dataset) ``N`` at minute ``T`` lands in ``<target>/<N>/exportTime=T/``::

    part-*.parquet | part-*.json[.gz] | part-*.csv[.gz]   the rows
    _removed_ids.jsonl                                    incremental profile exports only
    _manifest.json                                        source path + version, rows, schema, files
    _SUCCESS                                              written last: the export is complete

Crash safety: the rows and the manifest are written into a hidden sibling
``<target>/<N>/_tmp_exportTime=T_<run>/``, which is then renamed to ``exportTime=T``; ``_SUCCESS``
is written after the rename. A reader that waits for ``_SUCCESS`` never sees partial data, and a
re-run of the same export time deletes what a crashed run left behind before writing again.
Idempotency: when ``exportTime=T/_SUCCESS`` exists, a re-run with the same request reports the
existing export and writes nothing (``status: "exists"``); a different request for the same time
(other format, compression, mode or CSV options) is refused with ``EXPORT_CONFLICT``.

Incremental mode (``incremental=True``) exports only what changed since the previous complete
export of the same target and name (the latest ``exportTime`` before ``T`` with ``_SUCCESS``):

* profiles: the Change Data Feed from the previous export's source version + 1 to the pinned
  version gives the changed profile ids (their rows are taken from the pinned snapshot) and the
  removed ids (existed before, deleted since, not re-inserted), written to ``_removed_ids.jsonl``;
* datasets (no CDF): the batches present at the pinned version whose ``_batch_id`` was not in the
  table at the previous export's version (a time-travel read of ``_batch_id`` only), and, in the
  manifest, the batch ids that disappeared (replaced by a replay).

When there is no previous export, or the change feed / the old version cannot be read (CDF off,
vacuumed, log expired), the export is full and the manifest's ``modeReason`` says why.

Modules: :mod:`~lakeport.exports.request` (argument checks, the request),
:mod:`~lakeport.exports.formats` (writer options), :mod:`~lakeport.exports.csvframe` (CSV
flattening), :mod:`~lakeport.exports.changes` (what an incremental export holds),
:mod:`~lakeport.exports.publish` (directories, checksums, the publish),
:mod:`~lakeport.exports.write` (one export written), :mod:`~lakeport.exports.snapshot` (the public
functions), :mod:`~lakeport.exports.results` (:class:`ExportResult`).

Example:
    >>> export_snapshot(spark, cfg, "timestamp_ordered", "s3a://bucket/exports").to_json()  # doctest: +SKIP
    {'kind': 'profiles', 'name': 'timestamp_ordered', ..., 'mode': 'full', 'rowCount': 1000, ...}
    >>> export_dataset(spark, cfg, "loyalty", "/exports", "csv", compression="gzip",  # doctest: +SKIP
    ...                incremental=True)
"""

from __future__ import annotations

from lakeport.errors import ExportError
from lakeport.exports.changes import BATCH_KEY, PROFILE_KEY
from lakeport.exports.csvframe import csv_frame
from lakeport.exports.formats import (
    CSV_OPTIONS,
    JSON_OPTIONS,
    TIMESTAMP_FORMAT,
    TIMESTAMP_NTZ_FORMAT,
)
from lakeport.exports.publish import (
    MANIFEST,
    MANIFEST_VERSION,
    REMOVED_IDS,
    SUCCESS,
    export_dir,
    read_manifest,
)
from lakeport.exports.request import COMPRESSIONS, CSV_ARRAYS, FORMATS
from lakeport.exports.results import ExportResult
from lakeport.exports.snapshot import export_dataset, export_snapshot
from lakeport.exports.write import CRASH_STEPS

__all__ = [
    "BATCH_KEY",
    "COMPRESSIONS",
    "CRASH_STEPS",
    "CSV_ARRAYS",
    "CSV_OPTIONS",
    "FORMATS",
    "JSON_OPTIONS",
    "MANIFEST",
    "MANIFEST_VERSION",
    "PROFILE_KEY",
    "REMOVED_IDS",
    "SUCCESS",
    "TIMESTAMP_FORMAT",
    "TIMESTAMP_NTZ_FORMAT",
    "ExportError",
    "ExportResult",
    "csv_frame",
    "export_dataset",
    "export_dir",
    "export_snapshot",
    "read_manifest",
]
