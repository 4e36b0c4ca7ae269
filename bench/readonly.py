"""The read-only commands with and without Spark: whole-process wall time of `lakeport CMD --json`.

On the demo's lake (`lakeport demo` into a temporary directory, plus a source over two landed
purchase files and a third one waiting, for `sources status`), each of the seven read-only
commands runs as its own process: `--fast-runs` times on the read-only path (delta-rs, no JVM)
and `--spark-runs` times with `LAKEPORT_READONLY=off` (the Spark path), the two interleaved. Every
run's stdout must be the same bytes on both paths. Prints medians and appends a dated section to
bench/RESULTS.md (machine, `date`, `nproc`, load before and after each command); target: every
command under 2 s on the read-only path.

    .venv/bin/python bench/readonly.py [--fast-runs 5] [--spark-runs 3] [--lake DIR] [--no-results]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))

import report  # noqa: E402

TARGET_S = 2.0
SOURCE = """
sources:
  demo_landing: {location: LANDING, glob: "*.jsonl", dataset: purchases}
"""
COMMANDS = [
    ("batch status", ["batch", "status", "demo-purchases"]),
    ("batch list", ["batch", "list"]),
    ("batch errors", ["batch", "errors", "demo-purchases"]),
    ("datasets list", ["datasets", "list"]),
    ("datasets preview", ["datasets", "preview", "purchases"]),
    ("sources status", ["sources", "status", "demo_landing"]),
    (
        "profiles get",
        ["profiles", "get", "--namespace", "loyaltyId", "--id", "L0000042", "--events"],
    ),
]


def lakeport(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lakeport", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=1800,
        check=False,
    )


def prepare(work: Path, lake: Path) -> Path:
    """The demo's lake (unless it exists), a project with one source, and that source run once."""
    project = work / "project"
    shutil.copytree(REPO / "conf", project / "conf")
    shutil.copytree(REPO / "schemas", project / "schemas")
    landing = work / "landing"
    landing.mkdir()
    config = project / "conf" / "lakeport.yaml"
    config.write_text(config.read_text() + SOURCE.replace("LANDING", str(landing)))
    if not (lake / "system" / "batches").exists():
        started = time.monotonic()
        proc = lakeport("demo", "--out", str(work / "sample"), "--lake", str(lake))
        assert proc.returncode == 0, proc.stderr[-3000:]
        print(f"demo lake written in {time.monotonic() - started:.0f} s", flush=True)
        purchases = (work / "sample" / "purchases.jsonl").read_text().splitlines(keepends=True)
    else:
        proc = lakeport("sample-data", "--out", str(work / "sample"))
        assert proc.returncode == 0, proc.stderr[-3000:]
        purchases = (work / "sample" / "purchases.jsonl").read_text().splitlines(keepends=True)
    for i, name in enumerate(("a.jsonl", "b.jsonl")):
        (landing / name).write_text("".join(purchases[i * 100 : (i + 1) * 100]))
    proc = lakeport(
        "sources", "run", "demo_landing", "--json", "--config", str(config), "--lake", str(lake)
    )
    assert proc.returncode in (0, 1), proc.stderr[-3000:]
    (landing / "c.jsonl").write_text("".join(purchases[200:300]))  # waiting for the next run
    return config


def timed(args: list[str], config: Path, lake: Path, mode: str) -> tuple[float, str]:
    """One run's wall time and stdout; a run that fails (the shared tree caught mid-edit) is
    tried again after a pause, up to three times."""
    for attempt in range(3):
        started = time.monotonic()
        proc = lakeport(
            *args,
            "--json",
            "--config",
            str(config),
            "--lake",
            str(lake),
            env={"LAKEPORT_READONLY": mode},
        )
        took = time.monotonic() - started
        if proc.returncode == 0:
            return took, proc.stdout
        last = proc.stderr.strip().splitlines()[-1:]
        print(f"  {' '.join(args)} ({mode}) failed, attempt {attempt + 1}: {last}", flush=True)
        time.sleep(60)
    raise AssertionError((args, mode, proc.stderr[-3000:]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast-runs", type=int, default=5)
    parser.add_argument("--spark-runs", type=int, default=3)
    parser.add_argument(
        "--lake", help="reuse this demo lake (written by `lakeport demo` if absent)"
    )
    parser.add_argument("--results", default=str(BENCH_DIR / "RESULTS.md"))
    parser.add_argument("--no-results", action="store_true", help="print only")
    argv = sys.argv[1:] if argv is None else argv
    args = parser.parse_args(argv)

    date = report.date_utc()
    facts = report.machine()
    load_start = report.load_text()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="lakeport-readonly-") as tmp:
        work = Path(tmp)
        lake = Path(args.lake).resolve() if args.lake else work / "lake"
        config = prepare(work, lake)
        rows, results = [], {}
        for label, cmd in COMMANDS:
            before = report.load_text()
            fast: list[float] = []
            spark: list[float] = []
            outputs: set[str] = set()
            for i in range(max(args.fast_runs, args.spark_runs)):
                if i < args.fast_runs:
                    took, out = timed(cmd, config, lake, "on")
                    fast.append(took)
                    outputs.add(out)
                if i < args.spark_runs:
                    took, out = timed(cmd, config, lake, "off")
                    spark.append(took)
                    outputs.add(out)
            assert len(outputs) == 1, f"{label}: the two paths printed different JSON"
            f_med, s_med = report.median(fast), report.median(spark)
            results[label] = {"fast": fast, "spark": spark}
            rows.append(
                [
                    f"`lakeport {' '.join(cmd)} --json`",
                    report.fmt_runs(fast),
                    f"**{report.fmt_s(f_med)}**",
                    report.fmt_runs(spark),
                    f"**{report.fmt_s(s_med)}**",
                    f"{s_med / f_med:.0f}x",
                    "met" if f_med < TARGET_S else "**not met**",
                    before,
                    report.load_text(),
                ]
            )
            print(f"{label:18s} read-only {f_med:6.2f} s   Spark {s_med:6.2f} s", flush=True)
    total = time.monotonic() - started
    headers = [
        "command",
        "read-only runs (s)",
        "median",
        "Spark runs (s)",
        "median",
        "Spark/read-only",
        f"< {TARGET_S:.0f} s",
        "load before",
        "load after",
    ]
    text = "\n".join(
        [
            f"## readonly: the seven read-only commands, delta-rs vs Spark ({date})",
            "",
            f"- date (`date -u` at start): {date}",
            f"- command: `cd {REPO} && .venv/bin/python bench/readonly.py"
            + (" " + " ".join(argv) if argv else "")
            + "`",
            f"- machine: {facts['nproc']} CPUs (`nproc`; {facts['cpu']}), {facts['memory']}, "
            f"kernel {facts['kernel']}",
            f"- software: Python {facts['python']}, pyspark {facts['pyspark']}, delta-spark "
            f"{facts['delta-spark']}, deltalake {_version('deltalake')}; {facts['java']}",
            "- lake: `lakeport demo` (4 batches, 1,000 profiles per policy) plus one source "
            "(2 files ingested, 1 waiting); each run is a fresh `python -m lakeport` process, "
            "read-only and Spark runs interleaved; both printed the same stdout in every run",
            f"- load average (1/5/15 min) at start: {load_start}; at the end: "
            f"{report.load_text()}; other Spark JVMs at the end: {report.other_spark_jvms()}",
            f"- total wall time {total / 60:.1f} min",
            "",
            report.table(headers, rows),
            "",
        ]
    )
    print(text)
    print(json.dumps(results))
    if not args.no_results:
        report.append_section(Path(args.results), text)
    return 0


def _version(pkg: str) -> str:
    import importlib.metadata

    try:
        return importlib.metadata.version(pkg)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


if __name__ == "__main__":
    raise SystemExit(main())
