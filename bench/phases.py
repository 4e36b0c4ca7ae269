"""Diagnostic bench ``ingest_phases``: where a lakeport ingest of the clean file spends its time.

Per run, on the clean input:

1. ``Lakeport.ingest`` with the pipeline's steps wrapped in timers (in this process only; no file
   under ``src/`` changes): the catalog claim, file listing, ``validated_frame`` (checks, JSON key
   discovery on a 1,000-line sample, mapping), the one pass that writes the data files inside a
   Delta transaction, the error rows, the dataset commit, and the catalog row and event written
   concurrently. Every Spark job is tagged with the step that ran it (job description), so the
   job count per step is exact.
2. The bare baseline split into ``spark.read.json`` (full-file schema inference: one pass) and the
   Delta write (a second pass).
3. Pieces of the lakeport pipeline without commit, each written to the ``noop`` sink: the
   reader alone (text read + ``from_json``) and ``validated_frame`` (everything up to the split).
"""

from __future__ import annotations

import shutil
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sparkjobs import JobCapture

RESIDUAL = "(outside the wrapped steps)"


class StepTimer:
    """Wraps module functions: wall time per call, nesting depth, and a Spark job description."""

    def __init__(self, spark: Any) -> None:
        self.spark = spark
        self.records: list[tuple[str, int, float]] = []
        self.order: list[tuple[str, int]] = []  # (label, depth) in the order steps were entered
        self.depth = 0
        self._restore: list[tuple[Any, str, Any]] = []

    def wrap(self, owner: Any, attr: str, label: str) -> None:
        original = getattr(owner, attr)
        sc = self.spark.sparkContext

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            previous = sc.getLocalProperty("spark.job.description")
            sc.setLocalProperty("spark.job.description", label)
            # steps may run in threads (the catalog row and the event): the depth at entry is kept
            depth = self.depth
            if (label, depth) not in self.order:
                self.order.append((label, depth))
            self.depth += 1
            t0 = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.depth -= 1
                self.records.append((label, depth, time.perf_counter() - t0))
                sc.setLocalProperty("spark.job.description", previous)

        setattr(owner, attr, wrapper)
        self._restore.append((owner, attr, original))

    def restore(self) -> None:
        for owner, attr, original in reversed(self._restore):
            setattr(owner, attr, original)
        self._restore.clear()

    def totals(self) -> dict[tuple[str, int], float]:
        out: dict[tuple[str, int], float] = {}
        for label, depth, seconds in self.records:
            out[(label, depth)] = out.get((label, depth), 0.0) + seconds
        return out

    def calls(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for label, _depth, _s in self.records:
            out[label] = out.get(label, 0) + 1
        return out


def _instrumented_ingest(ctx: Any, config: Path, path: Path, label: str) -> dict[str, Any]:
    from lakeport.api import Lakeport
    from lakeport.config import load_config
    from lakeport.lake import fs
    from lakeport.lake.txn import Txn
    from lakeport.pipeline import commit, frame, lifecycle, process
    from lakeport.pipeline.commit import Staged

    spark = ctx.spark
    timer = StepTimer(spark)
    steps = [
        (lifecycle, "list_inputs", "list input files (ingest)"),
        (lifecycle, "process", "process (the batch)"),
        (process, "claim_batch", "catalog: claim_batch (system/batches: processing row)"),
        (fs, "list_files", "fs.list_files"),
        (process, "mapped_batch", "mapped_batch (checks, sample, plan; no action but the sample)"),
        (frame, "resolve_mapping", "resolve_mapping"),
        (frame, "compile_mapping", "compile_mapping (once per batch; thousands of JVM calls)"),
        (process, "observed", "observed (metrics; lazy)"),
        (process, "stage", "stage: the one pass (read, parse, map, validate, write data files)"),
        (commit, "conform", "conform (lazy)"),
        (Txn, "__init__", "Txn: DeltaLog.forTable + startTransaction"),
        (Txn, "write", "Txn.write (writeFiles: the pass)"),
        (process, "write_errors", "write_errors (system/errors, flagged lines only)"),
        (Staged, "commit", "Staged.commit (the dataset's one Delta commit)"),
        (process, "finish", "finish (catalog success row + event, concurrently)"),
        (process, "record_batches", "catalog: record_batches (system/batches append)"),
        (process, "write_events", "events.write (system/events append)"),
    ]
    for owner, attr, step_label in steps:
        if hasattr(owner, attr):
            timer.wrap(owner, attr, step_label)
    root = ctx.fresh(label)
    cfg = load_config(config, lake_root=str(root))
    ctx.quiesce()
    sc = spark.sparkContext
    try:
        with JobCapture(spark, label) as cap:
            sc.setLocalProperty("spark.job.description", RESIDUAL)
            t0 = time.perf_counter()
            result = Lakeport(spark, cfg).ingest("purchases", [str(path)])
            total = time.perf_counter() - t0
    finally:
        timer.restore()
        shutil.rmtree(root, ignore_errors=True)
    assert result.status == "success", result
    totals = timer.totals()
    top = sum(s for (_label, depth), s in totals.items() if depth == 0)
    steps_out = {f"{'  ' * depth}{lbl}": totals[(lbl, depth)] for lbl, depth in timer.order}
    steps_out[RESIDUAL] = total - top
    jobs = cap.jobs()
    return {"total": total, "steps": steps_out, "calls": timer.calls(), "jobs": jobs}


def _timed(ctx: Any, fn: Callable[[], Any]) -> float:
    ctx.quiesce()
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _bare_split(ctx: Any, path: Path, label: str) -> dict[str, Any]:
    spark = ctx.spark
    target = ctx.fresh(label)
    ctx.quiesce()
    with JobCapture(spark, label) as cap:
        t0 = time.perf_counter()
        df = spark.read.json(str(path))
        t1 = time.perf_counter()
        df.write.format("delta").mode("overwrite").save(str(target))
        t2 = time.perf_counter()
    shutil.rmtree(target, ignore_errors=True)
    return {"infer": t1 - t0, "write": t2 - t1, "total": t2 - t0, "jobs": cap.jobs()}


def _pipeline_pieces(ctx: Any, config: Path, path: Path) -> dict[str, float]:
    from lakeport.config import load_config
    from lakeport.config.plan import resolve_mapping
    from lakeport.lake import fs
    from lakeport.pipeline.frame import validated_frame
    from lakeport.readers import get_reader

    spark = ctx.spark
    cfg = load_config(config, lake_root=str(ctx.fresh("pieces")))
    ds = cfg.dataset("purchases")
    options = ds.config.options
    files = fs.list_files(spark, [str(path)])
    out: dict[str, float] = {}

    reader = get_reader(ds.config.format)
    header = reader.check(spark, files, options, "bench")
    info = reader.discover(spark, files, options, header)
    plan = resolve_mapping(ds.mapping, ds.schema_spec, info.fields, ds.entries)
    source = reader.read(spark, files, options, plan, ds.schema_spec, info)
    out["text read only (`spark.read.text` -> noop)"] = _timed(
        ctx,
        lambda: (
            spark.read.text([f.path for f in files]).write.format("noop").mode("overwrite").save()
        ),
    )
    out["reader.read (text + from_json) -> noop"] = _timed(
        ctx, lambda: source.write.format("noop").mode("overwrite").save()
    )
    t0 = time.perf_counter()
    frame, _report = validated_frame(spark, ds, files, options, "bench")
    out["validated_frame build (driver: checks, sample, plan)"] = time.perf_counter() - t0
    out["validated_frame -> noop (read+parse+map+validate)"] = _timed(
        ctx, lambda: frame.write.format("noop").mode("overwrite").save()
    )
    return out


PLAN_TOKENS = ("regexp_replace(", "RLIKE(", "try_cast(", "CASE WHEN", "upper(", "from_json(")
COLUMN_LINES = 100_000


def _columns_and_plan(ctx: Any, config: Path, path: Path, lines: int) -> dict[str, Any]:
    """Per output column of ``validated_frame``: seconds to compute it alone (``noop`` sink) on
    the first ``lines`` lines; and how often costly functions occur in the optimized plan."""
    import datafiles

    from lakeport.config import load_config
    from lakeport.lake import fs
    from lakeport.pipeline.frame import validated_frame

    spark = ctx.spark
    head = datafiles.head_lines(ctx.data_dir, path, lines)
    cfg = load_config(config, lake_root=str(ctx.fresh("columns")))
    ds = cfg.dataset("purchases")
    files = fs.list_files(spark, [str(head)])
    frame, _report = validated_frame(spark, ds, files, ds.config.options, "bench")
    optimized = str(frame._jdf.queryExecution().optimizedPlan().toString())
    tokens = {t: optimized.count(t) for t in PLAN_TOKENS}
    _timed(ctx, lambda: frame.write.format("noop").mode("overwrite").save())  # warm
    columns = {
        "(all columns)": _timed(ctx, lambda: frame.write.format("noop").mode("overwrite").save())
    }
    parses = {"(all columns)": tokens["from_json("]}
    for c in frame.columns:
        plan_c = str(frame.select(c)._jdf.queryExecution().optimizedPlan().toString())
        parses[c] = plan_c.count("from_json(")
        # the first run of each new plan pays its code generation and compilation: not counted
        _timed(ctx, lambda c=c: frame.select(c).write.format("noop").mode("overwrite").save())
        columns[c] = _timed(
            ctx, lambda c=c: frame.select(c).write.format("noop").mode("overwrite").save()
        )
    return {
        "lines": lines,
        "columns": columns,
        "from_json": parses,
        "plan_chars": len(optimized),
        "plan_tokens": tokens,
    }


def bench_phases(
    ctx: Any, config: Path, *, runs: int, log: Callable[[str], None]
) -> dict[str, Any]:
    clean = ctx.clean()
    if not ctx.args.no_warmup:
        small, n = ctx.warm_input(clean)
        log(f"ingest_phases: warm-up on the first {n:,} lines (not counted)")
        ctx.lakeport(small, "warm-phases", rows=n)
    ingests, bares, pieces = [], [], []
    for i in range(runs):
        ingests.append(_instrumented_ingest(ctx, config, clean, f"phases-{i}"))
        bares.append(_bare_split(ctx, clean, f"phases-bare-{i}"))
        try:
            pieces.append(_pipeline_pieces(ctx, config, clean))
        except Exception as exc:  # internal APIs: report, do not lose the run
            pieces.append({f"pieces failed: {type(exc).__name__}: {exc}"[:200]: float("nan")})
        log(
            f"ingest_phases run {i + 1}/{runs}: lakeport {ingests[-1]['total']:.2f} s "
            f"({len(ingests[-1]['jobs'])} jobs), bare {bares[-1]['total']:.2f} s ({len(bares[-1]['jobs'])} jobs)"
        )
    try:
        columns = _columns_and_plan(ctx, config, clean, min(COLUMN_LINES, ctx.args.rows))
    except Exception as exc:
        columns = {"error": f"{type(exc).__name__}: {exc}"[:300]}
    log(f"ingest_phases: per-column costs {columns}")
    return {"ingests": ingests, "bares": bares, "pieces": pieces, "columns": columns}


def _med(values: list[float]) -> float:
    clean = [v for v in values if v == v]
    return statistics.median(clean) if clean else float("nan")


def _job_groups(jobs: list[dict[str, Any]]) -> dict[str, tuple[int, float]]:
    out: dict[str, tuple[int, float]] = {}
    for j in jobs:
        n, s = out.get(j["description"] or "(none)", (0, 0.0))
        out[j["description"] or "(none)"] = (n + 1, s + (j["seconds"] or 0.0))
    return out


def markdown(res: dict[str, Any]) -> str:
    ingests, bares, pieces = res["ingests"], res["bares"], res["pieces"]
    total = _med([r["total"] for r in ingests])
    bare_total = _med([b["total"] for b in bares])
    labels: list[str] = []
    for r in ingests:
        labels += [k for k in r["steps"] if k not in labels]
    last_groups = _job_groups(ingests[-1]["jobs"])
    rows = []
    for k in labels:
        med = _med([r["steps"].get(k, 0.0) for r in ingests])
        n_jobs, job_s = last_groups.get(k.strip(), (0, 0.0))
        calls = ingests[-1]["calls"].get(k.strip(), 1 if k == RESIDUAL else 0)
        rows.append(
            [
                k.replace("  ", "&nbsp;&nbsp;&nbsp;"),
                calls,
                f"{med:.2f}",
                f"{med / total * 100:.0f} %",
                n_jobs,
                f"{job_s:.2f}",
            ]
        )
    rows.append(
        [
            "**lakeport ingest total**",
            "",
            f"**{total:.2f}**",
            "100 %",
            len(ingests[-1]["jobs"]),
            f"{sum(j['seconds'] or 0 for j in ingests[-1]['jobs']):.2f}",
        ]
    )
    bare_rows = [
        [
            "`spark.read.json(path)` (schema inference: full pass)",
            f"{_med([b['infer'] for b in bares]):.2f}",
        ],
        [
            "`.write.format('delta').save()` (second pass)",
            f"{_med([b['write'] for b in bares]):.2f}",
        ],
        ["**bare total**", f"**{bare_total:.2f}**"],
    ]
    piece_labels: list[str] = []
    for p in pieces:
        piece_labels += [k for k in p if k not in piece_labels]
    piece_rows = [
        [k, f"{_med([p.get(k, float('nan')) for p in pieces]):.2f}"] for k in piece_labels
    ]
    bare_groups = _job_groups(bares[-1]["jobs"])
    jobs_rows = [
        [
            j["id"] - ingests[-1]["jobs"][0]["id"],
            j["description"] or "(none)",
            j["stages"],
            j["tasks"],
            f"{j['seconds'] or 0:.2f}",
        ]
        for j in ingests[-1]["jobs"]
    ]
    return "\n".join(
        [
            "### ingest_phases (diagnostic)",
            "",
            f"Medians of {len(ingests)} runs on the clean input. Steps are timed by wrapping `lakeport` functions in this "
            "process (indented = nested inside the step above); the last row is what the ingest spent outside "
            "every wrapped step. Jobs and job seconds are from the last run "
            "(Spark status store, jobs tagged by step).",
            "",
            report_table(["step", "calls", "median s", "share", "Spark jobs", "job s"], rows),
            "",
            f"Bare baseline split (median; {len(bares[-1]['jobs'])} Spark jobs: "
            + ", ".join(f"{k or '(none)'} x{n}" for k, (n, _s) in bare_groups.items())
            + "):",
            "",
            report_table(["bare step", "median s"], bare_rows),
            "",
            "lakeport pipeline pieces on their own (median, `noop` sink, no commit):",
            "",
            report_table(["piece", "median s"], piece_rows),
            "",
            *_columns_md(res.get("columns") or {}),
            "<details><summary>Spark jobs of the last instrumented ingest</summary>",
            "",
            report_table(["#", "step (job description)", "stages", "tasks", "s"], jobs_rows),
            "",
            "</details>",
        ]
    )


def report_table(headers: list[str], rows: list[list[Any]]) -> str:
    import report

    return report.table(headers, rows)


def summary_line(res: dict[str, Any]) -> str:
    ingests = res["ingests"]
    total = _med([r["total"] for r in ingests])
    resid = _med([r["steps"][RESIDUAL] for r in ingests])
    bare = _med([b["total"] for b in res["bares"]])
    return (
        f"lakeport {total:.2f}s ({len(ingests[-1]['jobs'])} jobs; outside the steps {resid:.2f}s, in them "
        f"{total - resid:.2f}s) vs bare {bare:.2f}s ({len(res['bares'][-1]['jobs'])} jobs)"
    )


def _columns_md(col: dict[str, Any]) -> list[str]:
    if not col:
        return []
    if "error" in col:
        return [f"Per-column costs: failed ({col['error']}).", ""]
    parses = col.get("from_json", {})
    rows = [
        [f"`{k}`" if not k.startswith("(") else k, f"{v:.2f}", parses.get(k, "?")]
        for k, v in col["columns"].items()
    ]
    tokens = ", ".join(f"`{k.rstrip('(')}` x{v}" for k, v in col["plan_tokens"].items())
    return [
        f"Each output column of `validated_frame` computed alone (`select(col)` -> `noop`, first "
        f"{col['lines']:,} lines, the second of two runs, so code generation is not counted):",
        "",
        report_table(["column", "s", "`from_json` calls in its plan"], rows),
        "",
        "Read a single column's time as an upper bound: with one column selected the optimizer "
        "collapses the projections and inlines `from_json` into every reference to the parsed "
        "struct (see the last column), so each row is parsed several times; the real pipeline "
        "(all columns) parses once.",
        "",
        f"The optimized plan of `validated_frame` is {col['plan_chars']:,} characters and contains {tokens} "
        "(the mapping has one datetime field, so copies of `parse_datetime`'s functions beyond one tree are "
        "the same sub-expression inlined again, re-evaluated per row unless Spark can share it).",
        "",
    ]
