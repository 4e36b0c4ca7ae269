"""The batch pipeline: lifecycle (create, upload, complete, abort, ingest) and processing
(read -> map -> validate -> split -> threshold -> commit), the error table and traits merges.

Example:
    >>> from lakeport.pipeline import ingest
    >>> ingest(spark, cfg, "loyalty", ["sample-data/loyalty.jsonl"], batch_id="b1").status  # doctest: +SKIP
    'success'
"""

from lakeport.pipeline.diagnostics import batch_errors
from lakeport.pipeline.lifecycle import abort, complete, create_batch, ingest, new_batch_id, upload

__all__ = ["abort", "batch_errors", "complete", "create_batch", "ingest", "new_batch_id", "upload"]
