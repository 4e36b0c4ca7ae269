"""Bench: identity graphs and profile builds at 1M and 10M links.

Not a test: nothing here fails a build. Each measurement runs in its own Python + JVM process
(``--phase``), so the JVM's peak resident memory (VmHWM) belongs to that measurement alone.

Synthetic data (generated with Spark, no Python on row paths):

- ``components``: identity graphs whose sizes follow a long-tailed distribution (60 % of people
  have 2 identities, 25 % 3, 10 % 4, 5 % 5-12), links as stars around each person's primary id;
- ``super-nodes``: 5 shared values (think a store's phone number) each linked to 2,000 people:
  without guardrails they would collapse 10,000 people into 5 profiles; the graph cap must stop
  them (a profile build reports the dropped links).

Measurements:

1. ``cc``: connected components on the raw links: lakeport's large-star/small-star vs GraphX's
   ``connectedComponents`` (GraphX ships with pyspark; GraphFrames has no Spark 4.2 build on
   Maven Central), same links, each in a fresh JVM.
2. ``build``: a full ``lakeport profiles build`` of a synthetic ``people`` profile dataset whose
   rows carry primary + email + phone identities (about the same number of links), then an
   incremental build after +1 % new records (half of them joining existing people), vs the full
   build; target incremental/full <= 0.25.

Usage::

    .venv/bin/python bench/profiles_bench.py                 # 1M links; results appended
    .venv/bin/python bench/profiles_bench.py --links 10000000 --skip-build
    .venv/bin/python bench/profiles_bench.py --links 100000 --no-results   # a quick look
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
            "spark.driver.memory": "6g",
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
    from lakeport.profiles.components import connected_components

    spark.sparkContext.setCheckpointDir(f"{out}/ckpt")
    t0 = time.monotonic()
    if engine == "lakeport":
        edges = spark.read.parquet(f"{out}/links.parquet")
        comps = connected_components(spark, edges)
        from pyspark.sql import functions as F

        stats = comps.agg(
            F.approx_count_distinct("component").alias("components"), F.count("node").alias("nodes")
        ).collect()[0]
        components, nodes = int(stats["components"]), int(stats["nodes"])
    else:
        jvm = spark._jvm
        storage = jvm.org.apache.spark.storage.StorageLevel.MEMORY_AND_DISK()
        graph = jvm.org.apache.spark.graphx.GraphLoader.edgeListFile(
            spark.sparkContext._jsc.sc(), f"{out}/links.txt", False, 8, storage, storage
        )
        vertices = graph.ops().connectedComponents().vertices()
        nodes = int(vertices.count())
        components = -1  # not computed for GraphX (the vertex count is the work forced)
    seconds = round(time.monotonic() - t0, 1)
    res = {"seconds": seconds, "nodes": nodes, "components": components}
    res["peakRssMb"] = _peak_rss_mb(spark)
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


def phase_build(out: str, links: int, step: str) -> dict[str, Any]:
    from lakeport import profiles
    from lakeport.config import load_config
    from lakeport.lake.layout import Lake

    lake = f"{out}/lake"
    spark = _spark(lake)
    cfg = load_config(_project(out), lake_root=lake)
    people = _people_count(links)
    path = Lake(lake).dataset_path("people")
    if step == "full":
        _people_rows(spark, people, 0, "base", "2026-01-01 00:00:00").write.format("delta").mode(
            "overwrite"
        ).save(path)
    else:
        extra = max(10, people // 100)
        new = _people_rows(spark, extra // 2, people, "plus1", "2026-01-02 00:00:00")
        # the other half: new rows of existing people (their email links them in)
        from pyspark.sql import functions as F

        joining = _people_rows(spark, extra // 2, 0, "plus1", "2026-01-02 00:00:00").withColumn(
            "personId", F.concat(F.col("personId"), F.lit("-new"))
        )
        new.unionByName(joining).write.format("delta").mode("append").save(path)
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
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--links", type=int, default=1_000_000)
    ap.add_argument("--skip-build", action="store_true", help="only the connected-components part")
    ap.add_argument("--skip-graphx", action="store_true")
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

    out = args.out or tempfile.mkdtemp(prefix="lakeport-profiles-bench-")
    started = datetime.now(timezone.utc)
    results: dict[str, Any] = {"links": args.links}
    results["generated"] = _run_phase("gen", out, str(args.links))
    results["cc_lakeport"] = _run_phase("cc", out, "lakeport")
    if not args.skip_graphx:
        results["cc_graphx"] = _run_phase("cc", out, "graphx")
    if not args.skip_build:
        results["build_full"] = _run_phase("build", out, str(args.links), "full")
        results["build_incremental"] = _run_phase("build", out, str(args.links), "plus1")
    print(json.dumps(results, indent=2))
    if not args.no_results:
        (REPO / "bench" / "RESULTS.md").open("a").write(render(results, started))
    return 0


def render(res: dict[str, Any], started: datetime) -> str:
    load = os.getloadavg()
    lines = [
        "",
        f"## profiles_bench: {res['links']:,} links ({started:%Y-%m-%d %H:%M} UTC)",
        "",
        f"Machine: {platform.node()}, {os.cpu_count()} cores, {platform.platform()}; load averages "
        f"at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}. Command: "
        f"`.venv/bin/python bench/profiles_bench.py --links {res['links']}`. Each row is one fresh "
        "JVM (local[2], driver 6g, 8 shuffle partitions); peak RSS is the JVM's VmHWM.",
        "",
        "| measurement | seconds | peak RSS (MB) | notes |",
        "| --- | --- | --- | --- |",
    ]
    cc = res["cc_lakeport"]
    lines.append(
        f"| connected components, lakeport (large/small-star) | {cc['seconds']} | {cc['peakRssMb']} | "
        f"{res['generated']['links']:,} links, {cc['nodes']:,} nodes, ~{cc['components']:,} components |"
    )
    if "cc_graphx" in res:
        gx = res["cc_graphx"]
        ratio = cc["seconds"] / gx["seconds"] if gx["seconds"] else float("nan")
        lines.append(
            f"| connected components, GraphX `connectedComponents` | {gx['seconds']} | "
            f"{gx['peakRssMb']} | same links; lakeport/GraphX = {ratio:.2f}x |"
        )
    if "build_full" in res:
        full, inc = res["build_full"], res["build_incremental"]
        ratio = inc["seconds"] / full["seconds"] if full["seconds"] else float("nan")
        g = full["graph"]
        lines.append(
            f"| profiles build, full | {full['seconds']} | {full['peakRssMb']} | "
            f"{full['datasetRows']:,} rows, {g.get('identitiesInScope', 0):,} identities, "
            f"{g.get('profilesInScope', 0):,} profiles; guardrails: {json.dumps(g.get('guardrails'))} |"
        )
        verdict = "met" if ratio <= 0.25 else "NOT met"
        lines.append(
            f"| profiles build, incremental after +1 % | {inc['seconds']} | {inc['peakRssMb']} | "
            f"mode {inc['graph'].get('mode')}; incremental/full = **{ratio:.2f}x** (target <= 0.25: {verdict}) |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
