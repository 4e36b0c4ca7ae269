"""``lakeport inlet serve``: the HTTP streaming inlet, until SIGTERM or Ctrl-C (exit 0).

No Spark starts unless a request asks for ``?syncValidation=true``. The ready line goes to stderr;
at the end, one summary (``--json``: one JSON object) on stdout.
"""

from __future__ import annotations

from lakeport.cli.context import Context
from lakeport.errors import UsageError


def serve(ctx: Context) -> int:
    from lakeport.api import Lakeport

    args = ctx.args
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port}: use 0-65535 (0 picks a free port)")
    cfg = ctx.config()
    if not cfg.inlet.datasets:
        raise UsageError(
            f"{cfg.path}: inlet.datasets is empty; name the datasets the inlet takes and the "
            "source each one lands in (inlet: {datasets: {people: {source: people_inlet}}})"
        )
    out = Lakeport.serve_inlet(cfg, host=args.host, port=args.port).to_json()
    if ctx.json:
        ctx.emit(out)
    else:
        print(
            f"lakeport: inlet stopped: {out['requests']} request(s), {out['records']} record(s) "
            f"landed in {out['files']} file(s)",
            flush=True,
        )
    return 0
