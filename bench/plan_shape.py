"""The shape of the purchases mapping's plan: costly functions and whole-stage codegen stages.

Builds ``validated_frame`` for the purchases feed of ``conf/lakeport.yaml`` over a sample file
(``lakeport.sample`` at scale 1: 1,000 lines, bad rows included) and reports:

* how often ``RLIKE``, ``try_cast``, ``CASE WHEN``, ``regexp_replace``, ``upper``, ``try_to_timestamp``
  and ``from_json`` occur in the optimized plan (the expression tree Spark runs);
* the whole-stage codegen stages of the executed plan, with the largest generated method of each
  (HotSpot does not JIT-compile a method over 8,000 bytes of bytecode, so
  ``spark.sql.codegen.hugeMethodLimit`` decides whether such a stage runs compiled or falls back);
* with ``--rows N``: the seconds to run the frame into the ``noop`` sink on the first N lines of
  the bench's clean 1M-record file (built by ``bench/datafiles.py`` if missing), median of 3.

Usage: ``spark-slot .venv/bin/python bench/plan_shape.py [--rows 200000] [--json out.json]``
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))

CONFIG = REPO / "conf" / "lakeport.yaml"
TOKENS = (
    "RLIKE(",
    "try_cast(",
    "CASE WHEN",
    "regexp_replace(",
    "upper(",
    "try_to_timestamp(",
    "from_json(",
)


def stages(spark: Any, frame: Any) -> list[dict[str, Any]]:
    """The whole-stage codegen subtrees of ``frame``'s executed plan and their largest method."""
    jvm = spark.sparkContext._jvm
    plan = frame._jdf.queryExecution().executedPlan()
    if plan.getClass().getSimpleName() == "AdaptiveSparkPlanExec":
        plan = plan.executedPlan()
    debug = jvm.org.apache.spark.sql.execution.debug.package
    seq = debug.codegenStringSeq(plan)
    out = []
    for i in range(seq.size()):
        item = seq.apply(i)
        subtree = str(item._1())
        operators = re.findall(r"^\s*[*+:\- ]*(?:\(\d+\) )?(\w+)", subtree, flags=re.M)
        out.append(
            {
                "operators": [o for o in operators if o and o != "Found"][:8],
                "max_method_bytes": int(item._3().maxMethodCodeSize()),
            }
        )
    return out


def shape(spark: Any, frame: Any) -> dict[str, Any]:
    optimized = str(frame._jdf.queryExecution().optimizedPlan().toString())
    executed = str(frame._jdf.queryExecution().executedPlan().toString())
    st = stages(spark, frame)
    return {
        "plan_chars": len(optimized),
        "tokens": {t.rstrip("("): optimized.count(t) for t in TOKENS},
        "codegen_stages": len(st),
        "stages": st,
        "huge_method_limit": spark.conf.get("spark.sql.codegen.hugeMethodLimit"),
        "executed": executed,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=0, help="also time the frame on N lines (noop)")
    ap.add_argument("--json", type=Path, help="write the result as JSON here")
    ap.add_argument("--show-plan", action="store_true", help="print the executed plan")
    args = ap.parse_args(argv)

    from lakeport import sample
    from lakeport.config import load_config
    from lakeport.lake import fs
    from lakeport.pipeline.frame import validated_frame
    from lakeport.session import get_spark

    spark = get_spark(load_config(CONFIG), extra_conf={"spark.driver.memory": "4g"})
    with tempfile.TemporaryDirectory() as tmp:
        summary = sample.generate(Path(tmp) / "sample", seed=7, scale=1)
        path = summary["files"]["purchases"]["path"]
        cfg = load_config(CONFIG, lake_root=str(Path(tmp) / "lake"))
        ds = cfg.dataset("purchases")

        def frame_of(p: str) -> Any:
            files = fs.list_files(spark, [p])
            return validated_frame(spark, ds, files, ds.config.options, "plan")[0]

        result = shape(spark, frame_of(path))
        if args.rows:
            import datafiles

            data_dir = BENCH_DIR / "out" / "data"
            clean = datafiles.clean_purchases(data_dir, 1_000_000)
            head = datafiles.head_lines(data_dir, clean, args.rows)
            frame = frame_of(str(head))

            def run() -> float:
                spark.sparkContext._jvm.System.gc()
                time.sleep(1.0)
                t0 = time.perf_counter()
                frame.write.format("noop").mode("overwrite").save()
                return time.perf_counter() - t0

            run()  # warm-up: code generation and JIT
            runs = [run() for _ in range(3)]
            result["noop"] = {"rows": args.rows, "runs": runs, "median": statistics.median(runs)}
    executed = result.pop("executed")
    if args.show_plan:
        print(executed)
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
