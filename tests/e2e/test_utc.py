"""UTC really everywhere: an ingest run under TZ=America/New_York stores real UTC instants."""

from __future__ import annotations

import json
import time
from datetime import datetime

import pytest

from lakeport.api import Lakeport
from lakeport.lake.layout import Lake
from tests.conftest import CONFIG
from tests.e2e.test_cli import run_cli

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_ingest_under_new_york_time_stores_utc(spark, cfg, sample_dir, tmp_path):
    from pyspark.sql import functions as F

    lake = tmp_path / "lake"
    before = time.time()
    proc = run_cli(
        "ingest",
        "--config",
        str(CONFIG),
        "--lake",
        str(lake),
        "--dataset",
        "products",
        "--batch-id",
        "tz-1",
        str(sample_dir / "products.csv"),
        env={"TZ": "America/New_York"},
    )
    after = time.time()
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    created = datetime.fromisoformat(summary["created_at"].replace("Z", "+00:00")).timestamp()
    assert before - 5 <= created <= after + 5, (summary["created_at"], before, after)
    # epoch seconds computed by Spark: no Python time-zone conversion on the way back
    table = Lake(str(lake))
    ingested = (
        spark.read.format("delta")
        .load(table.dataset_path("products"))
        .agg(F.min(F.unix_seconds("_ingested_at")), F.max(F.unix_seconds("_ingested_at")))
        .first()
    )
    catalog = (
        spark.read.format("delta")
        .load(table.system_path("batches"))
        .agg(F.min(F.unix_seconds("created_at")), F.max(F.unix_seconds("updated_at")))
        .first()
    )
    for value in (*ingested, *catalog):
        assert before - 5 <= value <= after + 5, (value, before, after)


def test_an_adopted_session_is_set_to_utc(spark, cfg):
    spark.conf.set("spark.sql.session.timeZone", "America/New_York")
    try:
        Lakeport(spark, cfg)
        assert spark.conf.get("spark.sql.session.timeZone") == "UTC"
    finally:
        spark.conf.set("spark.sql.session.timeZone", "UTC")
