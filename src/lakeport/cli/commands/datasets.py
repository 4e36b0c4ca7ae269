"""``lakeport datasets list|preview``."""

from __future__ import annotations

from lakeport.cli.context import Context


def list_datasets(ctx: Context) -> int:
    infos = ctx.lakeport().datasets()
    if ctx.json:
        ctx.emit({"datasets": [d.to_json() for d in infos]})
        return 0
    for d in infos:
        print(
            f"{d.name:12s} rows={d.rows!s:>9s} version={d.version!s:>4s} "
            f"last_batch={d.last_batch}  {d.path}"
        )
    return 0


def preview(ctx: Context) -> int:
    args = ctx.args
    df = ctx.lakeport().preview(args.name, args.limit)
    if ctx.json:
        ctx.emit({"dataset": args.name, "rows": [r.asDict(recursive=True) for r in df.collect()]})
    else:
        df.show(args.limit, truncate=40, vertical=args.vertical)
    return 0
