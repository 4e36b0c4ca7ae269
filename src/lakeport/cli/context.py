"""What a command handler gets: the parsed arguments, the facade on demand, and the output.

Machine-readable output (``--json``) is one JSON object on stdout; logs and errors go to stderr.

Example:
    >>> def handler(ctx: Context) -> int:
    ...     ctx.emit(ctx.lakeport().batch(ctx.args.batch_id).to_json())
    ...     return 0
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lakeport.api import Lakeport
    from lakeport.config.model import Config


def local_paths(paths: list[str]) -> list[str]:
    """Relative local paths made absolute against this process's working directory.

    Spark resolves a relative path against its JVM's start directory, which differs from the
    Python one after an ``os.chdir`` (notebooks, in-process callers); URIs are left alone.
    """
    return [p if "://" in p or os.path.isabs(p) else os.path.abspath(p) for p in paths]


def quiet_dead_jvm() -> None:
    """PySpark's accumulator server prints a traceback when its JVM dies under it; the CLI says
    that in one line (``app._jvm_gone``), so the server's report goes to the debug log."""
    from pyspark import accumulators

    def handle_error(self: object, request: object, client_address: object) -> None:
        logging.getLogger("lakeport.spark").debug(
            "the accumulator connection from %s failed", client_address, exc_info=True
        )

    for name in ("AccumulatorTCPServer", "AccumulatorUnixServer"):
        server = getattr(accumulators, name, None)
        if server is not None:
            server.handle_error = handle_error


class Context:
    """One CLI run: ``args``, the config and the facade (built on first use), and stdout."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.json: bool = bool(getattr(args, "json", False))
        self.emitted = 0
        # printed after the error line when the command fails: spark-submit merges stderr into
        # stdout, and an orchestrator reads the last line as the command's JSON object
        self.on_failure: Any = None
        self._config: Config | None = None
        self._lakeport: Lakeport | None = None

    def config(self) -> Config:
        """The config of ``--config`` on ``--lake`` (no Spark)."""
        if self._config is None:
            from lakeport.config import load_config

            self._config = load_config(self.args.config, lake_root=self.args.lake)
        return self._config

    def lakeport(self) -> Lakeport:
        """The facade on this run's config (starts or adopts Spark)."""
        if self._lakeport is None:
            from lakeport.api import Lakeport
            from lakeport.lake.layout import open_lake
            from lakeport.session import get_spark

            quiet_dead_jvm()

            cfg = self.config()
            open_lake(cfg.lake_root)  # a refused lake root is refused before Spark starts
            self._lakeport = Lakeport(get_spark(cfg), cfg)
        return self._lakeport

    def emit(self, obj: Any) -> None:
        """Write one JSON object as one line on stdout."""
        sys.stdout.write(json.dumps(obj, default=str, sort_keys=False) + "\n")
        sys.stdout.flush()
        self.emitted += 1
