"""Bad files fail their batch cleanly: status, event, one line; never a hung or dead JVM."""

from __future__ import annotations

import pytest

from lakeport.api import Lakeport
from lakeport.errors import BatchError
from lakeport.lake.layout import Lake

pytestmark = pytest.mark.spark


def test_a_sparse_2gb_file_fails_the_batch_at_once(spark, mini, tmp_path):
    sparse = tmp_path / "sparse.jsonl"
    with sparse.open("wb") as f:
        f.truncate(2 * 1024**3)  # 2 GiB of NUL bytes, no disk used: one giant "line"
    lp = Lakeport(spark, mini)
    with pytest.raises(BatchError) as info:
        lp.ingest("people", [str(sparse)], batch_id="sparse-1")
    assert info.value.code == "BATCH_FILE_UNREADABLE"
    assert "holds a NUL byte at offset 0 and no line break" in info.value.message
    assert "it is not json text" in info.value.message
    failed = lp.batch("sparse-1")
    assert (failed.status, failed.error_code) == ("failed", "BATCH_FILE_UNREADABLE")
    events = spark.read.format("delta").load(Lake(mini.lake_root).system_path("events"))
    assert [r.event_type for r in events.where("batch_id = 'sparse-1'").collect()] == [
        "ing_load_failure"
    ]


def test_multiline_csv_with_doubled_quotes_counts_records_exactly(spark, mini, tmp_path):
    from lakeport.config import load_config

    path = mini.path.with_name("multiline.yaml")
    path.write_text(
        mini.path.read_text()
        + "  people_ml:    {schema: people, format: csv, options: {multiline: true}}\n"
    )
    cfg = load_config(path, lake_root=mini.lake_root)
    f = tmp_path / "ml.csv"
    f.write_text('ID,Name.First,Age\np1,"Ada ""the first""\nLovelace",36\np2,Bo,41\n')
    r = Lakeport(spark, cfg).ingest("people_ml", [str(f)], batch_id="ml-1")
    assert (r.metrics.input_records, r.metrics.output_records, r.metrics.failed_records) == (
        2,
        2,
        0,
    )
    rows = sorted(
        (x.id, x.name.first, x.age) for x in Lakeport(spark, cfg).table("people_ml").collect()
    )
    assert rows == [("p1", 'Ada "the first"\nLovelace', 36), ("p2", "Bo", 41)]
