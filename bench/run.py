"""lakeport benchmarks: one SparkSession, several benches, results appended to bench/RESULTS.md.

Usage (from the repository root; ``make bench`` runs the first form)::

    .venv/bin/python bench/run.py [--rows N] [--runs R] [--only NAME[,NAME]] [--dt-runs R]

Benches (see bench/README.md):

``ingest_vs_bare``          bare ``spark.read.json -> delta`` vs ``Lakeport.ingest`` on a
                            clean 1M-record purchases file (target: median ratio <= 1.3)
``bad_rows_cost``           lakeport ingest of the same file with 1 % bad rows vs the clean one
                            (target: median ratio <= 1.1)
``datetime_native_vs_udf``  ``parse_datetime`` vs Python ``@udf`` on 1M ISO strings and 1M epoch
                            millis (no target; agreement on a 10k sample is asserted)
``ingest_phases``           diagnostic, only with --only: where a lakeport ingest spends its time

Inputs are built once under bench/out/data and reused; every lake and Delta table written by a
run is deleted right after it is timed.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import shutil
import sys
import time
import traceback
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))

import datafiles  # noqa: E402
import phases  # noqa: E402
import report  # noqa: E402

CONFIG = REPO / "conf" / "lakeport.yaml"
BENCHES = ("ingest_vs_bare", "bad_rows_cost", "datetime_native_vs_udf", "ingest_phases")
DEFAULT_BENCHES = BENCHES[:3]  # ingest_phases is a diagnostic: --only ingest_phases
WARMUP_LINES = 20_000
TARGETS = {"ingest_vs_bare": 1.3, "bad_rows_cost": 1.1}
EXTRA_CONF = {
    "spark.driver.memory": "4g",
    "spark.ui.enabled": "false",
}


def log(msg: str) -> None:
    print(f"[bench {datetime.now(timezone.utc):%H:%M:%S}] {msg}", flush=True)


class Context:
    """The session, the options, the scratch directories and what has been warmed up."""

    def __init__(self, spark: Any, args: argparse.Namespace, out: Path) -> None:
        self.spark = spark
        self.args = args
        self.out = out
        self.data_dir = out / "data"
        self.runs_dir = out / "runs"
        self.warmed: set[str] = set()
        self._clean: Path | None = None
        self._bad: Path | None = None
        self.jvm_pid: int | None = None
        self.started = time.perf_counter()
        self.done: set[str] = set()
        self._auto_runs: int | None = None
        self.runs_note = ""
        self._schemas: dict[Path, Any] = {}

    # ---- inputs --------------------------------------------------------------------------

    def clean(self) -> Path:
        if self._clean is None:
            self._clean = datafiles.clean_purchases(self.data_dir, self.args.rows)
        return self._clean

    def bad(self) -> Path:
        if self._bad is None:
            self._bad = datafiles.bad_purchases(self.data_dir, self.clean(), self.args.rows)
        return self._bad

    def warm_input(self, source: Path) -> tuple[Path, int]:
        """A small head of ``source`` for untimed warm-ups (JIT, codegen cache); path and records."""
        lines = min(WARMUP_LINES, self.args.rows)
        return datafiles.head_lines(self.data_dir, source, lines), lines

    # ---- how many runs -------------------------------------------------------------------

    def runs(self) -> int:
        """--runs, or (auto) 5 until the first timed pair shows that 5 do not fit the budget."""
        return self.args.runs or self._auto_runs or 5

    def decide_runs(self, bench: str, pair_s: float, lakeport_s: float) -> None:
        """Auto mode: after the first timed pair, keep 5 runs if the projected rest of the
        whole bench fits ``--budget-min``, else 3 (the minimum)."""
        if self.args.runs or self._auto_runs:
            return
        left = self.args.budget_min * 60 - (time.perf_counter() - self.started)

        def cost(r: int) -> float:
            c = (r - 1) * (pair_s + 3)
            if bench == "ingest_vs_bare" and "bad_rows_cost" in self.args.benches:
                c += r * (2 * lakeport_s + 6) + 30
            if (
                "datetime_native_vs_udf" in self.args.benches
                and "datetime_native_vs_udf" not in self.done
            ):
                c += 180
            if "ingest_phases" in self.args.benches and "ingest_phases" not in self.done:
                c += self.args.phase_runs * 4 * lakeport_s + 60
            return c

        self._auto_runs = 5 if cost(5) <= left else 3
        self.runs_note = (
            f"auto: the first {bench} pair took {pair_s:.0f} s (lakeport {lakeport_s:.0f} s); the rest "
            f"projected at {cost(5) / 60:.1f} min with 5 runs, {cost(3) / 60:.1f} min with 3, "
            f"{left / 60:.1f} min left of the {self.args.budget_min:g}-min budget: {self._auto_runs} runs"
        )
        log(self.runs_note)

    # ---- scratch -------------------------------------------------------------------------

    def fresh(self, label: str) -> Path:
        path = self.runs_dir / f"{label}-{uuid.uuid4().hex[:8]}"
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def quiesce(self) -> None:
        """Between timed runs (untimed): a full JVM GC and a short pause."""
        with contextlib.suppress(Exception):
            self.spark.sparkContext._jvm.System.gc()
        time.sleep(1.0)

    # ---- the two ingestion pipelines ---------------------------------------------------------

    def schema(self, path: Path) -> Any:
        """The file's own schema, inferred once and untimed: the bare baseline gets it for free."""
        if path not in self._schemas:
            self._schemas[path] = self.spark.read.json(str(path)).schema
        return self._schemas[path]

    def bare(self, path: Path, label: str) -> float:
        """``spark.read.schema(S).json(path).write.format("delta").save(fresh)``, S given."""
        schema = self.schema(path)
        target = self.fresh(label)
        self.quiesce()
        t0 = time.perf_counter()
        self.spark.read.schema(schema).json(str(path)).write.format("delta").mode("overwrite").save(
            str(target)
        )
        seconds = time.perf_counter() - t0
        shutil.rmtree(target, ignore_errors=True)
        return seconds

    def lakeport(
        self, path: Path, label: str, expect_failed: int = 0, rows: int | None = None
    ) -> tuple[float, dict[str, Any]]:
        """``Lakeport.ingest`` of ``path`` into a fresh lake; returns seconds and the result."""
        from lakeport.api import Lakeport
        from lakeport.config import load_config

        root = self.fresh(label)
        cfg = load_config(CONFIG, lake_root=str(root))
        self.quiesce()
        t0 = time.perf_counter()
        result = Lakeport(self.spark, cfg).ingest("purchases", [str(path)]).to_json()
        seconds = time.perf_counter() - t0
        shutil.rmtree(root, ignore_errors=True)
        m = result["metrics"]
        if (
            result["status"] != "success"
            or m["inputRecordCount"] != (rows or self.args.rows)
            or m["failedRecordCount"] != expect_failed
        ):
            raise AssertionError(
                f"unexpected ingest result for {path.name}: status={result['status']} "
                f"metrics={m} errorSummary={result.get('errorSummary')}"
            )
        return seconds, result


# --------------------------------------------------------------------------------------------
# Bench 1 and 2: ingestion
# --------------------------------------------------------------------------------------------


def _paired(
    ctx: Context,
    name: str,
    a: tuple[str, Callable[[int], float]],
    b: tuple[str, Callable[[int], float]],
) -> dict[str, Any]:
    """Alternate a/b (a first on even runs, b first on odd runs); per-run seconds and ratios b/a."""
    runs: list[dict[str, Any]] = []
    i = 0
    while i < ctx.runs():
        order = [a, b] if i % 2 == 0 else [b, a]
        row: dict[str, Any] = {
            "run": i + 1,
            "order": " then ".join(k for k, _ in order),
            "load_before": report.load_text(),
        }
        for key, fn in order:
            row[key] = fn(i)
            log(f"{name} run {i + 1}/{ctx.runs()}: {key} {row[key]:.2f} s")
        row["ratio"] = row[b[0]] / row[a[0]]
        runs.append(row)
        if i == 0:
            ctx.decide_runs(name, row[a[0]] + row[b[0]], row[b[0]])
        i += 1
    med_a = report.median([r[a[0]] for r in runs])
    med_b = report.median([r[b[0]] for r in runs])
    return {
        "runs": runs,
        "median": {a[0]: med_a, b[0]: med_b},
        "ratio_of_medians": med_b / med_a,
        "median_ratio": report.median([r["ratio"] for r in runs]),
    }


def bench_ingest_vs_bare(ctx: Context) -> dict[str, Any]:
    clean = ctx.clean()
    warm: dict[str, float] = {}
    if not ctx.args.no_warmup:
        small, n = ctx.warm_input(clean)
        log(f"ingest_vs_bare: warm-up on the first {n:,} lines (bare, lakeport; not counted)")
        warm[f"bare ({n:,} lines)"] = ctx.bare(small, "warm-bare")
        warm[f"lakeport ({n:,} lines)"] = ctx.lakeport(small, "warm-lakeport", rows=n)[0]
    res = _paired(
        ctx,
        "ingest_vs_bare",
        ("bare", lambda i: ctx.bare(clean, f"bare-{i}")),
        ("lakeport", lambda i: ctx.lakeport(clean, f"lakeport-{i}")[0]),
    )
    res.update(warmup=warm, input=_describe(clean, ctx.args.rows, 0))
    return res


def bench_bad_rows_cost(ctx: Context) -> dict[str, Any]:
    clean, bad = ctx.clean(), ctx.bad()
    n_bad = ctx.args.rows // datafiles.BAD_EVERY
    expected = datafiles.expected_bad(ctx.args.rows)
    summaries: list[dict[str, int]] = []

    def run_bad(i: int) -> float:
        seconds, result = ctx.lakeport(bad, f"bad-{i}", expect_failed=n_bad)
        summaries.append(dict(result.get("errorSummary") or {}))
        return seconds

    warm: dict[str, float] = {}
    if not ctx.args.no_warmup:
        small_clean, n = ctx.warm_input(clean)
        small_bad, _n = ctx.warm_input(bad)
        log(f"bad_rows_cost: warm-up on the first {n:,} lines (clean, bad; not counted)")
        warm[f"clean ({n:,} lines)"] = ctx.lakeport(small_clean, "warm-clean", rows=n)[0]
        warm[f"bad ({n:,} lines)"] = ctx.lakeport(
            small_bad, "warm-bad", expect_failed=n // datafiles.BAD_EVERY, rows=n
        )[0]
    res = _paired(
        ctx,
        "bad_rows_cost",
        ("clean", lambda i: ctx.lakeport(clean, f"clean-{i}")[0]),
        ("bad", run_bad),
    )
    summary = summaries[-1] if summaries else {}
    res.update(
        warmup=warm,
        input=_describe(bad, ctx.args.rows, n_bad),
        error_summary=summary,
        expected_summary=expected,
        summary_ok=summary == expected,
    )
    return res


def _describe(path: Path, rows: int, bad: int) -> dict[str, Any]:
    return {
        "path": str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path),
        "records": rows,
        "bad": bad,
        "mb": path.stat().st_size / 1e6,
    }


# --------------------------------------------------------------------------------------------
# Bench 3: datetimes, native vs Python UDF
# --------------------------------------------------------------------------------------------

_OFFSETS = [
    (-480, "-08:00"),
    (-300, "-05:00"),
    (0, "Z"),
    (60, "+01:00"),
    (120, "+02:00"),
    (330, "+05:30"),
    (540, "+09:00"),
    (0, "+00:00"),
]


def _conf(spark: Any, key: str) -> str:
    try:
        return str(spark.conf.get(key))
    except Exception:
        return "?"


def datetime_frame(spark: Any, n: int) -> Any:
    """``id``, ``iso`` (ISO 8601 with milliseconds and an offset) and ``ms`` (epoch millis as a
    digit string), generated natively from ``spark.range``; ``utc_us`` is the true instant."""
    from pyspark.sql import functions as F

    base_us = 1_735_776_000 * 1_000_000  # 2025-01-02T00:00:00Z
    idx = (F.col("id") % len(_OFFSETS)) + 1
    minutes = F.element_at(F.array(*[F.lit(m) for m, _ in _OFFSETS]), idx.cast("int"))
    suffix = F.element_at(F.array(*[F.lit(s) for _, s in _OFFSETS]), idx.cast("int"))
    # spread over ~1 year: 31.5 s apart, plus a millisecond part
    utc_us = F.lit(base_us) + F.col("id") * 31_500_000 + (F.col("id") * 7 % 1000) * 1000
    local = F.timestamp_micros(utc_us + minutes.cast("long") * 60_000_000)
    iso = F.concat(F.date_format(local, "yyyy-MM-dd'T'HH:mm:ss.SSS"), suffix)
    return spark.range(0, n, 1, 4).select(
        "id",
        utc_us.alias("utc_us"),
        iso.alias("iso"),
        (utc_us / 1000).cast("long").cast("string").alias("ms"),
    )


def bench_datetime(ctx: Context) -> dict[str, Any]:
    from datetime import datetime as dt
    from datetime import timezone as tz

    from pyspark import StorageLevel
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    from lakeport.transforms.convert import parse_datetime
    from lakeport.transforms.values import strip

    spark, n = ctx.spark, ctx.args.rows

    # no type hints on purpose: pyspark would try to read them as a pandas_udf signature
    @F.udf(returnType=T.TimestampType())
    def iso_udf(s):  # type: ignore[no-untyped-def]
        return None if s is None else dt.fromisoformat(s)

    @F.udf(returnType=T.TimestampType())
    def ms_udf(s):  # type: ignore[no-untyped-def]
        return None if s is None else dt.fromtimestamp(int(s) / 1000, tz.utc)

    cached = datetime_frame(spark, n).persist(StorageLevel.MEMORY_ONLY)
    assert cached.count() == n
    # as the mapping engine runs it: each value's trimmed text is its own projection (computed
    # once per row, inside the timed query), then the parse, then its range check
    df = cached.select("*", strip(F.col("iso")).alias("iso_t"), strip(F.col("ms")).alias("ms_t"))
    iso_parse = parse_datetime(F.col("iso"), text=F.col("iso_t"))
    ms_parse = parse_datetime(F.col("ms"), text=F.col("ms_t"))
    exprs = {
        "iso_native": iso_parse.value,
        "iso_udf": iso_udf(F.col("iso")),
        "ms_native": ms_parse.value,
        "ms_udf": ms_udf(F.col("ms")),
    }

    def staged(parse: Any) -> Any:
        raw = df.select(parse.raw.alias("r"))
        return raw.select(parse.finish(F.col("r")).alias("v"))

    frames = {
        "count": df.select(F.lit(1).alias("v")),
        "passthrough": df.select(F.col("iso").alias("v")),
        "iso_native": staged(iso_parse),
        "iso_udf": df.select(exprs["iso_udf"].alias("v")),
        "ms_native": staged(ms_parse),
        "ms_udf": df.select(exprs["ms_udf"].alias("v")),
    }
    jvm_pid = int(spark.sparkContext._jvm.ProcessHandle.current().pid())

    # agreement on a 10k sample spread over the range (every n/10k-th row), against the truth too
    step = max(1, n // 10_000)
    sample = df.where(F.col("id") % step == 0).limit(10_000)
    truth = F.timestamp_micros(F.col("utc_us"))
    checks = (
        sample.agg(
            F.count(F.lit(1)).alias("rows"),
            F.sum((~exprs["iso_native"].eqNullSafe(exprs["iso_udf"])).cast("int")).alias(
                "iso_mismatch"
            ),
            F.sum((~exprs["ms_native"].eqNullSafe(exprs["ms_udf"])).cast("int")).alias(
                "ms_mismatch"
            ),
            F.sum((~exprs["iso_native"].eqNullSafe(truth)).cast("int")).alias("iso_vs_truth"),
            F.sum(
                (~exprs["ms_native"].eqNullSafe(F.timestamp_millis(F.col("ms").cast("long")))).cast(
                    "int"
                )
            ).alias("ms_vs_truth"),
            F.sum(exprs["iso_native"].isNull().cast("int")).alias("iso_nulls"),
            F.sum(exprs["ms_native"].isNull().cast("int")).alias("ms_nulls"),
        )
        .first()
        .asDict()
    )
    example = sample.select(
        "iso", "ms", exprs["iso_native"].alias("n"), exprs["iso_udf"].alias("u")
    ).first()
    log(f"datetime agreement on {checks['rows']} rows: {checks}")

    cpu: dict[str, list[float]] = {}

    def timed(kind: str) -> float:
        ctx.quiesce()
        c0 = report.tree_cpu_seconds(jvm_pid)
        t0 = time.perf_counter()
        got = frames[kind].agg(F.count("v")).first()[0]
        seconds = time.perf_counter() - t0
        cpu.setdefault(kind, []).append(report.tree_cpu_seconds(jvm_pid) - c0)
        if got != n:
            raise AssertionError(f"{kind}: {got} non-null values of {n}")
        return seconds

    kinds = ["count", "passthrough", "iso_native", "iso_udf", "ms_native", "ms_udf"]
    if not ctx.args.no_warmup:
        log("datetime: warm-up of every variant (not counted)")
        for k in kinds:
            timed(k)
        cpu.clear()
    runs: dict[str, list[float]] = {k: [] for k in kinds}
    for i in range(ctx.args.dt_runs):
        order = kinds[i % len(kinds) :] + kinds[: i % len(kinds)]
        for k in order:
            runs[k].append(timed(k))
        log(
            f"datetime run {i + 1}/{ctx.args.dt_runs}: "
            + ", ".join(f"{k} {runs[k][-1]:.2f}" for k in kinds)
        )
    cached.unpersist()
    med = {k: report.median(v) for k, v in runs.items()}
    if checks["iso_mismatch"] or checks["ms_mismatch"]:
        raise AssertionError(f"native and UDF results disagree: {checks}")
    return {
        "runs": runs,
        "median": med,
        "cpu": {k: report.median(v) for k, v in cpu.items()},
        "checks": checks,
        "example": {
            "iso": example["iso"],
            "ms": example["ms"],
            "native": str(example["n"]),
            "udf": str(example["u"]),
        },
        "arrow_udf": _conf(spark, "spark.sql.execution.pythonUDF.arrow.enabled"),
    }


# --------------------------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------------------------


def _verdict(name: str, ratio: float) -> str:
    target = TARGETS[name]
    return (
        f"**met** ({ratio:.2f} <= {target})"
        if ratio <= target
        else f"**missed** ({ratio:.2f} > {target})"
    )


def md_paired(name: str, res: dict[str, Any], a: str, b: str, title: str) -> str:
    inp = res["input"]
    lines = [
        f"### {name}",
        "",
        title,
        "",
        f"Input: `{inp['path']}`, {inp['records']:,} records ({inp['bad']:,} bad), {inp['mb']:.1f} MB.",
        "",
    ]
    if res.get("warmup"):
        lines += [
            "Warm-up (not counted): "
            + ", ".join(f"{k} {v:.2f} s" for k, v in res["warmup"].items()),
            "",
        ]
    rows = [
        [
            r["run"],
            r["order"],
            report.fmt_s(r[a]),
            report.fmt_s(r[b]),
            f"{r['ratio']:.2f}",
            r["load_before"],
        ]
        for r in res["runs"]
    ]
    rows.append(
        [
            "**median**",
            "",
            f"**{report.fmt_s(res['median'][a])}**",
            f"**{report.fmt_s(res['median'][b])}**",
            f"**{res['median_ratio']:.2f}**",
            "",
        ]
    )
    lines.append(
        report.table(
            ["run", "order", f"{a} s", f"{b} s", f"{b}/{a}", "load avg before (1/5/15 min)"], rows
        )
    )
    lines += [
        "",
        f"Median of per-run ratios {b}/{a}: **{res['median_ratio']:.2f}** "
        f"(ratio of medians {res['ratio_of_medians']:.2f}); target <= {TARGETS[name]}: "
        f"{_verdict(name, res['median_ratio'])}.",
    ]
    if "error_summary" in res:
        ok = "matches" if res["summary_ok"] else "DOES NOT match"
        lines += [
            "",
            f"Error summary of the bad-file batch: `{res['error_summary']}` ({ok} the expected "
            f"`{res['expected_summary']}`).",
        ]
    return "\n".join(lines)


def md_datetime(res: dict[str, Any], rows: int) -> str:
    med, cpu = res["median"], res.get("cpu", {})
    labels = {
        "count": "bare `count()` of the cached frame",
        "passthrough": "`count(iso)` (string passed through)",
        "iso_native": "`parse_datetime(iso)`: text, parse, range check as three projections",
        "iso_udf": "`udf(iso)`, `datetime.fromisoformat`",
        "ms_native": "`parse_datetime(ms)`: text, parse, range check as three projections",
        "ms_udf": "`udf(ms)`, `datetime.fromtimestamp(ms/1000, utc)`",
    }
    table_rows = []
    for k, label in labels.items():
        vs = ""
        if k.endswith("_udf"):
            r = med[k] / med[k.replace("_udf", "_native")]
            vs = f"{r:.2f}x native ({'UDF slower' if r > 1 else 'UDF faster'})"
        elif k.endswith("_native"):
            vs = f"{med[k] / med['passthrough']:.2f}x passthrough"
        table_rows.append(
            [
                label,
                report.fmt_runs(res["runs"][k]),
                f"**{report.fmt_s(med[k])}**",
                f"{cpu[k]:.2f}" if k in cpu else "?",
                vs,
            ]
        )
    c = res["checks"]
    ex = res["example"]

    def over(kind: str, d: dict[str, float]) -> float:
        return max(d[kind] - d["passthrough"], 1e-9)

    lines = [
        "### datetime_native_vs_udf",
        "",
        f"{rows:,} rows cached in memory (`spark.range`, 4 partitions): `iso` = ISO 8601 with milliseconds and an "
        "offset (8 offsets incl. `Z`, `+05:30`), `ms` = epoch milliseconds as a digit string. The native parse runs "
        "as the mapping engine runs it (the trimmed text, the parse and the range check each their own projection); "
        "each variant is forced with `.agg(F.count(v))`. Python UDFs use Arrow "
        f"(`spark.sql.execution.pythonUDF.arrow.enabled={res['arrow_udf']}`, the 4.2 default). CPU s = user + system "
        "seconds of the driver JVM and its Python workers (`/proc`), median of the runs.",
        "",
        report.table(["variant", "runs (s)", "median s", "CPU s", "ratio"], table_rows),
        "",
        f"Wall time, whole query: UDF/native ISO **{med['iso_udf'] / med['iso_native']:.2f}x**, millis "
        f"**{med['ms_udf'] / med['ms_native']:.2f}x**. The parse alone (over the pass-through): wall ISO "
        f"{over('iso_native', med):.2f} s native vs {over('iso_udf', med):.2f} s UDF "
        f"(**{over('iso_udf', med) / over('iso_native', med):.2f}x**), millis {over('ms_native', med):.2f} vs "
        f"{over('ms_udf', med):.2f} s (**{over('ms_udf', med) / over('ms_native', med):.2f}x**)",
    ]
    if cpu:
        lines[-1] += (
            f"; CPU ISO {over('iso_native', cpu):.2f} vs {over('iso_udf', cpu):.2f} s "
            f"(**{over('iso_udf', cpu) / over('iso_native', cpu):.2f}x**), millis {over('ms_native', cpu):.2f} vs "
            f"{over('ms_udf', cpu):.2f} s (**{over('ms_udf', cpu) / over('ms_native', cpu):.2f}x**)"
        )
    lines[-1] += ". Target: native >= 3x faster than the UDF."
    lines += [
        "",
        f"Agreement on a {c['rows']:,}-row sample (every {max(1, rows // 10_000)}th row): native vs UDF mismatches "
        f"ISO **{c['iso_mismatch']}**, millis **{c['ms_mismatch']}** (asserted 0); native vs the generated instant: "
        f"ISO {c['iso_vs_truth']}, millis {c['ms_vs_truth']}; native nulls: ISO {c['iso_nulls']}, millis {c['ms_nulls']}. "
        f"Example: `{ex['iso']}` -> native `{ex['native']}`, UDF `{ex['udf']}`.",
    ]
    return "\n".join(lines)


def command_line() -> str:
    exe = sys.executable
    with contextlib.suppress(ValueError):
        exe = os.path.relpath(exe, os.getcwd()) if Path(exe).is_relative_to(Path.cwd()) else exe
    prefix = "make bench -> " if os.environ.get("MAKELEVEL") else ""
    return f"{prefix}cd {os.getcwd()} && {shlex.join([exe, *sys.argv])}"


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--rows", type=int, default=1_000_000, help="records per input (default 1,000,000)"
    )
    p.add_argument(
        "--runs",
        type=int,
        default=None,
        help="timed runs per variant, ingestion benches (default: 5 if the projected total fits "
        "--budget-min, else 3)",
    )
    p.add_argument(
        "--budget-min",
        type=float,
        default=20,
        help="wall-time budget in minutes for choosing the default --runs (default 20)",
    )
    p.add_argument(
        "--dt-runs", type=int, default=3, help="timed runs per variant, datetime bench (default 3)"
    )
    p.add_argument(
        "--phase-runs", type=int, default=1, help="runs of the ingest_phases diagnostic (default 1)"
    )
    p.add_argument(
        "--only",
        action="append",
        default=[],
        help=f"run only these benches (repeat or comma-separate): {', '.join(BENCHES)}; "
        f"default: {', '.join(DEFAULT_BENCHES)}",
    )
    p.add_argument("--no-warmup", action="store_true", help="skip the untimed warm-up runs")
    p.add_argument(
        "--results", type=Path, default=BENCH_DIR / "RESULTS.md", help="Markdown file to append to"
    )
    p.add_argument(
        "--out", type=Path, default=BENCH_DIR / "out", help="scratch directory (git-ignored)"
    )
    args = p.parse_args(argv)
    only = [n.strip() for item in args.only for n in item.split(",") if n.strip()]
    unknown = [n for n in only if n not in BENCHES]
    if unknown:
        p.error(f"unknown bench {unknown}; choose from {', '.join(BENCHES)}")
    args.benches = [b for b in BENCHES if b in only] if only else list(DEFAULT_BENCHES)
    if (args.runs is not None and args.runs < 1) or args.dt_runs < 1 or args.phase_runs < 1:
        p.error("--runs, --dt-runs and --phase-runs must be >= 1")
    if args.rows < 1000:
        p.error("--rows must be >= 1000")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.chdir(REPO)
    started = time.perf_counter()
    date = report.date_utc()
    cmd = command_line()
    load_start = report.load_text()
    code_start = report.code_fingerprint(REPO / "src" / "lakeport")
    log(
        f"benches: {', '.join(args.benches)}; rows={args.rows:,} runs={args.runs or 'auto'} "
        f"dt-runs={args.dt_runs}; "
        f"load {load_start}"
    )

    from lakeport.config import load_config
    from lakeport.session import get_spark

    out = args.out.resolve()
    (out / "runs").mkdir(parents=True, exist_ok=True)
    base_cfg = load_config(CONFIG, lake_root=str(out / "runs" / "unused-lake"))
    t0 = time.perf_counter()
    spark = get_spark(
        base_cfg, extra_conf={**EXTRA_CONF, "spark.sql.warehouse.dir": str(out / "spark-warehouse")}
    )
    session_s = time.perf_counter() - t0
    ctx = Context(spark, args, out)
    ctx.started = started
    try:
        ctx.jvm_pid = int(spark.sparkContext._jvm.ProcessHandle.current().pid())
    except Exception:
        ctx.jvm_pid = None
    others_start = report.other_spark_jvms(ctx.jvm_pid)
    log(
        f"SparkSession in {session_s:.1f} s ({spark.sparkContext.master}); other Spark JVMs now: {others_start}"
    )

    results: dict[str, Any] = {}
    errors: dict[str, str] = {}
    loads: dict[str, tuple[str, str, int]] = {}
    bench_seconds: dict[str, float] = {}
    interrupted = False
    fns: dict[str, Callable[[Context], dict[str, Any]]] = {
        "ingest_vs_bare": bench_ingest_vs_bare,
        "bad_rows_cost": bench_bad_rows_cost,
        "datetime_native_vs_udf": bench_datetime,
        "ingest_phases": lambda c: phases.bench_phases(c, CONFIG, runs=c.args.phase_runs, log=log),
    }
    try:
        for name in args.benches:
            before = report.load_text()
            b0 = time.perf_counter()
            log(f"--- {name} (load {before}) ---")
            try:
                results[name] = fns[name](ctx)
            except KeyboardInterrupt:
                errors[name] = "interrupted (KeyboardInterrupt); the later benches did not run"
                interrupted = True
            except Exception as exc:
                errors[name] = "".join(traceback.format_exception(exc))
                log(f"{name} FAILED: {type(exc).__name__}: {exc}")
            ctx.done.add(name)
            bench_seconds[name] = time.perf_counter() - b0
            loads[name] = (before, report.load_text(), report.other_spark_jvms(ctx.jvm_pid))
            if interrupted:
                break
    finally:
        shutil.rmtree(out / "runs", ignore_errors=True)
        shutil.rmtree(out / "spark-warehouse", ignore_errors=True)
        total = time.perf_counter() - started
        code_end = report.code_fingerprint(REPO / "src" / "lakeport")
        code = (
            code_start
            if code_end == code_start
            else (
                f"{code_start} at start, {code_end} at the end: **jobs/ changed during the run**; "
                "each module was imported once, at its first use"
            )
        )
        section = render(
            args,
            date,
            cmd,
            load_start,
            others_start,
            session_s,
            results,
            errors,
            loads,
            bench_seconds,
            total,
            spark,
            ctx.runs_note,
            code,
        )
        report.append_section(args.results, section)
        log(f"appended a section to {args.results}")
        print(summary(results, errors, total), flush=True)
        spark.stop()
    return 130 if interrupted else (1 if errors else 0)


def render(
    args: argparse.Namespace,
    date: str,
    cmd: str,
    load_start: str,
    others_start: int,
    session_s: float,
    results: dict[str, Any],
    errors: dict[str, str],
    loads: dict[str, tuple[str, str, int]],
    bench_seconds: dict[str, float],
    total: float,
    spark: Any,
    ctx_runs_note: str,
    code: str,
) -> str:
    m = report.machine()
    now = datetime.now(timezone.utc)
    runs_text = str(args.runs) if args.runs else (ctx_runs_note or "auto (not needed)")
    lines = [
        f"## {now:%Y-%m-%d %H:%M} UTC: {', '.join(args.benches)}",
        "",
        f"- date (`date -u` at start): {date}",
        f"- command: `{cmd}`",
        f"- machine: {m['nproc']} CPUs ({m['cpu']}), {m['memory']}, kernel {m['kernel']}",
        f"- software: Python {m['python']}, pyspark {m['pyspark']}, delta-spark {m['delta-spark']}, "
        f"pyarrow {m['pyarrow']}; {m['java']}",
        f"- session: `{spark.sparkContext.master}`, one SparkSession for all benches (started in {session_s:.1f} s), "
        f"driver memory {_conf(spark, 'spark.driver.memory')}, shuffle partitions "
        f"{_conf(spark, 'spark.sql.shuffle.partitions')}, AQE {_conf(spark, 'spark.sql.adaptive.enabled')}",
        f"- rows {args.rows:,}; runs per ingestion variant: {runs_text} (a/b order alternates); "
        f"{args.dt_runs} per datetime variant; warm-up "
        f"{'off' if args.no_warmup else f'on (one untimed run per variant: on the first {WARMUP_LINES:,} lines for ingestion)'}; "
        "a JVM GC and 1 s pause before every timed run",
        f"- code under test: `src/lakeport/` fingerprint {code}",
        f"- load average (1/5/15 min) at start: {load_start}; other Spark JVMs on the machine at start: {others_start}",
        f"- total wall time {total / 60:.1f} min",
        "",
    ]
    high = [
        n
        for n, (b, a, _o) in loads.items()
        if max(float(b.split(" / ")[0]), float(a.split(" / ")[0])) > 1.5
    ]
    lines.append(
        report.table(
            ["bench", "seconds", "load before", "load after", "other Spark JVMs after"],
            [[n, f"{bench_seconds[n]:.0f}", b, a, o] for n, (b, a, o) in loads.items()],
        )
    )
    lines.append("")
    if high:
        lines += [
            f"Load note: the 1-minute load average exceeded 1.5 (of 2 CPUs) around {', '.join(high)}; "
            "other processes (e.g. test suites) shared the CPUs, so those numbers may be inflated.",
            "",
        ]
    for name in args.benches:
        if name in errors:
            lines += [f"### {name}", "", "FAILED:", "", "```", errors[name].rstrip(), "```", ""]
            continue
        res = results.get(name)
        if res is None:
            continue
        if name == "ingest_vs_bare":
            lines += [
                md_paired(
                    name,
                    res,
                    "bare",
                    "lakeport",
                    '(a) bare `spark.read.schema(S).json(path).write.format("delta").save(fresh)` '
                    "with the file's own schema S given for free (inferred once, untimed) vs (b) "
                    '`Lakeport(spark, cfg).ingest("purchases", [path])` into a fresh lake '
                    "(claim, dataset commit, catalog row, event).",
                ),
                "",
            ]
        elif name == "bad_rows_cost":
            lines += [
                md_paired(
                    name,
                    res,
                    "clean",
                    "bad",
                    "lakeport ingest of the clean file vs the same file with every 100th line replaced "
                    '(rotating: `purchase_time` "2025-02-30T10:00:00Z", no `transaction_id`, '
                    "the line `not json`); each into a fresh lake.",
                ),
                "",
            ]
        elif name == "datetime_native_vs_udf":
            lines += [md_datetime(res, args.rows), ""]
        elif name == "ingest_phases":
            lines += [phases.markdown(res), ""]
    return "\n".join(lines)


def summary(results: dict[str, Any], errors: dict[str, str], total: float) -> str:
    out = ["", f"=== lakeport bench summary ({total / 60:.1f} min) ==="]
    for name in BENCHES:
        if name in errors:
            out.append(f"{name:24s} FAILED (see RESULTS.md)")
            continue
        res = results.get(name)
        if res is None:
            continue
        if name in ("ingest_vs_bare", "bad_rows_cost"):
            a, b = list(res["median"])
            met = "met" if res["median_ratio"] <= TARGETS[name] else "MISSED"
            out.append(
                f"{name:24s} {a} {res['median'][a]:.2f}s  {b} {res['median'][b]:.2f}s  "
                f"ratio {res['median_ratio']:.2f} (target <= {TARGETS[name]}: {met})"
            )
        elif name == "datetime_native_vs_udf":
            m = res["median"]
            out.append(
                f"{name:24s} count {m['count']:.2f}s pass {m['passthrough']:.2f}s | ISO native "
                f"{m['iso_native']:.2f}s udf {m['iso_udf']:.2f}s ({m['iso_udf'] / m['iso_native']:.1f}x) | "
                f"ms native {m['ms_native']:.2f}s udf {m['ms_udf']:.2f}s ({m['ms_udf'] / m['ms_native']:.1f}x) "
                f"| mismatches {res['checks']['iso_mismatch']}+{res['checks']['ms_mismatch']}"
            )
        elif name == "ingest_phases":
            out.append(f"{name:24s} " + phases.summary_line(res))
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
