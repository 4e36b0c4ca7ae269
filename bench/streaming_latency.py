"""Streaming latency: from a file landing in a source's location to its rows readable in Delta.

One local[2] SparkSession runs ``lakeport.sources.start_stream`` on a small project (one profile
dataset, one source) with ``--trigger`` (default 1s). Files of ``--rows`` JSON lines land one at
a time (written under a hidden name, then renamed, as producers should), each after the previous
one is readable, after a random pause of 0 to 1 s so landings fall at every phase of the trigger.
Latency = the time from the rename to the first Delta commit of the dataset whose rows include the
file (the log directory is polled every 20 ms, then a read confirms the rows). Prints p50/p95 and
appends a section to bench/RESULTS.md.

    .venv/bin/python bench/streaming_latency.py [--files 30] [--rows 1000] [--trigger 1s]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(0, str(REPO))

import report  # noqa: E402

SCHEMA = """
name: people
class: profile
fields:
  id: {type: string, required: true, identity: {namespace: personId, primary: true}}
  name: {type: object, fields: {first: {type: string}}}
  age: {type: integer, minimum: 0}
  signup: {type: datetime}
"""
MAPPING = """
schema: people
fields:
  - {target: id, source: id}
  - {target: name.first, source: first_name}
  - {target: age, source: age}
  - {target: signup, source: signup}
"""
CONFIG = """
lake: {root: ./lake}
spark:
  conf: {spark.sql.shuffle.partitions: 2, spark.driver.memory: 2g}
datasets:
  people: {schema: people, mapping: people, format: json}
sources:
  landing: {location: LANDING, glob: "*.jsonl", dataset: people}
"""


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=30)
    parser.add_argument("--rows", type=int, default=1000, help="JSON lines per file")
    parser.add_argument("--trigger", default="1s")
    parser.add_argument("--results", default=str(BENCH_DIR / "RESULTS.md"))
    parser.add_argument("--no-results", action="store_true", help="print only")
    args = parser.parse_args(argv)

    from lakeport import sources
    from lakeport.config import load_config
    from lakeport.session import get_spark

    date = report.date_utc()
    load_before = report.load_text()
    work = BENCH_DIR / "out" / "runs" / f"streaming-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    (work / "conf" / "mappings").mkdir(parents=True)
    (work / "schemas").mkdir()
    landing = work / "landing"
    landing.mkdir()
    (work / "schemas" / "people.yaml").write_text(SCHEMA)
    (work / "conf" / "mappings" / "people.yaml").write_text(MAPPING)
    (work / "conf" / "lakeport.yaml").write_text(CONFIG.replace("LANDING", str(landing)))
    cfg = load_config(work / "conf" / "lakeport.yaml", lake_root=str(work / "lake"))
    started = time.monotonic()
    spark = get_spark(cfg)
    session_s = time.monotonic() - started
    log_dir = work / "lake" / "datasets" / "people" / "_delta_log"
    rng = random.Random(7)
    latencies: list[float] = []
    stream = sources.start_stream(spark, cfg, "landing", trigger=args.trigger)
    try:
        for i in range(-1, args.files):  # file -1 warms the JVM up and is not counted
            time.sleep(rng.random())
            name = f"f{i + 1:04d}.jsonl"
            body = "".join(
                json.dumps(
                    {
                        "id": f"p{i + 1}-{n}",
                        "first_name": "Ada",
                        "age": n % 90,
                        "signup": "2026-11-23T10:00:00Z",
                    }
                )
                + "\n"
                for n in range(args.rows)
            )
            (landing / f".{name}").write_text(body)
            before = set(os.listdir(log_dir)) if log_dir.exists() else set()
            os.rename(landing / f".{name}", landing / name)
            landed = time.monotonic()
            seen_at = None
            deadline = landed + 300
            while seen_at is None:
                if time.monotonic() > deadline:
                    raise SystemExit(f"{name} did not land within 300 s")
                now = set(os.listdir(log_dir)) if log_dir.exists() else set()
                if any(n.endswith(".json") for n in now - before):
                    t = time.monotonic()
                    rows = (
                        spark.read.format("delta")
                        .load(str(log_dir.parent))
                        .where(f"_source_file like '%/{name}'")
                        .count()
                    )
                    if rows == args.rows:
                        seen_at = t
                    before = now
                else:
                    time.sleep(0.02)
            if i >= 0:
                latencies.append(seen_at - landed)
                print(f"{name}: {latencies[-1]:.2f} s", flush=True)
    finally:
        stream.stop()
    p50, p95 = percentile(latencies, 50), percentile(latencies, 95)
    mean = statistics.mean(latencies)
    print(f"p50 {p50:.2f} s, p95 {p95:.2f} s, mean {mean:.2f} s, n={len(latencies)}")
    shutil.rmtree(work, ignore_errors=True)
    if args.no_results:
        return 0
    m = report.machine()
    text = f"""## {date}: streaming_latency

- date (`date -u` at start): {date}
- command: `cd {REPO} && .venv/bin/python bench/streaming_latency.py {" ".join(argv if argv is not None else sys.argv[1:])}`
- machine: {m["nproc"]} CPUs ({m["cpu"]}), {m["memory"]}, kernel {m["kernel"]}
- software: Python {m["python"]}, pyspark {m["pyspark"]}, delta-spark {m["delta-spark"]}; {m["java"]}
- session: `local[2]` started in {session_s:.1f} s; `lakeport sources stream` (binaryFile file stream, foreachBatch -> the batch pipeline), trigger {args.trigger}
- {args.files} files of {args.rows} JSON lines, landed one at a time (hidden name, then rename) after a random 0-1 s pause, each after the previous one was readable; one warm-up file not counted
- load average (1/5/15 min) before: {load_before}; after: {report.load_text()}

Latency from the rename into the landing directory to the dataset's Delta commit holding the file's rows (seconds):

{report.table(["p50", "p95", "mean", "min", "max", "n"], [[f"**{p50:.2f}**", f"**{p95:.2f}**", f"{mean:.2f}", f"{min(latencies):.2f}", f"{max(latencies):.2f}", len(latencies)]])}

Per file: {report.fmt_runs(latencies)}
"""
    report.append_section(Path(args.results), text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
