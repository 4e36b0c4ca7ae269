"""Bad input never loses a record: a corpus of nasty files, and a property test of conservation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyspark.sql import functions as F

from lakeport.api import Lakeport
from lakeport.lake.layout import Lake

pytestmark = pytest.mark.spark


def _outcome(spark, cfg, path: str) -> tuple[dict, dict[int, list[str]], list[str]]:
    """(batch summary, {line: [codes]} of failed records, sorted landed ids)."""
    result = Lakeport(spark, cfg).ingest("people_all", [path]).to_json()
    errors = {
        r["line"]: list(r["codes"])
        for r in Lakeport(spark, cfg)
        .errors(result["batch_id"])
        .select("line", F.col("errors.code").alias("codes"))
        .collect()
    }
    landed = (
        spark.read.format("delta")
        .load(Lake(cfg.lake_root).dataset_path("people_all"))
        .where(F.col("_batch_id") == result["batch_id"])
        .select("id")
        .collect()
    )
    return result, errors, sorted(r["id"] for r in landed)


def test_corpus_of_bad_json_lines(spark, mini, tmp_path: Path):
    deep = '{"id": "deep", "x": ' + '{"a": ' * 200 + "1" + "}" * 200 + "}"
    long_line = json.dumps({"id": "long", "first_name": "x" * 1_000_000})
    lines = [
        b'{"id": "ok1", "age": 1}',  # 1 good
        b'{"id": "crlf", "age": 2}\r',  # 2 CRLF line ending: good
        b'{"id": "bad-utf8", "first_name": "caf\xe9"}',  # 3 invalid UTF-8: replaced, lands with a warning
        b'{"id": "nul", "first_name": "a\x00b"}',  # 4 raw NUL in a string: malformed
        b'{"id": "dup", "age": 1, "age": 2}',  # 5 duplicate key: last wins
        long_line.encode(),  # 6 a 1 MB line: good
        deep.encode(),  # 7 deeply nested (unmapped) object: good
        b'{"id": "obj", "first_name": {"nested": true}}',  # 8 object into a string field: its JSON text
        b'{"id": "big", "age": 2147483648}',  # 9 out of range for integer: fails, optional or not
        b'{"id": "neg", "age": -5}',  # 10 below minimum
        b'{"id": "types", "age": "forty", "vip": "maybe"}',  # 11 wrong types in optional fields: warnings
        b'{"id": 12345, "age": 3}',  # 12 number as a string id: fine
        b'{"age": 3}',  # 13 missing required id
        b'{"id": "trunc", "age": ',  # 14 truncated line
        b"\xef\xbb\xbf" + b'{"id": "bom-in-middle"}',  # 15 a stray BOM
        b'{"id": "last-no-newline"',  # 16 truncated file end
    ]
    f = tmp_path / "corpus.jsonl"
    f.write_bytes(b"\n".join(lines))
    result, errors, landed = _outcome(spark, mini, str(f))
    m = result["metrics"]
    assert (m["inputRecordCount"], m["outputRecordCount"], m["failedRecordCount"]) == (16, 10, 6)
    assert errors == {
        4: ["PARSE_MALFORMED_JSON"],  # JSON forbids raw control characters inside strings
        9: ["CONVERSION_OUT_OF_RANGE"],
        10: ["BELOW_MINIMUM"],
        13: ["REQUIRED_MISSING"],
        14: ["PARSE_MALFORMED_JSON"],
        16: ["PARSE_MALFORMED_JSON"],
    }
    assert landed == [
        "12345",
        "bad-utf8",
        "bom-in-middle",
        "crlf",
        "deep",
        "dup",
        "long",
        "obj",
        "ok1",
        "types",
    ]
    rows = {
        r["id"]: r
        for r in spark.read.format("delta")
        .load(Lake(mini.lake_root).dataset_path("people_all"))
        .collect()
    }
    assert rows["dup"]["age"] == 2
    assert rows["obj"]["name"]["first"] == '{"nested":true}'
    assert rows["types"]["age"] is None and rows["types"]["vip"] is None
    assert rows["bad-utf8"]["name"]["first"] == "caf\ufffd"
    assert len(rows["long"]["name"]["first"]) == 1_000_000
    warned = {
        r["line"]: list(r["codes"])
        for r in Lakeport(spark, mini)
        .errors(result["batch_id"], severity="warning")
        .select("line", F.col("errors.code").alias("codes"))
        .collect()
    }
    assert warned == {
        3: ["ENCODING_INVALID_UTF8"],
        11: ["CONVERSION_INVALID_NUMBER", "CONVERSION_INVALID_BOOLEAN"],
    }


# ---------------------------------------------------------------------------------------------
# Property: for any mix of good and bad records, input == output + failed, every good record lands
# exactly once, every bad record is retrievable with its raw text and the right code.
# ---------------------------------------------------------------------------------------------

BAD_KINDS = {
    "malformed": ("PARSE_MALFORMED_JSON", lambda i: f'{{"id": "b{i}", "age": '),
    "not_json": ("PARSE_MALFORMED_JSON", lambda i: f"garbage {i}"),
    "missing_id": ("REQUIRED_MISSING", lambda i: json.dumps({"first_name": f"n{i}"})),
    "negative_age": ("BELOW_MINIMUM", lambda i: json.dumps({"id": f"b{i}", "age": -1 - i})),
}

good_record = st.fixed_dictionaries(
    {
        "first_name": st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12),
        "age": st.integers(min_value=0, max_value=150),
        "vip": st.sampled_from(["yes", "no", True, False, "Y", "off"]),
        "signup": st.sampled_from(
            ["2024-01-02T03:04:05Z", "2024-01-02 03:04:05+02:00", 1704164645000, "1704164645000"]
        ),
    },
)
record = st.one_of(
    good_record.map(lambda d: ("good", d)),
    st.sampled_from(sorted(BAD_KINDS)).map(lambda k: ("bad", k)),
)


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(record, min_size=1, max_size=40))
def test_record_conservation_property(spark, mini, tmp_path_factory, records):
    lines, good_ids, bad = [], [], {}
    for i, (kind, value) in enumerate(records):
        if kind == "good":
            good_ids.append(f"g{i}")
            lines.append(json.dumps({"id": f"g{i}", **value}))
        else:
            code, make = BAD_KINDS[value]
            lines.append(make(i))
            bad[i + 1] = (code, lines[-1])
    f = tmp_path_factory.mktemp("prop") / "mixed.jsonl"
    f.write_text("\n".join(lines) + "\n")
    result = Lakeport(spark, mini).ingest("people_all", [str(f)]).to_json()
    m = result["metrics"]
    assert m["inputRecordCount"] == len(records)
    assert m["inputRecordCount"] == m["outputRecordCount"] + m["failedRecordCount"]
    assert m["failedRecordCount"] == len(bad)
    landed = (
        spark.read.format("delta")
        .load(Lake(mini.lake_root).dataset_path("people_all"))
        .where(F.col("_batch_id") == result["batch_id"])
        .select("id")
        .collect()
    )
    assert sorted(r["id"] for r in landed) == sorted(good_ids)
    failed = {
        r["line"]: (r["codes"][0], r["raw"])
        for r in Lakeport(spark, mini)
        .errors(result["batch_id"])
        .select("line", "raw", F.col("errors.code").alias("codes"))
        .collect()
    }
    assert failed == bad
