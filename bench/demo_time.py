"""``lakeport demo`` end to end: wall time of the whole command after set-up (target <= 45 s).

Usage (from the repository root; ``make bench`` runs it last)::

    .venv/bin/python bench/demo_time.py [--runs 3] [--no-results]

Each run is a fresh ``python -m lakeport demo --json`` process (JVM start-up included) on a new
lake and sample directory under ``bench/out/demo``; the demo's own ``seconds`` (after the
session is up) is recorded beside the process's wall time. Results are appended to
bench/RESULTS.md with the machine, the date and the load.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))

import report  # noqa: E402

TARGET_S = 45.0


def one_run(out: Path, i: int) -> dict[str, float | str]:
    root = out / f"run-{i}"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    cmd = [
        sys.executable,
        "-m",
        "lakeport",
        "demo",
        "--json",
        "--lake",
        str(root / "lake"),
        "--out",
        str(root / "sample-data"),
    ]
    load = report.load_text()
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"demo exited {proc.returncode}: {proc.stderr[-2000:]}")
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    shutil.rmtree(root, ignore_errors=True)
    return {"wall": wall, "demo": float(summary["seconds"]), "load": load}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--no-results", action="store_true")
    p.add_argument("--out", type=Path, default=BENCH_DIR / "out" / "demo")
    args = p.parse_args(argv)
    os.chdir(REPO)
    started = datetime.now(timezone.utc)
    started_text = report.date_utc()
    runs = []
    for i in range(args.runs):
        runs.append(one_run(args.out, i))
        print(f"[demo] run {i + 1}: wall {runs[-1]['wall']:.1f} s, demo {runs[-1]['demo']:.1f} s")
    walls = [float(r["wall"]) for r in runs]
    demos = [float(r["demo"]) for r in runs]
    med = report.median(walls)
    verdict = (
        f"**met** ({med:.1f} <= {TARGET_S:g})"
        if med <= TARGET_S
        else (f"**missed** ({med:.1f} > {TARGET_S:g}, by {med - TARGET_S:.1f} s)")
    )
    m = report.machine()
    section = "\n".join(
        [
            f"## {started:%Y-%m-%d %H:%M} UTC: demo_time",
            "",
            f"- date (`date -u` at start): {started_text}, at the end: {report.date_utc()}",
            f"- command: `{' '.join([os.path.relpath(sys.executable, REPO), *sys.argv])}`",
            f"- machine: {m['nproc']} CPUs ({m['cpu']}), {m['memory']}, kernel {m['kernel']}",
            f"- software: Python {m['python']}, pyspark {m['pyspark']}, delta-spark {m['delta-spark']}",
            "- each run: a fresh `python -m lakeport demo --json` process on a new lake (JVM start "
            "included); `demo s` is the demo's own time once its session is up",
            "",
            report.table(
                ["run", "wall s", "demo s", "load avg before (1/5/15 min)"],
                [
                    [
                        i + 1,
                        report.fmt_s(float(r["wall"])),
                        report.fmt_s(float(r["demo"])),
                        r["load"],
                    ]
                    for i, r in enumerate(runs)
                ]
                + [["**median**", f"**{med:.2f}**", f"**{report.median(demos):.2f}**", ""]],
            ),
            "",
            f"Median wall time of `lakeport demo`: {med:.1f} s; target <= {TARGET_S:g} s: {verdict}.",
        ]
    )
    if not args.no_results:
        report.append_section(BENCH_DIR / "RESULTS.md", section)
    print(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
