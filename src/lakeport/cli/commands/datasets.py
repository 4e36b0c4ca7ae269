"""``lakeport datasets list|preview``."""

from __future__ import annotations

from lakeport.cli.context import Context
from lakeport.cli.fastpath import served


def list_datasets(ctx: Context) -> int:
    infos = served(ctx, lambda lake: lake.datasets())  # without Spark when it can
    if infos is None:
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
    """The first rows by ingestion, then by their own columns (the same rows on both paths)."""
    args = ctx.args
    if ctx.json:
        rows = served(ctx, lambda lake: lake.preview(args.name, args.limit))
        if rows is not None:
            ctx.emit({"dataset": args.name, "rows": rows})
            return 0
    else:
        text = served(
            ctx, lambda lake: lake.preview_text(args.name, args.limit, vertical=args.vertical)
        )
        if text is not None:
            print(text)  # as df.show() prints it
            return 0
    from lakeport.readonly import order_frame

    df = order_frame(ctx.lakeport().table(args.name), args.limit)
    if ctx.json:
        ctx.emit({"dataset": args.name, "rows": [r.asDict(recursive=True) for r in df.collect()]})
    else:
        df.show(args.limit, truncate=40, vertical=args.vertical)
    return 0
