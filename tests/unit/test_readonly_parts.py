"""The pieces of the read-only path that need no lake: globbing and listing as Hadoop does,
Java's double text, the preview order and its tie check, Spark's show() layout, the switch."""

from __future__ import annotations

import os
from datetime import date, datetime, timezone

import pytest

from lakeport.readonly import enabled
from lakeport.readonly.order import keys, pick
from lakeport.readonly.show import pretty, show
from lakeport.readonly.sparkjson import event_text, java_double
from lakeport.readonly.store import Store, Unavailable, glob_regex
from lakeport.readonly.tables import Frame, spark_local


@pytest.mark.parametrize(
    ("glob", "yes", "no"),
    [
        ("*.jsonl", ["a.jsonl", ".a.jsonl"], ["a.json", "a.jsonl.tmp"]),
        ("2026-??.{json,jsonl}", ["2026-01.json", "2026-12.jsonl"], ["2026-1.json"]),
        ("[ab]*", ["a", "bx"], ["c"]),
        ("[^a]*", ["b"], ["a"]),
        ("a\\*b", ["a*b"], ["axb"]),
    ],
)
def test_globs_match_as_hadoop_globs_do(glob, yes, no):
    regex = glob_regex(glob)
    assert all(regex.fullmatch(n) for n in yes)
    assert not any(regex.fullmatch(n) for n in no)


def test_listing_skips_hidden_names_and_qualifies_paths(tmp_path):
    (tmp_path / "in" / "2026-01").mkdir(parents=True)
    for name in ("a.jsonl", "_b.jsonl", ".c.jsonl", "d.csv"):
        (tmp_path / "in" / name).write_text("x\n")
    (tmp_path / "in" / "2026-01" / "e.jsonl").write_text("xy\n")
    os.utime(tmp_path / "in" / "a.jsonl", ns=(0, 1_700_000_000_123_456_789))
    store = Store.of(str(tmp_path), {})
    listed = store.list_files(f"{tmp_path}/in/*.jsonl")
    assert [(f.path, f.size, f.mtime) for f in listed] == [
        (f"file:{tmp_path}/in/a.jsonl", 2, 1_700_000_000_123)
    ]
    nested = store.list_files(f"{tmp_path}/in/2026-*/*.jsonl")
    assert [f.path.rsplit("/", 2)[-2:] for f in nested] == [["2026-01", "e.jsonl"]]
    directory = store.list_files(f"{tmp_path}/in")  # a directory: its visible files
    assert [f.path.rsplit("/", 1)[-1] for f in directory] == ["a.jsonl", "d.csv"]
    assert store.list_files(f"{tmp_path}/nothing/*.jsonl") == []


def test_other_filesystems_and_unknown_s3a_keys_are_for_spark():
    with pytest.raises(Unavailable):
        Store.of("hdfs://nn/lake", {})
    with pytest.raises(Unavailable):
        Store.of("s3a://b/lake", {"spark.hadoop.fs.s3a.aws.credentials.provider": "x"})
    s3 = Store.of("s3a://b/lake", {"spark.hadoop.fs.s3a.endpoint": "http://127.0.0.1:9000"})
    assert s3.table_uri("s3a://b/lake/system/batches") == "s3://b/lake/system/batches"
    assert s3.options["AWS_ENDPOINT_URL"] == "http://127.0.0.1:9000"
    assert s3.options["AWS_ALLOW_HTTP"] == "true"
    assert s3.options["AWS_VIRTUAL_HOSTED_STYLE_REQUEST"] == "true"  # path style not set here


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (89.5, "89.5"),
        (1e10, "1.0E10"),
        (1e-4, "1.0E-4"),
        (0.001, "0.001"),
        (1234567.0, "1234567.0"),
        (12345678.0, "1.2345678E7"),
        (-0.0, "-0.0"),
        (2.5e-7, "2.5E-7"),
    ],
)
def test_doubles_are_written_as_java_writes_them(value, text):
    assert java_double(value) == text


def test_doubles_whose_java_text_is_uncertain_are_for_spark():
    with pytest.raises(Unavailable):
        java_double(0.1 + 0.2)  # 17 significant digits
    with pytest.raises(Unavailable):
        java_double(float("nan"))


def test_event_text_is_jacksons():
    assert event_text({"a": 'x\n\u0001"', "b": [1, None], "c": {"d": 2.0}}) == (
        '{"a":"x\\n\\u0001\\"","b":[1,null],"c":{"d":2.0}}'
    )


def test_the_preview_order_and_a_tie_that_would_be_arbitrary():
    fields = {"k": "long", "s": "string", "m": "map<string,long>"}
    frame = Frame(
        ["k", "s", "m"],
        fields,
        {"k": [2, 1, 1, None], "s": ["b", "z", "a", "q"], "m": [[], [("x", 1)], [], []]},
    )
    order = keys(fields, ["k"])
    assert [k.path for k in order] == [("k",), ("s",)]  # the map is left out
    assert pick(frame, order, 3) == [3, 2, 1]
    tied = Frame(
        ["k", "m"],
        {"k": "long", "m": "map<string,long>"},
        {"k": [1, 1], "m": [[("x", 1)], [("x", 2)]]},
    )
    with pytest.raises(Unavailable):
        pick(tied, keys(tied.types, ["k"]), 1)
    same = Frame(
        ["k", "m"],
        {"k": "long", "m": "map<string,long>"},
        {"k": [1, 1], "m": [[("x", 1)], [("x", 1)]]},
    )
    assert pick(same, keys(same.types, ["k"]), 1) == [0]


def test_show_text_and_cells():
    t = datetime(2024, 1, 2, 3, 4, 5, 120000, tzinfo=timezone.utc)
    assert pretty("timestamp", t) == "2024-01-02 03:04:05.12"
    assert pretty("date", date(2024, 1, 2)) == "2024-01-02"
    assert pretty("array", None) == "NULL"
    text = show(
        ["a", "b"],
        {"a": "string", "b": "long"},
        [{"a": "x" * 50, "b": None}],
        truncate=40,
        vertical=False,
    )
    assert text.splitlines()[3] == "|" + "x" * 37 + "...|NULL|"
    assert show(["a"], {"a": "long"}, [], truncate=40, vertical=True) == "(0 rows)"


def test_collected_timestamps_are_local_naive_times():
    aware = datetime(2026, 6, 1, 12, 0, 0, 5, tzinfo=timezone.utc)
    assert spark_local(aware) == datetime.fromtimestamp(aware.timestamp()).replace(microsecond=5)


def test_the_switch():
    assert enabled({}) and enabled({"LAKEPORT_READONLY": "on"})
    assert not any(enabled({"LAKEPORT_READONLY": v}) for v in ("off", "0", "false", "no", "OFF"))
