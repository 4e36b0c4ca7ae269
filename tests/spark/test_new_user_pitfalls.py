"""Issue 16, "What a new user trips on": what lands, what fails and what warns, through Spark.

One small project (schema ``trips``) ingested end to end, and the mapping engine on frames for the
rules one value at a time: ``on_invalid``, ranges, empty expression results, epoch units, DST
gaps and overlaps, invalid UTF-8, multi-line JSON arrays with a bad element, keyword paths and
``size()``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from pyspark.sql import functions as F

from lakeport.api import Lakeport
from lakeport.config import load_config
from lakeport.config.plan import resolve_mapping
from lakeport.errors import BatchError
from lakeport.lake.layout import Lake
from lakeport.pipeline.mapping import apply_mapping
from lakeport.spec.mapping import MappingEntry, MappingSpec
from lakeport.spec.schema import SchemaSpec

pytestmark = pytest.mark.spark

SCHEMA = """
name: trips
class: other
fields:
  id: {type: string, required: true}
  firstName: {type: string}
  lastName: {type: string}
  fullName: {type: string}
  memberId: {type: string, pattern: "^FF[0-9]+$"}
  qty: {type: integer, maximum: 1000}
  score: {type: integer}
  strictScore: {type: integer, on_invalid: fail}
  seen: {type: datetime}
  local: {type: datetime}
  origin: {type: string}
  legs: {type: integer}
"""
MAPPING = """
auto: true
timezone: America/New_York
fields:
  - {target: fullName, expression: "concat_ws(' ', first_name, last_name)"}
  - {target: memberId, expression: "upper(trim(ff_number))"}
  - {target: origin, expression: "upper(segments[0].from)"}
  - {target: legs, expression: "size(segments)"}
"""
CONFIG = """
lake: {root: ./lake}
datasets:
  trips:        {mapping: trips, partial_ingestion: {enabled: true, error_threshold_percent: 100}}
  trips_strict: {schema: trips, mapping: trips, on_invalid: fail,
                 partial_ingestion: {enabled: true, error_threshold_percent: 100}}
  trips_multi:  {schema: trips, mapping: trips, options: {multiline: true},
                 partial_ingestion: {enabled: true, error_threshold_percent: 100}}
  trips_bytes:  {schema: trips, mapping: trips, options: {encoding_errors: fail},
                 partial_ingestion: {enabled: true, error_threshold_percent: 100}}
"""

LINES: list[bytes] = [
    json.dumps(
        {
            "id": "t1",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "ff_number": "  ",
            "qty": 5,
            "score": "12",
            "seen": "2024-01-02T03:04:05Z",
            "local": "2024-03-10 02:30:00",  # skipped by the spring-forward change in New York
            "segments": [{"from": "ber", "to": "lis"}, {"from": "lis", "to": "ber"}],
        }
    ).encode(),
    b'{"id": "t2", "qty": 1099511627776}',  # 2^40 into an integer: out of range, fails the row
    b'{"id": "t3", "qty": 5000}',  # above the maximum: fails the row
    b'{"id": "t4", "score": "abc"}',  # not a number: nulled with a warning (on_invalid: null)
    b'{"id": "t5", "strictScore": "abc"}',  # the field says on_invalid: fail
    b'{"id": "t6", "seen": 0}',  # a JSON number is an epoch value, whatever its size
    b'{"id": "t7", "seen": "1531263959"}',  # epoch seconds read as milliseconds: 1970-01-18
    b'{"id": "t8", "seen": "0"}',  # a digit string under 9 digits is no epoch value
    b'{"id": "t9", "local": "2024-11-03 01:30:00"}',  # happens twice when the clocks fall back
    b'{"id": "t10", "local": "2024-11-03T01:30:00-05:00"}',  # the offset says which one
    b'{"id": "t11", "first_name": "caf\xff"}',  # not UTF-8
    b'{"id": "t12", "seen": 2018, "ff_number": "ff12"}',  # a small JSON number is epoch millis too
]


@pytest.fixture(scope="module")
def trips(tmp_path_factory):
    root = tmp_path_factory.mktemp("trips")
    (root / "conf" / "mappings").mkdir(parents=True)
    (root / "schemas").mkdir()
    (root / "schemas" / "trips.yaml").write_text(SCHEMA)
    (root / "conf" / "mappings" / "trips.yaml").write_text(MAPPING)
    (root / "conf" / "lakeport.yaml").write_text(CONFIG)
    cfg = load_config(root / "conf" / "lakeport.yaml", lake_root=str(root / "lake"))
    data = root / "trips.jsonl"
    data.write_bytes(b"\n".join(LINES) + b"\n")
    return cfg, root, str(data)


def _ingest(spark, cfg, dataset: str, path: str) -> dict[str, Any]:
    lp = Lakeport(spark, cfg)
    try:
        result = lp.ingest(dataset, [path]).to_json()
    except BatchError as exc:
        assert exc.batch_id
        result = lp.batch(exc.batch_id).to_json()

    def codes(severity: str) -> dict[int, list[str]]:
        rows = lp.errors(result["batch_id"], severity=severity).collect()
        return {r["line"]: sorted(e["code"] for e in r["errors"]) for r in rows}

    def messages(severity: str) -> dict[int, list[str]]:
        rows = lp.errors(result["batch_id"], severity=severity).collect()
        return {r["line"]: [e["message"] for e in r["errors"]] for r in rows}

    landed = (
        spark.read.format("delta")
        .load(Lake(cfg.lake_root).dataset_path(dataset))
        .where(F.col("_batch_id") == result["batch_id"])
        .withColumn("seen", F.date_format("seen", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX"))
        .withColumn("local", F.date_format("local", "yyyy-MM-dd'T'HH:mm:ssXXX"))
        .collect()
    )
    return {
        "result": result,
        "errors": codes("error"),
        "warnings": codes("warning"),
        "warning_messages": messages("warning"),
        "rows": {r["id"]: r.asDict() for r in landed},
    }


@pytest.fixture(scope="module")
def lenient(spark, trips):
    cfg, _, path = trips
    return _ingest(spark, cfg, "trips", path)


def test_range_and_rule_violations_fail_the_row_even_in_optional_fields(lenient):
    assert lenient["errors"][2] == ["CONVERSION_OUT_OF_RANGE"]
    assert lenient["errors"][3] == ["ABOVE_MAXIMUM"]
    assert "t2" not in lenient["rows"] and "t3" not in lenient["rows"]


def test_on_invalid_null_is_a_warning_and_a_field_can_say_fail(lenient):
    assert lenient["warnings"][4] == ["CONVERSION_INVALID_NUMBER"]
    assert lenient["rows"]["t4"]["score"] is None
    assert lenient["errors"][5] == ["CONVERSION_INVALID_NUMBER"]  # strictScore: on_invalid: fail
    assert set(lenient["errors"]) == {2, 3, 5}


def test_dataset_on_invalid_fail(spark, trips):
    cfg, _, path = trips
    strict = _ingest(spark, cfg, "trips_strict", path)
    assert strict["errors"] == {
        2: ["CONVERSION_OUT_OF_RANGE"],
        3: ["ABOVE_MAXIMUM"],
        4: ["CONVERSION_INVALID_NUMBER"],
        5: ["CONVERSION_INVALID_NUMBER"],
        8: ["CONVERSION_INVALID_DATETIME"],
    }
    assert strict["result"]["metrics"]["outputRecordCount"] == len(LINES) - 5


def test_an_empty_expression_result_is_null(lenient):
    t1 = lenient["rows"]["t1"]
    assert t1["memberId"] is None  # upper(trim('  ')) is '': null, not PATTERN_MISMATCH
    assert lenient["rows"]["t12"]["memberId"] == "FF12"
    assert 1 not in lenient["errors"]


def test_a_source_an_expression_reads_still_auto_maps(lenient):
    t1 = lenient["rows"]["t1"]
    assert (t1["firstName"], t1["lastName"], t1["fullName"]) == ("Ada", "Lovelace", "Ada Lovelace")


def test_keyword_paths_and_size(lenient):
    t1 = lenient["rows"]["t1"]
    assert (t1["origin"], t1["legs"]) == ("BER", 2)
    assert lenient["rows"]["t4"]["legs"] is None


def test_epoch_values_in_a_suspect_unit_land_with_a_warning(lenient):
    rows, warnings = lenient["rows"], lenient["warnings"]
    assert rows["t6"]["seen"] == "1970-01-01T00:00:00.000Z"  # the JSON number 0
    assert rows["t7"]["seen"] == "1970-01-18T17:21:03.959Z"  # the value rules are kept
    assert rows["t12"]["seen"] == "1970-01-01T00:00:02.018Z"
    for line in (6, 7, 12):
        assert warnings[line] == ["DATETIME_EPOCH_UNIT_SUSPECT"], line
    (message,) = lenient["warning_messages"][7]
    assert message == (
        "value '1531263959' as epoch milliseconds is 1970-01-18T17:21:03.959Z, outside the years "
        "1971 to 2200; as epoch seconds it is 2018-07-10T23:05:59Z: declare unit: seconds"
    )
    assert rows["t1"]["seen"] == "2024-01-02T03:04:05.000Z"
    assert "DATETIME_EPOCH_UNIT_SUSPECT" not in warnings[1]  # ISO text: no epoch question
    assert warnings[8] == ["CONVERSION_INVALID_DATETIME"]  # the string "0" is still refused


def test_local_times_in_a_dst_gap_or_overlap_land_with_a_warning(lenient):
    rows, warnings = lenient["rows"], lenient["warnings"]
    assert rows["t1"]["local"] == "2024-03-10T07:30:00Z"  # 02:30 does not exist: 03:30 EDT
    assert warnings[1] == ["DATETIME_DST_GAP"]
    assert rows["t9"]["local"] == "2024-11-03T05:30:00Z"  # the earlier of the two (EDT)
    assert warnings[9] == ["DATETIME_DST_OVERLAP"]
    assert rows["t10"]["local"] == "2024-11-03T06:30:00Z" and 10 not in warnings


def test_invalid_utf8_lands_with_a_warning_or_fails(spark, lenient, trips):
    assert lenient["warnings"][11] == ["ENCODING_INVALID_UTF8"]
    assert lenient["rows"]["t11"]["firstName"] == "caf\ufffd"
    cfg, _, path = trips
    strict = _ingest(spark, cfg, "trips_bytes", path)
    assert strict["errors"][11] == ["ENCODING_INVALID_UTF8"]
    assert "t11" not in strict["rows"]


def test_one_bad_element_of_a_json_array_is_one_failed_record(spark, trips):
    cfg, root, _ = trips
    bad = root / "multi-bad.json"  # the first file: auto-mapping still finds the fields
    bad.write_text(
        '[\n  {"id": "m1", "qty": 1},\n  5,\n  {"id": "m2", "first_name": "Bo"},\n  "x",\n'
        '  {"id": "m3", "qty": "many"}\n]\n'
    )
    good = root / "multi-good.json"
    good.write_text('[{"id": "m4", "qty": 2}]')
    lp = Lakeport(spark, cfg)
    result = lp.ingest("trips_multi", [str(bad), str(good)]).to_json()
    assert result["metrics"]["inputRecordCount"] == 6
    assert result["metrics"]["failedRecordCount"] == 2
    failed = {
        r["line"]: (
            r["raw"],
            [e["code"] for e in r["errors"]],
            r["source_file"].endswith("bad.json"),
        )
        for r in lp.errors(result["batch_id"]).collect()
    }
    assert failed == {
        2: ("5", ["PARSE_MALFORMED_JSON"], True),
        4: ('"x"', ["PARSE_MALFORMED_JSON"], True),
    }
    warned = {
        r["line"]: r["raw"] for r in lp.errors(result["batch_id"], severity="warning").collect()
    }
    assert warned == {5: '{"id":"m3","qty":"many"}'}
    landed = (
        spark.read.format("delta")
        .load(Lake(cfg.lake_root).dataset_path("trips_multi"))
        .select("id", "qty", "firstName")
        .collect()
    )
    assert sorted(tuple(r) for r in landed) == [
        ("m1", 1, None),
        ("m2", None, "Bo"),
        ("m3", None, None),
        ("m4", 2, None),
    ]


def test_a_malformed_multiline_file_is_still_one_failed_record(spark, trips):
    cfg, root, _ = trips
    broken = root / "multi-broken.json"
    broken.write_text('[{"id": "x1"}, {"id": ')
    lp = Lakeport(spark, cfg)
    result = lp.ingest("trips_multi", [str(broken)]).to_json()
    m = result["metrics"]
    assert (m["inputRecordCount"], m["failedRecordCount"]) == (1, 1)
    [row] = lp.errors(result["batch_id"]).collect()
    assert (row["raw"], [e["code"] for e in row["errors"]]) == (
        '[{"id": "x1"}, {"id": ',
        ["PARSE_MALFORMED_JSON"],
    )


# --------------------------------------------------------------------------------------------
# The mapping engine on a frame: on_invalid per dataset and field, DST rules, date targets
# --------------------------------------------------------------------------------------------

FRAME_SCHEMA = SchemaSpec.model_validate(
    {
        "class": "other",
        "fields": {
            "n": {"type": "integer"},
            "n_null": {"type": "integer", "on_invalid": "null"},
            "n_fail": {"type": "integer", "on_invalid": "fail"},
            "tiny": {"type": "byte"},
            "when": {"type": "datetime"},
            "eu": {"type": "datetime"},
            "day": {"type": "date"},
            "word": {"type": "string", "pattern": "^[a-z]+$"},
        },
    }
)
FRAME_MAPPING = MappingSpec(
    auto=True,
    timezone="Europe/Berlin",
    fields=[
        MappingEntry(target="eu", source="eu", format="dd/MM/yyyy HH:mm"),
        MappingEntry(target="word", expression="lower(trim(w))"),
    ],
)
COLUMNS = ["n", "n_null", "n_fail", "tiny", "when", "eu", "day", "w"]


def _mapped(spark, on_invalid: str, rows: list[dict[str, str | None]]):
    df = spark.createDataFrame(
        [tuple(r.get(c) for c in COLUMNS) for r in rows],
        ", ".join(f"{c} string" for c in COLUMNS),
    )
    plan = resolve_mapping(FRAME_MAPPING, FRAME_SCHEMA, COLUMNS)
    out = apply_mapping(
        df,
        plan,
        FRAME_SCHEMA,
        lambda p: (F.col(p), df.schema[p].dataType),
        FRAME_MAPPING.timezone,
        on_invalid=on_invalid,
    ).withColumn("when", F.date_format("when", "yyyy-MM-dd'T'HH:mm:ssXXX"))
    out = out.withColumn("eu", F.date_format("eu", "yyyy-MM-dd'T'HH:mm:ssXXX"))
    return [
        (
            sorted((e.code, e.field) for e in r["_errors"]),
            sorted((w.code, w.field) for w in r["_warnings"]),
            r,
        )
        for r in out.collect()
    ]


BAD_NUMBERS = {"n": "x", "n_null": "x", "n_fail": "x", "tiny": "300"}


@pytest.mark.parametrize(
    ("on_invalid", "errors", "warnings"),
    [
        (
            "null",
            [("CONVERSION_INVALID_NUMBER", "n_fail"), ("CONVERSION_OUT_OF_RANGE", "tiny")],
            [("CONVERSION_INVALID_NUMBER", "n"), ("CONVERSION_INVALID_NUMBER", "n_null")],
        ),
        (
            "fail",
            [
                ("CONVERSION_INVALID_NUMBER", "n"),
                ("CONVERSION_INVALID_NUMBER", "n_fail"),
                ("CONVERSION_OUT_OF_RANGE", "tiny"),
            ],
            [("CONVERSION_INVALID_NUMBER", "n_null")],
        ),
    ],
)
def test_the_field_setting_wins_over_the_dataset_one(spark, on_invalid, errors, warnings):
    [(got_errors, got_warnings, row)] = _mapped(spark, on_invalid, [BAD_NUMBERS])
    assert (got_errors, got_warnings) == (errors, warnings)
    assert (row["n"], row["n_null"], row["n_fail"], row["tiny"]) == (None, None, None, None)


def test_dst_rules_in_a_declared_format_and_for_dates(spark):
    rows = _mapped(
        spark,
        "null",
        [
            {"eu": "31/03/2024 02:30", "when": "2024-10-27 02:30:00", "day": "2024-03-31"},
            {"eu": "31/03/2024 03:30", "when": "2024-10-27T02:30:00+01:00", "w": "  "},
        ],
    )
    (e1, w1, r1), (e2, w2, r2) = rows
    assert (e1, e2) == ([], [])
    assert w1 == [("DATETIME_DST_GAP", "eu"), ("DATETIME_DST_OVERLAP", "when")]
    assert (r1["eu"], r1["when"]) == ("2024-03-31T01:30:00Z", "2024-10-27T00:30:00Z")
    assert (w2, r2["eu"], r2["when"], r2["word"]) == (
        [],
        "2024-03-31T01:30:00Z",
        "2024-10-27T01:30:00Z",
        None,
    )
