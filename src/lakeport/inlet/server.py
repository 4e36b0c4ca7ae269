"""``lakeport inlet serve``: the inlet's application on uvicorn, until SIGTERM or Ctrl-C.

Start-up lands what a dead inlet left (before the port is opened), then prints one line on
stderr, ``lakeport: inlet serving on http://HOST:PORT (datasets: ...)``, with the port actually
bound (``--port 0`` picks a free one). SIGTERM and SIGINT stop it gracefully: no new
connections, requests in flight are answered, then every landing log is rotated into its
landing file. An acknowledged record was durable before its answer, so even ``kill -9`` loses
none (the next start lands the logs it left).

Example:
    >>> summary = serve(cfg, host="127.0.0.1", port=8080)  # doctest: +SKIP
    >>> summary.to_json()["requests"]  # doctest: +SKIP
    1200
"""

from __future__ import annotations

import signal
import sys
from dataclasses import dataclass
from types import FrameType
from typing import TYPE_CHECKING, Any

from lakeport.inlet.app import Inlet, create_app
from lakeport.inlet.landing import Recovered
from lakeport.inlet.writer import WriterStats

if TYPE_CHECKING:
    from lakeport.config import Config

GRACE_SECONDS = 30


@dataclass(frozen=True)
class InletSummary:
    """What one ``inlet serve`` did; ``to_json()`` is the CLI's JSON."""

    host: str
    port: int
    stats: WriterStats
    recovered: tuple[Recovered, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """``{"host", "port", "requests", "records", "bytes", "fsyncs", "files", "recovered"}``."""
        s = self.stats
        return {
            "host": self.host,
            "port": self.port,
            "requests": s.requests,
            "records": s.records,
            "bytes": s.bytes,
            "fsyncs": s.syncs,
            "files": s.files,
            "recovered": [
                {
                    "file": r.file,
                    "requests": r.requests,
                    "records": r.records,
                    "cutBytes": r.cut_bytes,
                }
                for r in self.recovered
            ],
        }


def serve(cfg: Config, *, host: str = "127.0.0.1", port: int = 8080) -> InletSummary:
    """Serve the inlet of ``cfg`` until SIGTERM / SIGINT; returns what it landed.

    Args:
        cfg: the loaded configuration (``inlet:`` names the datasets and their sources).
        host: the interface to listen on (``0.0.0.0`` for every one).
        port: the TCP port (0: any free one; the ready line on stderr names it).

    Returns:
        The summary of the run.

    Raises:
        SystemExit: uvicorn could not start (the port is taken, for example).
    """
    import uvicorn

    inlet = Inlet(cfg)
    bound: list[int] = [port]

    class Server(uvicorn.Server):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets)
            for server in self.servers:
                for sock in server.sockets:
                    bound[0] = sock.getsockname()[1]
            names = ", ".join(inlet.logs) or "none"
            print(
                f"lakeport: inlet serving on http://{host}:{bound[0]} (datasets: {names})",
                file=sys.stderr,
                flush=True,
            )

    config = uvicorn.Config(
        create_app(inlet),
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="on",
        server_header=False,
        timeout_graceful_shutdown=GRACE_SECONDS,
    )

    def noted(sig: int, frame: FrameType | None) -> None:
        pass  # uvicorn re-raises the signal after its graceful stop: the stop is what we wanted

    previous = {s: signal.signal(s, noted) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        Server(config).run()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    return InletSummary(host, bound[0], inlet.writer.stats, tuple(inlet.recovered))
