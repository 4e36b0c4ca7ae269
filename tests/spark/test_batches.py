"""Batches end to end on real Spark and Delta: formats, lifecycle, idempotency, replay, failures."""

from __future__ import annotations

import gzip
import json
import random
from datetime import datetime
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from lakeport.api import Lakeport
from lakeport.errors import BatchError, BatchStateError
from lakeport.lake import fs
from lakeport.lake.catalog import batches, get_batch
from lakeport.lake.delta import delta_version, is_delta
from lakeport.lake.layout import Lake
from lakeport.pipeline.frame import validated_frame
from tests.conftest import assert_frames_equal
from tests.spark.conftest import EXPECTED, EXPECTED_DDL, ROWS, write_jsonl

pytestmark = pytest.mark.spark


def _dataset(spark, cfg, name: str):
    cols = [c.split()[0] for c in EXPECTED_DDL.split(", ")]
    return spark.read.format("delta").load(Lake(cfg.lake_root).dataset_path(name)).select(*cols)


def _expected(spark, rows=EXPECTED):
    return spark.createDataFrame(rows, EXPECTED_DDL)


@pytest.mark.parametrize("compress", [False, True], ids=["jsonl", "jsonl.gz"])
def test_json_lines_land_exactly(spark, mini, tmp_path, compress):
    f = write_jsonl(tmp_path / "people.jsonl", ROWS, compress)
    result = Lakeport(spark, mini).ingest("people", [f]).to_json()
    assert result["status"] == "success"
    assert result["metrics"]["inputRecordCount"] == 3
    assert result["metrics"]["outputRecordCount"] == 3
    assert result["metrics"]["failedRecordCount"] == 0
    assert_frames_equal(_dataset(spark, mini, "people"), _expected(spark))
    system = spark.read.format("delta").load(Lake(mini.lake_root).dataset_path("people"))
    assert {r["_batch_id"] for r in system.select("_batch_id").collect()} == {result["batch_id"]}
    assert system.where(F.col("_source_file").endswith(Path(f).name)).count() == 3


def test_multiline_json_array(spark, mini, tmp_path):
    f = tmp_path / "people.json"
    f.write_text(json.dumps(ROWS, indent=2))
    result = Lakeport(spark, mini).ingest("people_multi", [str(f)]).to_json()
    assert result["metrics"]["outputRecordCount"] == 3
    assert_frames_equal(_dataset(spark, mini, "people_multi"), _expected(spark))


def test_csv_with_bom_crlf_quotes_and_gzip(spark, mini, tmp_path):
    text = (
        "\ufeffID,Name.First,Age,Signup,VIP\r\n"
        'p1,"Ada, Countess",36,2024-01-02T03:04:05Z,yes\r\n'
        "p2,Bo,41,1704164645000,N\r\n"
        "p3,,,2024-01-02 05:04:05+02:00,\r\n"
    )
    f = tmp_path / "people.csv.gz"
    f.write_bytes(gzip.compress(text.encode("utf-8")))
    result = Lakeport(spark, mini).ingest("people_csv", [str(f)]).to_json()
    assert result["metrics"] == {
        **result["metrics"],
        "inputRecordCount": 3,
        "outputRecordCount": 3,
        "failedRecordCount": 0,
    }
    assert result["mapping"]["autoMapped"] == {
        "id": "ID",
        "name.first": "Name.First",
        "age": "Age",
        "signup": "Signup",
        "vip": "VIP",
    }
    assert result["mapping"]["unmappedTargetFields"] == ["tags"]
    expected = [
        ("p1", ("Ada, Countess",), 36, datetime(2024, 1, 2, 3, 4, 5), True, None),
        ("p2", ("Bo",), 41, datetime(2024, 1, 2, 3, 4, 5), False, None),
        ("p3", (None,), None, datetime(2024, 1, 2, 3, 4, 5), None, None),
    ]
    assert_frames_equal(_dataset(spark, mini, "people_csv"), _expected(spark, expected))


def test_csv_rows_with_wrong_field_counts_are_parse_errors(spark, mini, tmp_path):
    f = tmp_path / "people.csv"
    f.write_text("id,first_name,age\np1,Ada,36\np2,Bo\np3,Cy,30,extra\n")
    cfg = mini
    with pytest.raises(BatchError) as info:
        Lakeport(spark, cfg).ingest("people_csv", [str(f)]).to_json()
    assert info.value.code == "BATCH_ROW_ERRORS"
    errors = (
        Lakeport(spark, cfg)
        .errors(info.value.batch_id)
        .select("line", "raw", F.col("errors.code").alias("codes"))
    )
    assert [tuple(r) for r in errors.collect()] == [
        (3, "p2,Bo", ["PARSE_MALFORMED_CSV"]),
        (4, "p3,Cy,30,extra", ["PARSE_MALFORMED_CSV"]),
    ]
    assert not is_delta(spark, Lake(cfg.lake_root).dataset_path("people_csv"))


def test_parquet_keeps_source_types(spark, mini, tmp_path):
    src = spark.createDataFrame(
        [("p1", "Ada", 36, 1704164645000, True, ["a"]), ("p2", "Bo", None, None, False, [])],
        "id string, first_name string, age long, signup long, vip boolean, tags array<string>",
    )
    path = str(tmp_path / "people.parquet")
    src.coalesce(1).write.parquet(path)
    result = Lakeport(spark, mini).ingest("people_pq", [path]).to_json()
    assert result["metrics"]["outputRecordCount"] == 2
    expected = [
        ("p1", ("Ada",), 36, datetime(2024, 1, 2, 3, 4, 5), True, ["a"]),
        ("p2", ("Bo",), None, None, False, []),
    ]
    assert_frames_equal(_dataset(spark, mini, "people_pq"), _expected(spark, expected))


def test_row_error_without_partial_ingestion_fails_and_leaves_dataset_unchanged(
    spark, mini, tmp_path
):
    good = (
        Lakeport(spark, mini).ingest("people", [write_jsonl(tmp_path / "a.jsonl", ROWS)]).to_json()
    )
    path = Lake(mini.lake_root).dataset_path("people")
    version = delta_version(spark, path)
    bad_rows = [*ROWS[:1], {"id": "p9", "age": -1}, "{not json"]
    with pytest.raises(BatchError) as info:
        Lakeport(spark, mini).ingest(
            "people", [write_jsonl(tmp_path / "b.jsonl", bad_rows)]
        ).to_json()
    assert info.value.code == "BATCH_ROW_ERRORS"
    assert delta_version(spark, path) == version
    assert spark.read.format("delta").load(path).count() == 3
    status = Lakeport(spark, mini).batch(info.value.batch_id).to_json()
    assert status["status"] == "failed"
    assert status["error"]["code"] == "BATCH_ROW_ERRORS"
    assert status["metrics"]["inputRecordCount"] == 3
    assert status["metrics"]["failedRecordCount"] == 2
    assert status["metrics"]["outputRecordCount"] == 0
    assert status["errorSummary"] == {"BELOW_MINIMUM": 1, "PARSE_MALFORMED_JSON": 1}
    assert good["status"] == "success"


def test_partial_ingestion_lands_good_rows_and_keeps_failed_ones_with_lines(spark, mini, tmp_path):
    rows = [
        *ROWS,
        {"id": "p4", "signup": "2024-02-30T00:00:00Z"},
        "",
        "[1, 2]",
        {"first_name": "NoId"},
    ]
    f = write_jsonl(tmp_path / "mixed.jsonl", rows)
    result = Lakeport(spark, mini).ingest("people_part", [f]).to_json()
    m = result["metrics"]
    # the blank line is not a record: 6 records, 2 failed (33% <= 40%)
    assert (m["inputRecordCount"], m["outputRecordCount"], m["failedRecordCount"]) == (6, 4, 2)
    assert m["warningRecordCount"] == 1
    assert result["status"] == "success"
    assert m["inputRecordCount"] == m["outputRecordCount"] + m["failedRecordCount"]
    assert result["errorSummary"] == {"PARSE_MALFORMED_JSON": 1, "REQUIRED_MISSING": 1}
    errors = (
        Lakeport(spark, mini)
        .errors(result["batch_id"])
        .select("line", "raw", "errors.code", "errors.field")
    )
    assert [tuple(r) for r in errors.collect()] == [
        (6, "[1, 2]", ["PARSE_MALFORMED_JSON"], [None]),
        (7, '{"first_name": "NoId"}', ["REQUIRED_MISSING"], ["id"]),
    ]
    # p4's invalid optional datetime is a warning: the row lands with a null signup
    warned = (
        Lakeport(spark, mini)
        .errors(result["batch_id"], severity="warning")
        .select("line", "errors.code")
        .collect()
    )
    assert [tuple(r) for r in warned] == [(4, ["CONVERSION_INVALID_DATETIME"])]
    landed = spark.read.format("delta").load(Lake(mini.lake_root).dataset_path("people_part"))
    assert sorted(r["id"] for r in landed.collect()) == ["p1", "p2", "p3", "p4"]


def test_threshold_exceeded_fails_the_batch(spark, mini, tmp_path):
    rows = [ROWS[0], "bad", "bad", "bad"]
    with pytest.raises(BatchError) as info:
        Lakeport(spark, mini).ingest(
            "people_part",
            [write_jsonl(tmp_path / "t.jsonl", rows)],
            partial={"error_threshold_percent": 50},
        ).to_json()
    assert info.value.code == "BATCH_THRESHOLD_EXCEEDED"
    assert "3 of 4 records failed (75.00%)" in info.value.message
    assert not is_delta(spark, Lake(mini.lake_root).dataset_path("people_part"))
    assert Lakeport(spark, mini).errors(info.value.batch_id).count() == 3


def test_a_retry_applies_its_own_threshold(spark, mini, tmp_path):
    f = write_jsonl(tmp_path / "t.jsonl", [ROWS[0], "bad", "bad", "bad"])
    lp = Lakeport(spark, mini)
    with pytest.raises(BatchError) as info:
        lp.ingest("people_part", [f], batch_id="th-1", partial={"error_threshold_percent": 50})
    assert info.value.code == "BATCH_THRESHOLD_EXCEEDED"
    retried = lp.ingest(
        "people_part", [f], batch_id="th-1", partial={"error_threshold_percent": 80}
    )
    assert (retried.status, retried.metrics.output_records, retried.metrics.failed_records) == (
        "success",
        1,
        3,
    )
    assert lp.table("people_part").count() == 1
    assert lp.errors("th-1").count() == 3  # the retry replaced the first attempt's error rows


def test_rerun_with_same_batch_id_never_duplicates(spark, mini, tmp_path):
    f = write_jsonl(tmp_path / "p.jsonl", ROWS)
    first = Lakeport(spark, mini).ingest("people", [f], batch_id="fixed-1").to_json()
    path = Lake(mini.lake_root).dataset_path("people")
    version = delta_version(spark, path)
    again = Lakeport(spark, mini).ingest("people", [f], batch_id="fixed-1").to_json()
    assert again["status"] == "success" and again["batch_id"] == first["batch_id"] == "fixed-1"
    assert delta_version(spark, path) == version
    assert spark.read.format("delta").load(path).count() == 3


def test_replace_removes_predecessor_rows_in_the_same_commit(spark, mini, tmp_path):
    one = (
        Lakeport(spark, mini)
        .ingest("people", [write_jsonl(tmp_path / "1.jsonl", ROWS[:2])], batch_id="one")
        .to_json()
    )
    path = Lake(mini.lake_root).dataset_path("people")
    v1 = delta_version(spark, path)
    two = (
        Lakeport(spark, mini)
        .ingest(
            "people", [write_jsonl(tmp_path / "2.jsonl", ROWS[2:])], batch_id="two", replace=["one"]
        )
        .to_json()
    )
    assert one["status"] == two["status"] == "success"
    assert delta_version(spark, path) == v1 + 1
    assert_frames_equal(_dataset(spark, mini, "people"), _expected(spark, EXPECTED[2:]))
    assert two["replaced"] == ["one"]


def test_a_replayed_batch_is_replaced_and_counts_no_more(spark, mini, tmp_path):
    from lakeport.report import collect

    lp = Lakeport(spark, mini)
    lp.ingest("people", [write_jsonl(tmp_path / "1.jsonl", ROWS[:2])], batch_id="r1")
    lp.ingest(
        "people", [write_jsonl(tmp_path / "2.jsonl", ROWS[2:])], batch_id="r2", replace=["r1"]
    )
    old = lp.batch("r1")
    assert (old.status, old.replaced_by) == ("replaced", "r2")
    assert old.to_json()["replacedBy"] == "r2"
    assert [(b.batch_id, b.status) for b in lp.batches("people")] == [
        ("r1", "replaced"),
        ("r2", "success"),
    ]
    people = next(
        d for d in collect(spark, mini)["batches"]["perDataset"] if d["dataset"] == "people"
    )
    assert people["landed"] == 1 == lp.table("people").count()  # only the live rows count


def test_lifecycle_and_illegal_transitions(spark, mini, tmp_path):
    f = write_jsonl(tmp_path / "life.jsonl", ROWS)
    b = Lakeport(spark, mini).create_batch("people", batch_id="life").to_json()
    assert b["status"] == "loading"
    with pytest.raises(BatchStateError, match="has no files"):
        Lakeport(spark, mini).complete("life").to_json()
    assert Lakeport(spark, mini).upload("life", [f]).to_json()["status"] == "loading"
    done = Lakeport(spark, mini).complete("life").to_json()
    assert done["status"] == "success" and done["metrics"]["outputRecordCount"] == 3
    assert (
        Lakeport(spark, mini).complete("life").to_json()["metrics"] == done["metrics"]
    )  # retry is a no-op
    with pytest.raises(
        BatchStateError, match="is success; files can only be uploaded into a loading batch"
    ):
        Lakeport(spark, mini).upload("life", [f]).to_json()
    with pytest.raises(BatchStateError, match="only a loading batch can be aborted"):
        Lakeport(spark, mini).abort("life").to_json()
    Lakeport(spark, mini).create_batch("people", batch_id="gone").to_json()
    assert Lakeport(spark, mini).abort("gone").to_json()["status"] == "aborted"
    with pytest.raises(BatchStateError, match="was aborted; it cannot be completed"):
        Lakeport(spark, mini).complete("gone").to_json()
    with pytest.raises(BatchStateError, match="already exists"):
        Lakeport(spark, mini).create_batch("people", batch_id="gone").to_json()
    listed = (
        batches(spark, Lake(mini.lake_root))
        .select("batch_id", "status")
        .orderBy("batch_id")
        .collect()
    )
    assert [tuple(r) for r in listed] == [("gone", "aborted"), ("life", "success")]


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("empty.jsonl", b"", "BATCH_FILE_EMPTY"),
        ("blank.jsonl", b"\n\n  \n", "BATCH_FILE_EMPTY"),
        ("broken.jsonl.gz", b"\x1f\x8b\x08\x00garbage", "BATCH_FILE_UNREADABLE"),
    ],
)
def test_batch_level_file_errors(spark, mini, tmp_path, name, content, code):
    f = tmp_path / name
    f.write_bytes(content)
    with pytest.raises(BatchError) as info:
        Lakeport(spark, mini).ingest("people", [str(f)]).to_json()
    assert info.value.code == code
    assert name in info.value.message
    row = get_batch(spark, Lake(mini.lake_root), info.value.batch_id)
    assert (row.status, row.error_code) == ("failed", code)


def test_missing_file_and_header_only_csv(spark, mini, tmp_path):
    with pytest.raises(BatchError) as info:
        Lakeport(spark, mini).ingest("people", [str(tmp_path / "nope.jsonl")]).to_json()
    assert info.value.code == "BATCH_FILE_NOT_FOUND"
    f = tmp_path / "header.csv"
    f.write_text("id,first_name\n")
    with pytest.raises(BatchError) as info:
        Lakeport(spark, mini).ingest("people_csv", [str(f)]).to_json()
    assert info.value.code == "BATCH_CSV_HEADER_ONLY"


def test_pipeline_has_no_python_udf(spark, mini, tmp_path):
    f = write_jsonl(tmp_path / "plan.jsonl", ROWS)
    ds = mini.dataset("people")
    frame, _ = validated_frame(spark, ds, fs.list_files(spark, [f]), ds.config.options)
    plan = frame._jdf.queryExecution().executedPlan().toString()
    for node in (
        "BatchEvalPython",
        "ArrowEvalPython",
        "PythonUDF",
        "FlatMapGroupsInPandas",
        "MapInPandas",
    ):
        assert node not in plan
    assert "Scan text" in plan or "FileScan text" in plan


def test_gzip_truncated_past_the_first_megabyte_fails_cleanly(spark, mini, tmp_path):
    rng = random.Random(1)  # incompressible text, so the cut lands megabytes into the file
    rows = [
        json.dumps({"id": f"p{i}", "first_name": rng.randbytes(100).hex()}) for i in range(20000)
    ]
    data = gzip.compress(("\n".join(rows) + "\n").encode())
    f = tmp_path / "cut.jsonl.gz"
    f.write_bytes(data[: len(data) * 3 // 4])  # > 1 MB of text before the cut
    with pytest.raises(BatchError) as info:
        Lakeport(spark, mini).ingest("people", [str(f)]).to_json()
    assert info.value.code == "BATCH_FILE_UNREADABLE"
    assert "truncated or corrupt" in info.value.message
    assert not is_delta(spark, Lake(mini.lake_root).dataset_path("people"))
    row = get_batch(spark, Lake(mini.lake_root), info.value.batch_id)
    assert (row.status, row.error_code) == ("failed", "BATCH_FILE_UNREADABLE")


def test_error_threshold_count(spark, mini, tmp_path):
    rows = [*ROWS, "bad", "bad"]
    f = write_jsonl(tmp_path / "c.jsonl", rows)
    with pytest.raises(BatchError) as info:
        Lakeport(spark, mini).ingest(
            "people_part", [f], partial={"error_threshold_count": 1}
        ).to_json()
    assert info.value.code == "BATCH_THRESHOLD_EXCEEDED"
    assert "2 records failed, above error_threshold_count 1" in info.value.message
    ok = (
        Lakeport(spark, mini)
        .ingest("people_part", [f], partial={"error_threshold_count": 2})
        .to_json()
    )
    assert (
        ok["status"],
        ok["metrics"]["outputRecordCount"],
        ok["metrics"]["failedRecordCount"],
    ) == ("success", 3, 2)


def test_csv_in_another_charset_with_semicolons(spark, mini, tmp_path):
    f = tmp_path / "latin.csv"
    f.write_bytes("id;name.first;age\np1;José;36\np2;Zoë;x\n".encode("iso-8859-1"))
    result = Lakeport(spark, mini).ingest("people_latin", [str(f)]).to_json()
    m = result["metrics"]
    assert (m["inputRecordCount"], m["outputRecordCount"], m["warningRecordCount"]) == (2, 2, 1)
    expected = [("p1", ("José",), 36, None, None, None), ("p2", ("Zoë",), None, None, None, None)]
    assert_frames_equal(_dataset(spark, mini, "people_latin"), _expected(spark, expected))
