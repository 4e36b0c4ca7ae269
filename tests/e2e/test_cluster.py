"""spark-submit on a real Spark standalone cluster (master + worker on 127.0.0.1), client mode.

The same command as the README's "Cluster deployment" section (tests/unit/test_cli_help.py checks
that the README's command is this one): ``--py-files dist/lakeport.zip``, the Delta jars with
``--jars``, a lake on a local path that the worker sees because it is the same machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import CONFIG, REPO
from tests.e2e.cluster import SPARK_SUBMIT, standalone_cluster

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# What a small standalone cluster needs besides the master URL; the README shows exactly these.
SUBMIT_OPTIONS = (
    "--total-executor-cores",
    "2",
    "--executor-memory",
    "1g",
    "--conf",
    "spark.databricks.delta.snapshotPartitions=2",
)


def submit_command(master: str, jars: str, job: str, *job_args: str) -> list[str]:
    """``spark-submit --master M --jars J --py-files dist/lakeport.zip [options] jobs/<job>.py ARGS``."""
    return [
        "spark-submit",
        "--master",
        master,
        "--jars",
        jars,
        "--py-files",
        "dist/lakeport.zip",
        *SUBMIT_OPTIONS,
        f"jobs/{job}.py",
        *job_args,
    ]


# The job arguments of each step, besides --config/--lake and the input paths.
INGEST_ARGS = ("--dataset", "loyalty", "--batch-id", "cluster-loyalty")
PROFILES_ARGS = ("--policy", "timestamp_ordered", "--json")
EXPORT_ARGS = ("--policy", "timestamp_ordered", "--format", "parquet", "--json")

# The README shows these commands (tests/unit/test_cli_help.py compares them).
README_MASTER = "spark://127.0.0.1:7077"
README_JARS = "$(lakeport setup --print-jars)"
README_BASE = ("--config", "conf/lakeport.yaml", "--lake", "/tmp/lakeport-lake")
README_SUBMITS = [
    submit_command(
        README_MASTER,
        README_JARS,
        "ingest_batch",
        *README_BASE,
        *INGEST_ARGS,
        "sample-data/loyalty.jsonl",
    ),
    submit_command(README_MASTER, README_JARS, "build_profiles", *README_BASE, *PROFILES_ARGS),
    submit_command(
        README_MASTER,
        README_JARS,
        "export_snapshot",
        *README_BASE,
        *EXPORT_ARGS,
        "--target",
        "/tmp/lakeport-exports",
    ),
]


def _submit(master: str, job: str, *job_args: str) -> dict:
    from lakeport.jars import local_jars

    cmd = submit_command(master, ",".join(local_jars()), job, *job_args)
    proc = subprocess.run(
        [str(SPARK_SUBMIT), *cmd[1:]],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "PYSPARK_PYTHON": sys.executable, "SPARK_LOCAL_IP": "127.0.0.1"},
    )
    assert proc.returncode == 0, f"{job}: exit {proc.returncode}\n{proc.stderr[-4000:]}"
    # spark-submit merges the Python driver's stderr (lakeport's log lines) into its stdout:
    # the summary is the last line
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_ingest_profiles_export_on_a_standalone_cluster(spark, sample_dir, tmp_path):
    from pyspark.sql import functions as F

    subprocess.run(
        [sys.executable, "scripts/build_dist.py"], cwd=REPO, check=True, capture_output=True
    )
    lake, exports = tmp_path / "lake", tmp_path / "exports"
    base = ("--config", str(CONFIG), "--lake", str(lake))
    with standalone_cluster(tmp_path / "cluster") as cluster:
        try:
            ingested = _submit(
                cluster.master_url,
                "ingest_batch",
                *base,
                *INGEST_ARGS,
                str(sample_dir / "loyalty.jsonl"),
            )
            built = _submit(cluster.master_url, "build_profiles", *base, *PROFILES_ARGS)
            exported = _submit(
                cluster.master_url,
                "export_snapshot",
                *base,
                *EXPORT_ARGS,
                "--target",
                str(exports),
            )
        except AssertionError:
            print(cluster.logs(), file=sys.stderr)
            raise
        # the applications really ran on the worker: one executor directory per application
        apps = sorted(p.name for p in (tmp_path / "cluster" / "work").iterdir())
        assert len(apps) == 3 and all(a.startswith("app-") for a in apps), apps

    # every process the fixture started is gone
    assert all(p.poll() is not None for p in cluster.processes)

    assert (ingested["status"], ingested["metrics"]["outputRecordCount"]) == ("success", 1000)
    loyalty = spark.read.format("delta").load(str(lake / "datasets" / "loyalty"))
    assert loyalty.count() == 1000
    assert {r[0] for r in loyalty.select("_batch_id").distinct().collect()} == {"cluster-loyalty"}

    # each loyalty member links loyaltyId L<i> and crmId C<i>: 1000 graphs of two identities
    assert built["policies"]["timestamp_ordered"]["profilesWritten"] == 1000
    graph = spark.read.format("delta").load(str(lake / "identity_graph"))
    assert graph.count() == 2000
    assert graph.groupBy("graph_size").count().collect() == [(2, 2000)]
    assert graph.select(F.countDistinct("profile_id")).first()[0] == 1000
    profiles = spark.read.format("delta").load(str(lake / "profiles" / "timestamp_ordered"))
    assert profiles.count() == 1000

    assert (exported["status"], exported["rowCount"]) == ("exported", 1000)
    out = exports / "timestamp_ordered" / f"exportTime={exported['exportTime']}"
    assert [p.name for p in out.parent.iterdir()] == [out.name]
    assert (out / "_SUCCESS").exists() and (out / "_manifest.json").exists()
    files = spark.read.parquet(str(out))
    assert files.count() == 1000
    assert files.select(F.countDistinct("profile_id")).first()[0] == 1000
    assert sorted(r[0] for r in files.select("loyaltyId").collect()) == [
        f"L{i:07d}" for i in range(1, 1001)
    ]
