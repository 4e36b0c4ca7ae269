"""The same batch id run twice at once: one claim wins, the other exits 3 (BATCH_BUSY) or, if it
came after the winner finished, returns the finished batch; nothing is written twice."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from lakeport.lake.layout import Lake
from tests.conftest import CONFIG, REPO

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_two_ingests_of_one_batch_id_at_once(spark, sample_dir, tmp_path):
    lake = tmp_path / "lake"
    cmd = [
        sys.executable,
        "-m",
        "lakeport",
        "ingest",
        "--config",
        str(CONFIG),
        "--lake",
        str(lake),
        "--dataset",
        "purchases",
        "--batch-id",
        "y-same",
        str(sample_dir / "purchases.jsonl"),
    ]
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable}
    procs = [
        subprocess.Popen(
            cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    results = [(p.wait(timeout=900), *p.communicate()) for p in procs]
    codes = sorted(code for code, _, _ in results)
    assert codes in ([0, 0], [0, 3]), [(c, e[-2000:]) for c, _, e in results]
    for code, out, err in results:
        if code == 3:
            assert "lakeport: error [BATCH_BUSY]: batch y-same is being processed" in err
        else:
            assert json.loads(out.strip().splitlines()[-1])["status"] == "success"
    table = Lake(str(lake))
    rows = spark.read.format("delta").load(table.dataset_path("purchases"))
    assert rows.count() == rows.select("_id").distinct().count() == 988
    errors = (
        spark.read.format("delta").load(table.system_path("errors")).where("severity = 'error'")
    )
    assert errors.count() == 12
    events = spark.read.format("delta").load(table.system_path("events"))
    assert [r.event_type for r in events.where("batch_id = 'y-same'").collect()] == [
        "ing_load_success"
    ]
