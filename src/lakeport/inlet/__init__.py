"""The HTTP streaming inlet: devices POST JSON records, the inlet lands them as JSON Lines files.

``lakeport inlet serve`` runs :func:`serve`: ``POST /collection/<dataset>`` takes one JSON object
or an array of objects, checks the envelope (token, dataset, size, JSON), optionally validates
the records with the pipeline's own mapping and rules (``?syncValidation=true``), appends them to
a durable log in the landing location of the dataset's source (``inlet.datasets.<dataset>.source``)
and answers 200 with a request id once they are on disk. The log is rotated into
``inlet-*.jsonl`` files that ``lakeport sources stream <source>`` ingests.

Modules: ``envelope`` (body -> records -> landing lines), ``landing`` (the durable log, rotation,
recovery), ``writer`` (the writer thread: group commit), ``validation`` (sync validation),
``app`` (the Starlette application), ``server`` (uvicorn, signals, the summary).

Example:
    >>> from lakeport.inlet import serve
    >>> serve(cfg, host="127.0.0.1", port=8080)  # doctest: +SKIP
"""

from lakeport.inlet.app import Inlet, create_app
from lakeport.inlet.server import InletSummary, serve

__all__ = ["Inlet", "InletSummary", "create_app", "serve"]
