"""Bench: connected components vs GraphX, and profile builds (full vs +1 %) at scale.

Not a test: nothing here fails a build. Each measurement runs in its own Python + JVM process
(``--phase``), so the peak resident memory (the JVM's VmHWM, the Python driver's ru_maxrss)
belongs to that measurement alone.

Synthetic data (generated with Spark, no Python on row paths):

- ``components``: identity graphs whose sizes follow a long-tailed distribution (60 % of people
  have 2 identities, 25 % 3, 10 % 4, 5 % 5-12), links as stars around each person's primary id;
- ``super-nodes``: 5 shared values (think a store's phone number) each linked to 2,000 people:
  without guardrails they would collapse 10,000 people into 5 profiles; the graph cap must stop
  them (a profile build reports the dropped links).

Measurements:

1. ``cc``: connected components on the same links in the same run: lakeport's default path (the
   links fit the driver budget: Arrow + vectorised union-find), lakeport's Spark rounds (budget
   0: large/small-star with pruning, every round on Spark) and GraphX's ``connectedComponents``
   (GraphX ships with pyspark; GraphFrames has no Spark 4.2 build), each in a fresh JVM.
2. ``build``: a full ``lakeport profiles build`` of a synthetic ``people`` profile dataset
   (primary + email + phone identities; the batches are in the batch catalog as the pipeline
   records them), then an incremental build after +1 % new records (half of them joining
   existing people), vs the full build; target incremental/full <= 0.25. Per-phase seconds come
   from the build summary (``phaseSeconds``).

Usage::

    .venv/bin/python bench/profiles_bench.py                          # cc on 1M links; builds at 200k and 1M people
    .venv/bin/python bench/profiles_bench.py --skip-cc --people 200000
    .venv/bin/python bench/profiles_bench.py --skip-cc --people 0 --build-links 10000000 --driver-memory 12g
    .venv/bin/python bench/profiles_bench.py --links 100000 --people 20000 --no-results   # a quick look
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

SUPER_NODES = 5
SUPER_FANOUT = 2000


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _spark(lake: str | None = None) -> Any:
    from lakeport.config import load_config
    from lakeport.session import get_spark

    cfg = load_config(REPO / "conf" / "lakeport.yaml", lake_root=lake or "/tmp/unused-lake")
    return get_spark(
        cfg,
        extra_conf={
            "spark.driver.memory": os.environ.get("BENCH_DRIVER_MEMORY", "6g"),
            "spark.driver.maxResultSize": "4g",
            "spark.sql.shuffle.partitions": "8",
            "spark.ui.enabled": "false",
        },
    )


def _peak_rss_mb(spark: Any) -> float:
    pid = spark._jvm.java.lang.ProcessHandle.current().pid()
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def _python_peak_mb() -> float:
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _people_count(links: int) -> int:
    # expected links per person: 0.6*1 + 0.25*2 + 0.1*3 + 0.05*7.5 = 1.775
    return max(1000, int(links / 1.775))


def _size_expr() -> str:
    u = "pmod(xxhash64(p, 7), 1000)"
    return (
        f"CASE WHEN {u} < 600 THEN 2 WHEN {u} < 850 THEN 3 WHEN {u} < 950 THEN 4 "
        f"ELSE 5 + pmod(xxhash64(p, 11), 8) END"
    )


def gen_links(spark: Any, links: int, out: str) -> int:
    """Raw links (src long, dst long) as Parquet + a GraphX edge-list text copy."""
    from pyspark.sql import functions as F

    people = _people_count(links)
    base = spark.range(people).withColumnRenamed("id", "p").withColumn("k", F.expr(_size_expr()))
    stars = base.select(
        (F.col("p") * 16).alias("src"), F.explode(F.sequence(F.lit(1), F.col("k") - 1)).alias("j")
    ).select("src", (F.col("src") + F.col("j")).alias("dst"))
    supers = (
        spark.range(SUPER_NODES * SUPER_FANOUT)
        .select(
            (-1 - (F.col("id") % SUPER_NODES)).alias("src"),
            (F.pmod(F.xxhash64("id"), F.lit(people)) * 16).alias("dst"),
        )
        .select(F.least("src", "dst").alias("src"), F.greatest("src", "dst").alias("dst"))
    )
    edges = stars.unionByName(supers)
    edges.write.mode("overwrite").parquet(f"{out}/links.parquet")
    # GraphX wants non-negative vertex ids in a text edge list
    spark.read.parquet(f"{out}/links.parquet").select(
        F.concat_ws(" ", F.col("src") + 1_000_000, F.col("dst") + 1_000_000)
    ).write.mode("overwrite").text(f"{out}/links.txt")
    return int(spark.read.parquet(f"{out}/links.parquet").count())


def phase_cc(out: str, engine: str) -> dict[str, Any]:
    spark = _spark()
    from pyspark.sql import functions as F

    from lakeport.profiles.components import DRIVER_MAX_LINKS, connected_components

    spark.sparkContext.setCheckpointDir(f"{out}/ckpt")
    t0 = time.monotonic()
    if engine in ("lakeport", "driver", "spark"):
        edges = spark.read.parquet(f"{out}/links.parquet")
        budget = 0 if engine == "spark" else DRIVER_MAX_LINKS
        comps = connected_components(spark, edges, driver_max_links=budget)
        nodes = int(comps.count())  # the work forced, as GraphX's vertex count below
        seconds = round(time.monotonic() - t0, 1)
        components = int(comps.agg(F.countDistinct("component")).first()[0])  # not timed
    else:
        jvm = spark._jvm
        storage = jvm.org.apache.spark.storage.StorageLevel.MEMORY_AND_DISK()
        graph = jvm.org.apache.spark.graphx.GraphLoader.edgeListFile(
            spark.sparkContext._jsc.sc(), f"{out}/links.txt", False, 8, storage, storage
        )
        vertices = graph.ops().connectedComponents().vertices()
        nodes = int(vertices.count())
        seconds = round(time.monotonic() - t0, 1)
        components = -1  # not computed for GraphX (the vertex count is the work forced)
    res = {"seconds": seconds, "nodes": nodes, "components": components}
    res["peakRssMb"] = _peak_rss_mb(spark)
    res["pythonPeakMb"] = _python_peak_mb()
    spark.stop()
    return res


PEOPLE_SCHEMA = """
name: people
class: profile
fields:
  personId: {type: string, required: true, identity: {namespace: personId, primary: true}}
  email: {type: string, identity: {namespace: email}}
  phone: {type: string, identity: {namespace: phone}}
  firstName: {type: string}
  city: {type: string}
"""
PEOPLE_CONFIG = """
lake: {root: ./lake}
datasets:
  people: {schema: people}
profiles:
  policies:
    timestamp_ordered: {merge: timestamp_ordered}
"""


def _project(out: str) -> Path:
    root = Path(out) / "project"
    (root / "conf").mkdir(parents=True, exist_ok=True)
    (root / "schemas").mkdir(exist_ok=True)
    (root / "schemas" / "people.yaml").write_text(PEOPLE_SCHEMA)
    (root / "conf" / "lakeport.yaml").write_text(PEOPLE_CONFIG)
    return root / "conf" / "lakeport.yaml"


def _people_rows(spark: Any, people: int, start: int, batch: str, at: str) -> Any:
    """Profile rows: each person has rows whose (email, phone) link its identities."""
    from pyspark.sql import functions as F

    base = (
        spark.range(start, start + people)
        .withColumnRenamed("id", "p")
        .withColumn("k", F.expr(_size_expr()))
    )
    # row r of person p: primary P<p>-<r>; email e<p> on every row (links the rows); phone on
    # the first row; 1 in 1000 people also carry a shared store phone (the super-nodes)
    rows = base.select(
        "p", F.explode(F.sequence(F.lit(0), F.greatest(F.col("k") - 3, F.lit(0)))).alias("r")
    )
    shared = F.concat(F.lit("store-"), (F.pmod(F.xxhash64("p"), F.lit(SUPER_NODES))).cast("string"))
    return rows.select(
        F.concat(
            F.lit("P"), F.col("p").cast("string"), F.lit("-"), F.col("r").cast("string")
        ).alias("personId"),
        F.concat(F.lit("e"), F.col("p").cast("string"), F.lit("@example.com")).alias("email"),
        F.when(F.pmod(F.xxhash64("p", F.lit(3)), F.lit(1000)) < 2, shared)
        .when(F.col("r") == 0, F.concat(F.lit("+1-"), F.col("p").cast("string")))
        .alias("phone"),
        F.concat(F.lit("name"), F.col("r").cast("string")).alias("firstName"),
        F.concat(F.lit("city"), F.pmod(F.col("p"), F.lit(97)).cast("string")).alias("city"),
        F.lit(batch).alias("_batch_id"),
        F.lit(at).cast("timestamp").alias("_ingested_at"),
        F.lit(f"{batch}.jsonl").alias("_source_file"),
    )


def _write_batch(spark: Any, lake: str, df: Any, batch: str, mode: str) -> None:
    """Write a batch's rows and record it in the catalog, as the pipeline does."""
    from lakeport.lake.catalog import record_batch
    from lakeport.lake.clock import utc_now
    from lakeport.lake.delta import delta_version
    from lakeport.lake.layout import Lake
    from lakeport.lake.records import BatchRecord

    path = Lake(lake).dataset_path("people")
    df.write.format("delta").mode(mode).save(path)
    record_batch(
        spark,
        Lake(lake),
        BatchRecord(
            batch,
            "people",
            "success",
            created_at=utc_now(),
            completed_at=utc_now(),
            delta_version=delta_version(spark, path),
        ),
    )


def phase_build(out: str, people: int, step: str) -> dict[str, Any]:
    from pyspark.sql import functions as F

    from lakeport import profiles
    from lakeport.config import load_config
    from lakeport.lake.layout import Lake

    lake = f"{out}/lake"
    spark = _spark(lake)
    cfg = load_config(_project(out), lake_root=lake)
    path = Lake(lake).dataset_path("people")
    if step == "full":
        rows = _people_rows(spark, people, 0, "base", "2026-01-01 00:00:00")
        _write_batch(spark, lake, rows, "base", "overwrite")
    else:
        extra = max(10, people // 100)
        new = _people_rows(spark, extra // 2, people, "plus1", "2026-01-02 00:00:00")
        # the other half: new rows of existing people (their email links them in)
        joining = _people_rows(spark, extra // 2, 0, "plus1", "2026-01-02 00:00:00").withColumn(
            "personId", F.concat(F.col("personId"), F.lit("-new"))
        )
        _write_batch(spark, lake, new.unionByName(joining), "plus1", "append")
    rows = spark.read.format("delta").load(path).count()
    t0 = time.monotonic()
    summary = profiles.build(spark, cfg).to_json()
    seconds = round(time.monotonic() - t0, 1)
    res = {
        "seconds": seconds,
        "datasetRows": rows,
        "graph": summary["identityGraph"],
        "policy": summary["policies"]["timestamp_ordered"],
        "peakRssMb": _peak_rss_mb(spark),
        "pythonPeakMb": _python_peak_mb(),
        "load": os.getloadavg()[0],
    }
    spark.stop()
    return res


def _run_phase(*args: str) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--phase", *args]
    log("running " + " ".join(args))
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-4000:])
        raise SystemExit(f"phase {args} failed with exit code {proc.returncode}")
    res: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    res["loadAfter"] = round(os.getloadavg()[0], 1)
    log(f"  -> {res.get('seconds')} s, load {res['loadAfter']}")
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--links", type=int, default=1_000_000, help="links of the components bench")
    ap.add_argument("--people", default="200000,1000000", help="people of each build bench")
    ap.add_argument("--build-links", type=int, default=0, help="also a build of this many links")
    ap.add_argument("--skip-cc", action="store_true", help="no connected-components part")
    ap.add_argument("--skip-graphx", action="store_true")
    ap.add_argument("--skip-spark-path", action="store_true", help="not the budget-0 Spark path")
    ap.add_argument("--driver-memory", default="6g")
    ap.add_argument("--no-results", action="store_true", help="do not append to bench/RESULTS.md")
    ap.add_argument("--out", default=None, help="work directory (default: a temp dir)")
    ap.add_argument("--phase", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.phase:
        kind, out, *rest = args.phase
        if kind == "gen":
            spark = _spark()
            print(json.dumps({"links": gen_links(spark, int(rest[0]), out)}))
        elif kind == "cc":
            print(json.dumps(phase_cc(out, rest[0])))
        else:
            print(json.dumps(phase_build(out, int(rest[0]), rest[1])))
        return 0

    os.environ["BENCH_DRIVER_MEMORY"] = args.driver_memory
    base = args.out or tempfile.mkdtemp(prefix="lakeport-profiles-bench-")
    started = datetime.now(timezone.utc)
    results: dict[str, Any] = {"links": args.links, "driverMemory": args.driver_memory}
    results["loadBefore"] = [round(x, 1) for x in os.getloadavg()]
    if not args.skip_cc:
        out = f"{base}/cc"
        results["generated"] = _run_phase("gen", out, str(args.links))
        results["cc_driver"] = _run_phase("cc", out, "driver")
        if not args.skip_spark_path:
            results["cc_spark"] = _run_phase("cc", out, "spark")
        if not args.skip_graphx:
            results["cc_graphx"] = _run_phase("cc", out, "graphx")
    people = [int(p) for p in args.people.split(",") if p.strip() and int(p)]
    if args.build_links:
        people.append(_people_count(args.build_links))
    results["builds"] = []
    for n in people:
        out = f"{base}/build-{n}"
        full = _run_phase("build", out, str(n), "full")
        inc = _run_phase("build", out, str(n), "plus1")
        results["builds"].append({"people": n, "full": full, "incremental": inc})
    print(json.dumps(results, indent=2))
    if not args.no_results:
        (REPO / "bench" / "RESULTS.md").open("a").write(render(results, started))
    return 0


def _phases(part: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in (part.get("phaseSeconds") or {}).items())


def render(res: dict[str, Any], started: datetime) -> str:
    load = os.getloadavg()
    before = res["loadBefore"]
    lines = [
        "",
        f"## profiles_bench ({started:%Y-%m-%d %H:%M} UTC)",
        "",
        f"Machine: {platform.node()}, {os.cpu_count()} cores, {platform.platform()}; load averages "
        f"before {before[0]} / {before[1]} / {before[2]}, at the end {load[0]:.1f} / {load[1]:.1f} / "
        f"{load[2]:.1f} (the load after each row is in its last column). Each row is one fresh "
        f"process (local[2], driver {res['driverMemory']}, 8 shuffle partitions); peak RSS is the "
        "JVM's VmHWM + the Python driver's max RSS.",
        "",
        "| measurement | seconds | peak RSS JVM + Python (MB) | notes | load |",
        "| --- | --- | --- | --- | --- |",
    ]

    def rss(part: dict[str, Any]) -> str:
        return f"{part['peakRssMb']} + {part.get('pythonPeakMb', '?')}"

    if "cc_driver" in res:
        cc = res["cc_driver"]
        gx = res.get("cc_graphx")
        lines.append(
            f"| connected components, lakeport (default: driver finish) | {cc['seconds']} | {rss(cc)} | "
            f"{res['generated']['links']:,} links, {cc['nodes']:,} nodes, {cc['components']:,} "
            f"components"
            + (f"; lakeport/GraphX = **{cc['seconds'] / gx['seconds']:.2f}x**" if gx else "")
            + f" | {cc['loadAfter']} |"
        )
        if "cc_spark" in res:
            sp = res["cc_spark"]
            lines.append(
                f"| connected components, lakeport (Spark rounds, budget 0) | {sp['seconds']} | "
                f"{rss(sp)} | same links, same labels"
                + (f"; lakeport/GraphX = {sp['seconds'] / gx['seconds']:.2f}x" if gx else "")
                + f" | {sp['loadAfter']} |"
            )
        if gx:
            lines.append(
                f"| connected components, GraphX `connectedComponents` | {gx['seconds']} | {rss(gx)} | "
                f"same links | {gx['loadAfter']} |"
            )
    for b in res.get("builds", []):
        full, inc = b["full"], b["incremental"]
        ratio = inc["seconds"] / full["seconds"] if full["seconds"] else float("nan")
        g = full["graph"]
        lines.append(
            f"| profiles build, full, {b['people']:,} people | {full['seconds']} | {rss(full)} | "
            f"{full['datasetRows']:,} rows, {g.get('identitiesInScope', 0):,} identities, "
            f"{g.get('linksInScope', 0):,} links, {g.get('profilesInScope', 0):,} profiles; "
            f"guardrails {json.dumps(g.get('guardrails'))}; graph phases: {_phases(g)}; "
            f"policy phases: {_phases(full['policy'])} | {full['loadAfter']} |"
        )
        verdict = "met" if ratio <= 0.25 else "NOT met"
        gi = inc["graph"]
        lines.append(
            f"| profiles build, incremental after +1 %, {b['people']:,} people | {inc['seconds']} | "
            f"{rss(inc)} | mode {gi.get('mode')}, {gi.get('identitiesInScope', 0):,} identities "
            f"in scope, {inc['policy'].get('profilesWritten', 0):,} profiles recomputed; "
            f"incremental/full = **{ratio:.2f}x** (target <= 0.25: {verdict}); graph phases: "
            f"{_phases(gi)}; policy phases: {_phases(inc['policy'])} | {inc['loadAfter']} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
