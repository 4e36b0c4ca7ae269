"""Sources: ingest the new files of a landing location, one batch per run, or as a stream.

A source (``sources:`` in lakeport.yaml) is a landing location plus a glob, feeding one dataset.
:func:`run` (``lakeport sources run``) ingests every file not seen before (by path, size and
modification time) as one batch through the batch pipeline: lease, recover, list, claim, ingest,
mark, in an order that makes a crash at any point harmless (see :mod:`lakeport.sources.runner`).
:func:`stream` (``lakeport sources stream``) runs the same steps under Structured Streaming, one
batch ``<source>-e<epoch>`` per micro-batch (see :mod:`lakeport.sources.streaming`).

Modules: ``discovery`` (a source's settings and files), ``leases`` (``system/source_locks``: one
holder per source), ``files`` (``system/source_files``: seen, claim, record, unfinished),
``batches`` (ingest a claimed batch and mark it; recovery), ``runner`` (one run), ``streaming``
(the stream), ``follow`` (profiles built after each micro-batch), ``overview`` (status and list), ``results`` (typed results whose ``to_json()`` is
the CLI's JSON). Crash tests stop or pause these at the checkpoints of :mod:`lakeport.lake.hooks`.

Example:
    >>> from lakeport.sources import run
    >>> out = run(spark, cfg, "landing")  # doctest: +SKIP
    >>> out.status, [b.batch_id for b in out.batches]  # doctest: +SKIP
    ('ingested', ['landing-r20261123T120501123456Z'])
"""

from lakeport.sources.discovery import discover, effective, source_config
from lakeport.sources.leases import Lease, LeaseHolder, acquire, holder
from lakeport.sources.overview import list_sources, status
from lakeport.sources.results import (
    SourceBatch,
    SourceBatchStatus,
    SourceFile,
    SourceRun,
    SourceStatus,
    SourceStream,
    SourceSummary,
)
from lakeport.sources.runner import run
from lakeport.sources.streaming import StreamRun, parse_trigger, start_stream, stream

__all__ = [
    "Lease",
    "LeaseHolder",
    "SourceBatch",
    "SourceBatchStatus",
    "SourceFile",
    "SourceRun",
    "SourceStatus",
    "SourceStream",
    "SourceSummary",
    "StreamRun",
    "acquire",
    "discover",
    "effective",
    "holder",
    "list_sources",
    "parse_trigger",
    "run",
    "source_config",
    "start_stream",
    "status",
    "stream",
]
