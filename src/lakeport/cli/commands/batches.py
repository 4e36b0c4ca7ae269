"""``lakeport ingest`` and ``lakeport batch create|upload|complete|abort|status|list|errors``."""

from __future__ import annotations

import contextlib
import time
from typing import Any

from lakeport.cli.context import Context, local_paths
from lakeport.cli.fastpath import served
from lakeport.errors import BatchError, LakeportError
from lakeport.lake.records import BatchResult


def partial_overrides(args: Any) -> dict[str, Any]:
    """The partial-ingestion flags given on the command line."""
    out: dict[str, Any] = {}
    if getattr(args, "partial", None) is not None:
        out["enabled"] = args.partial
    if getattr(args, "error_threshold_percent", None) is not None:
        out["enabled"] = True if args.partial is None else args.partial
        out["error_threshold_percent"] = args.error_threshold_percent
    if getattr(args, "error_threshold_count", None) is not None:
        out["enabled"] = True if args.partial is None else args.partial
        out["error_threshold_count"] = args.error_threshold_count
    if getattr(args, "diagnostics", None) is not None:
        out["diagnostics"] = args.diagnostics
    return out


def _summary_on_failure(ctx: Context, batch_id: str) -> None:
    """The failed batch's JSON, printed after the error line (the summary is a courtesy)."""
    with contextlib.suppress(LakeportError):
        ctx.on_failure = ctx.lakeport().batch(batch_id).to_json()


def _print(ctx: Context, result: BatchResult) -> None:
    if ctx.json:
        ctx.emit(result.to_json())
        return
    m = result.metrics
    print(f"batch {result.batch_id}  dataset={result.dataset}  status={result.status}")
    if m.input_records is not None:
        print(
            f"  records: {m.input_records} in, {m.output_records} landed, {m.failed_records} failed"
            f" ({m.warning_records or 0} with warnings); files: {m.input_files}, "
            f"bytes: {m.input_bytes}"
        )
    for code, n in result.error_summary.items():
        print(f"  {code:32s} {n}")
    if result.error_code:
        print(f"  error {result.error_code}: {result.error_message}")


def ingest(ctx: Context) -> int:
    """Create, upload and complete a batch in one step; always prints the batch as JSON."""
    args = ctx.args
    lp = ctx.lakeport()
    started = time.monotonic()
    try:
        result = lp.ingest(
            args.dataset,
            local_paths(args.files),
            batch_id=args.batch_id,
            replace=args.replace,
            partial=partial_overrides(args),
        )
    except BatchError as exc:
        if exc.batch_id:
            _summary_on_failure(ctx, exc.batch_id)
        raise
    ctx.emit(result.with_duration(time.monotonic() - started).to_json())
    return 0


def create(ctx: Context) -> int:
    args = ctx.args
    result = ctx.lakeport().create_batch(
        args.dataset,
        batch_id=args.batch_id,
        input_format=args.format,
        replace=args.replace,
        partial=partial_overrides(args),
    )
    _print(ctx, result)
    return 0


def upload(ctx: Context) -> int:
    _print(ctx, ctx.lakeport().upload(ctx.args.batch_id, local_paths(ctx.args.files)))
    return 0


def complete(ctx: Context) -> int:
    try:
        result = ctx.lakeport().complete(ctx.args.batch_id)
    except BatchError:
        if ctx.json:
            _summary_on_failure(ctx, ctx.args.batch_id)
        raise
    _print(ctx, result)
    return 0


def abort(ctx: Context) -> int:
    _print(ctx, ctx.lakeport().abort(ctx.args.batch_id))
    return 0


def status(ctx: Context) -> int:
    batch_id = ctx.args.batch_id
    result = served(ctx, lambda lake: lake.batch(batch_id))  # without Spark when it can
    _print(ctx, result if result is not None else ctx.lakeport().batch(batch_id))
    return 0


def list_batches(ctx: Context) -> int:
    dataset = ctx.args.dataset
    found = served(ctx, lambda lake: lake.batches(dataset))
    rows = [r.to_json() for r in (found if found is not None else ctx.lakeport().batches(dataset))]
    if ctx.json:
        ctx.emit({"batches": rows})
        return 0
    for r in rows:
        m = r["metrics"]
        print(
            f"{r['batch_id']:32s} {r['dataset']:12s} {r['status']:10s} "
            f"in={m['inputRecordCount']} out={m['outputRecordCount']} "
            f"failed={m['failedRecordCount']}"
        )
    return 0


def errors(ctx: Context) -> int:
    args = ctx.args
    severity = None if args.severity == "all" else args.severity
    rows = served(
        ctx,
        lambda lake: lake.errors(
            args.batch_id, code=args.code, severity=severity, limit=args.limit
        ),
    )
    if rows is None:
        df = ctx.lakeport().errors(args.batch_id, code=args.code, severity=severity)
        rows = [r.asDict(recursive=True) for r in df.limit(args.limit).collect()]
    if ctx.json:  # one object, as everywhere else; --format jsonl streams one per record
        ctx.emit({"batch_id": args.batch_id, "records": rows})
    elif args.format == "jsonl":
        for r in rows:
            ctx.emit(r)
    else:
        for r in rows:
            codes = ", ".join(f"{e['code']}({e['field'] or '-'})" for e in r["errors"])
            tag = f"{r['severity']}  " if severity is None else ""  # --severity all: say which
            where = f"{r['source_file'].rsplit('/', 1)[-1]}:{r['line']}"
            print(f"{where}  {tag}{codes}  {r['raw'][:80]}")
    return 0
