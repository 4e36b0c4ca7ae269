"""The read-only commands without Spark print exactly what they print with Spark.

Spark writes a lake through the real pipeline: batches that succeed (with failed records and
warnings), one that fails, one left open, a source with files done, one deleted and one waiting,
and profiles built twice (the second build is incremental, so its MERGE writes deletion
vectors). Every read-only command then runs in this process twice, once with delta-rs
(``Context.lakeport`` made to fail, so Spark cannot answer it) and once on Spark
(``LAKEPORT_READONLY=off``), and stdout and the exit code must be the same bytes. Under a
non-UTC ``TZ`` too, since collected timestamps are local times.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lakeport.api import Lakeport
from lakeport.cli import main
from lakeport.config import load_config
from lakeport.errors import BatchError
from tests.conftest import REPO

pytestmark = pytest.mark.spark

SCHEMAS = {
    "members": """
class: profile
fields:
  memberId: {type: string, required: true, identity: {namespace: member, primary: true}}
  email: {type: string, identity: {namespace: email}}
  name: {type: object, fields: {first: {type: string}, last: {type: string}}}
  age: {type: integer, minimum: 0}
  score: {type: double}
  vip: {type: boolean}
  birthday: {type: date}
  signup: {type: datetime}
  tags: {type: array, items: {type: string}}
  prefs: {type: map, values: {type: string}}
""",
    "orders": """
class: event
fields:
  _id: {type: string, required: true}
  timestamp: {type: datetime, required: true}
  memberId: {type: string, identity: {namespace: member, primary: true}}
  email: {type: string, identity: {namespace: email}}
  amount: {type: double}
  items: {type: array, items: {type: object, fields: {sku: {type: string}, qty: {type: long}}}}
""",
}
MAPPINGS = {
    "members": """
schema: members
fields:
  - {target: memberId, source: id}
  - {target: email, source: email}
  - {target: name.first, source: first}
  - {target: name.last, source: last}
  - {target: age, source: age}
  - {target: score, source: score}
  - {target: vip, source: vip}
  - {target: birthday, source: birthday}
  - {target: signup, source: signup}
  - {target: tags, source: tags}
  - {target: prefs, source: prefs}
""",
    "orders": """
schema: orders
fields:
  - {target: _id, source: _id}
  - {target: timestamp, source: timestamp}
  - {target: memberId, source: memberId}
  - {target: email, source: email}
  - {target: amount, source: amount}
  - {target: items, source: items}
""",
}
CONFIG = """
lake: {root: ./lake}
spark:
  conf: {spark.sql.shuffle.partitions: 2}
datasets:
  members: {schema: members, mapping: members, format: json,
            partial_ingestion: {enabled: true, error_threshold_percent: 50}}
  members_strict: {schema: members, mapping: members, format: json}
  orders: {schema: orders, mapping: orders, format: json,
           partial_ingestion: {enabled: true, error_threshold_percent: 50}}
profiles:
  default_policy: latest
  policies:
    latest: {merge: timestamp_ordered}
    strict_first: {merge: dataset_precedence, datasets: [members_strict, members]}
sources:
  landing: {location: LANDING, glob: "*.jsonl", dataset: orders}
"""
M1 = [
    {
        "id": "M1",
        "email": "ann@x.io",
        "first": "Ann",
        "last": "Lee",
        "age": 31,
        "score": 1.5,
        "vip": True,
        "birthday": "1990-02-03",
        "signup": "2024-01-02T03:04:05.123456Z",
        "tags": ["a", "b"],
        "prefs": {"lang": "en", "tz": None},
    },
    {
        "id": "M2",
        "email": "bo@x.io",
        "first": "Bo",
        "age": 40,
        "score": 1e10,
        "signup": "2024-01-02T03:04:05Z",
        "tags": [],
    },
    {"id": "M3", "first": "Cy", "score": 0.1, "signup": "2024-02-30T00:00:00Z"},  # a warning
    {"id": "M4", "email": "dee@x.io", "first": "Dee", "age": -1},  # fails: below minimum
    "not json",
    {"id": "M5", "first": "Eve", "prefs": {}},
    {"id": "M6", "first": "Ann", "last": "Lee", "tags": ["z"]},
]
ORDERS = [
    {
        "_id": "o1",
        "timestamp": "2025-05-01T10:00:00Z",
        "memberId": "M1",
        "amount": 10.0,
        "items": [{"sku": "s1", "qty": 2}],
    },
    {
        "_id": "o2",
        "timestamp": "2025-05-01T10:00:00Z",
        "memberId": "M1",
        "email": "ann@x.io",
        "amount": 2.25,
    },
    {"_id": "o3", "timestamp": "2025-04-01T08:00:00+02:00", "email": "bo@x.io", "amount": 99.5},
    {"_id": "o4", "timestamp": "not a time", "memberId": "M2"},
]
M2 = [  # the second members batch: M1 moves on, M7 links M2's email (the graph grows)
    {"id": "M1", "email": "ann@x.io", "first": "Annie", "last": "Lee", "score": 2.0},
    {"id": "M7", "email": "bo@x.io", "first": "Bob"},
]


def _lines(rows) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows)


@pytest.fixture(scope="module")
def world(spark, tmp_path_factory):
    root = tmp_path_factory.mktemp("readonly")
    (root / "conf" / "mappings").mkdir(parents=True)
    (root / "schemas").mkdir()
    for name, text in SCHEMAS.items():
        (root / "schemas" / f"{name}.yaml").write_text(text)
    for name, text in MAPPINGS.items():
        (root / "conf" / "mappings" / f"{name}.yaml").write_text(text)
    landing = root / "landing"
    landing.mkdir()
    config = root / "conf" / "lakeport.yaml"
    config.write_text(CONFIG.replace("LANDING", str(landing)))
    cfg = load_config(config, lake_root=str(root / "lake"))
    lp = Lakeport(spark, cfg)
    data = root / "data"
    data.mkdir()
    (data / "m1.jsonl").write_text(_lines(M1))
    (data / "m1b.jsonl").write_text(_lines([{"id": "M8", "first": "Hal", "tags": ["q"]}]))
    lp.ingest("members", [str(data / "m1.jsonl"), str(data / "m1b.jsonl")], batch_id="m1")
    with pytest.raises(BatchError):
        lp.ingest("members_strict", [str(data / "m1.jsonl")], batch_id="f1")
    lp.create_batch("members", batch_id="open1")
    (data / "o1.jsonl").write_text(_lines(ORDERS))
    lp.ingest("orders", [str(data / "o1.jsonl")], batch_id="o1")
    (landing / "a.jsonl").write_text(
        _lines(
            [{"_id": "s1", "timestamp": "2025-06-01T00:00:00Z", "memberId": "M5", "amount": 5.0}]
        )
    )
    (landing / "b.jsonl").write_text(
        _lines([{"_id": "s2", "timestamp": "2025-06-02T00:00:00Z", "memberId": "M6"}])
    )
    run = lp.run_source("landing")
    assert run.status == "ingested"
    (landing / "b.jsonl").unlink()  # seen, then deleted: present false
    (landing / "c.jsonl").write_text(_lines([{"_id": "s3", "timestamp": "2025-06-03T00:00:00Z"}]))
    lp.build_profiles()
    (data / "m2.jsonl").write_text(_lines(M2))
    lp.ingest("members", [str(data / "m2.jsonl")], batch_id="m2")
    second = lp.build_profiles().to_json()
    assert second["policies"]["latest"]["mode"] == "incremental", second
    return {"config": str(config), "lake": cfg.lake_root, "source_batch": run.batches[0].batch_id}


def cli(world, *args: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main([*args, "--config", world["config"], "--lake", world["lake"]])
    return code, out.getvalue()


def both(world, monkeypatch, *args: str) -> tuple[tuple[int, str], tuple[int, str]]:
    """(the read-only path's answer, Spark's answer) of one command."""
    from lakeport.cli.context import Context

    def no_spark(self):
        raise AssertionError(f"{args}: the read-only path did not answer; Spark was asked")

    with monkeypatch.context() as m:
        m.setenv("LAKEPORT_READONLY", "on")
        m.setattr(Context, "lakeport", no_spark)
        fast = cli(world, *args)
    with monkeypatch.context() as m:
        m.setenv("LAKEPORT_READONLY", "off")
        slow = cli(world, *args)
    return fast, slow


def commands(world) -> list[list[str]]:
    out: list[list[str]] = []
    for b in ("m1", "f1", "open1", "o1", "m2", world["source_batch"], "nope"):
        out += [["batch", "status", b, "--json"], ["batch", "status", b]]
    out += [
        ["batch", "list", "--json"],
        ["batch", "list"],
        ["batch", "list", "--dataset", "members", "--json"],
        ["batch", "errors", "m1", "--json"],
        ["batch", "errors", "m1"],
        ["batch", "errors", "m1", "--format", "table"],
        ["batch", "errors", "m1", "--severity", "warning", "--json"],
        ["batch", "errors", "m1", "--severity", "all", "--format", "table"],
        ["batch", "errors", "m1", "--code", "BELOW_MINIMUM", "--json"],
        ["batch", "errors", "m1", "--limit", "1", "--json"],
        ["batch", "errors", "f1", "--json"],
        ["batch", "errors", "o1", "--json"],
        ["batch", "errors", "nope", "--json"],
        ["datasets", "list", "--json"],
        ["datasets", "list"],
        ["datasets", "preview", "members", "--json"],
        ["datasets", "preview", "members", "--limit", "3", "--json"],
        ["datasets", "preview", "orders", "--limit", "100", "--json"],
        ["datasets", "preview", "members_strict", "--json"],
        ["datasets", "preview", "members"],
        ["datasets", "preview", "members", "--limit", "2", "--vertical"],
        ["datasets", "preview", "orders", "--limit", "0"],
        ["datasets", "preview", "orders", "--limit", "0", "--vertical"],
        ["datasets", "preview", "unknown", "--json"],
        ["sources", "status", "landing", "--json"],
        ["sources", "status", "landing"],
        ["sources", "status", "nope", "--json"],
    ]
    for ns, value in (("member", "M1"), ("email", "bo@x.io"), ("member", "M7"), ("member", "M8")):
        for policy in ("latest", "strict_first"):
            out.append(
                [
                    "profiles",
                    "get",
                    "--namespace",
                    ns,
                    "--id",
                    value,
                    "--policy",
                    policy,
                    "--events",
                    "--json",
                ]
            )
    out += [
        ["profiles", "get", "--namespace", "member", "--id", "M1"],
        [
            "profiles",
            "get",
            "--namespace",
            "member",
            "--id",
            "M1",
            "--events",
            "--events-limit",
            "1",
            "--json",
        ],
        ["profiles", "get", "--namespace", "member", "--id", "nobody", "--json"],
        ["profiles", "get", "--namespace", "nons", "--id", "x", "--json"],
        ["profiles", "get", "--namespace", "member", "--id", "M1", "--policy", "nope", "--json"],
    ]
    return out


def test_the_profile_tables_hold_deletion_vectors(world):
    from deltalake import DeltaTable

    from lakeport.lake.layout import Lake

    lake = Lake(world["lake"])
    for path in (lake.profiles_path("latest"), lake.graph_path()):
        table = DeltaTable(path)
        assert "deletionVectors" in (table.protocol().reader_features or []), path
    dvs = DeltaTable(lake.profiles_path("latest")).deletion_vectors().read_all()
    assert dvs.num_rows > 0, "the incremental build's MERGE wrote no deletion vector"
    assert "changeDataFeed" in (
        DeltaTable(lake.profiles_path("latest")).protocol().writer_features or []
    )


@pytest.mark.parametrize("zone", ["UTC", "America/New_York"])
def test_every_read_only_command_prints_the_same_bytes_on_both_paths(world, monkeypatch, zone):
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        differ = []
        for args in commands(world):
            fast, slow = both(world, monkeypatch, *args)
            if fast != slow:
                differ.append((args, fast, slow))
        assert differ == []
    finally:
        monkeypatch.undo()
        time.tzset()


def test_the_answers_are_the_right_ones(world, monkeypatch):
    """Not only equal: a few facts checked by hand on the read-only path."""
    monkeypatch.setenv("LAKEPORT_READONLY", "on")
    _, out = cli(world, "batch", "status", "m1", "--json")
    m1 = json.loads(out)
    assert (m1["status"], m1["metrics"]["inputRecordCount"]) == ("success", 8)
    assert (m1["metrics"]["failedRecordCount"], m1["metrics"]["warningRecordCount"]) == (2, 1)
    _, out = cli(world, "batch", "status", "f1", "--json")
    assert json.loads(out)["status"] == "failed"
    _, out = cli(world, "sources", "status", "landing", "--json")
    status = json.loads(out)
    assert status["pendingFiles"] == 1
    assert sorted((Path(f["path"]).name, f["present"]) for f in status["files"]) == [
        ("a.jsonl", True),
        ("b.jsonl", False),
    ]
    _, out = cli(
        world, "profiles", "get", "--namespace", "member", "--id", "M1", "--events", "--json"
    )
    profile = json.loads(out)
    assert profile["attributes"]["name"]["first"] == "Annie"
    assert [e["_id"] for e in profile["events"]] == ["o1", "o2"]  # the same time: by JSON text


def test_spark_answers_when_delta_rs_may_not_read_a_table(world, monkeypatch, caplog):
    """Deletion vectors not allowed: profiles get falls back to Spark, with one debug line."""
    from lakeport.readonly import tables

    caplog.set_level(logging.DEBUG, logger="lakeport.readonly")
    args = ["profiles", "get", "--namespace", "member", "--id", "M1", "--events", "--json"]
    monkeypatch.setenv("LAKEPORT_READONLY", "off")
    expected = cli(world, *args)
    monkeypatch.setenv("LAKEPORT_READONLY", "on")
    monkeypatch.setattr(tables, "READER_FEATURES", frozenset())
    assert cli(world, *args) == expected
    assert any("deletionVectors" in r.getMessage() for r in caplog.records), caplog.text


def test_spark_answers_when_deltalake_is_not_installed(world, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG, logger="lakeport.readonly")
    monkeypatch.setenv("LAKEPORT_READONLY", "off")
    expected = cli(world, "batch", "status", "m1", "--json")
    monkeypatch.setenv("LAKEPORT_READONLY", "on")
    monkeypatch.setitem(sys.modules, "deltalake", None)  # import deltalake raises ImportError
    assert cli(world, "batch", "status", "m1", "--json") == expected
    assert "deltalake package is not installed" in caplog.text


def test_spark_answers_for_a_table_with_a_reader_feature_delta_rs_is_not_allowed(
    spark, world, tmp_path, monkeypatch, caplog
):
    """A real table with a reader feature outside the allowed set (timestampNtz, added by Spark)."""
    lake = tmp_path / "lake"
    shutil.copytree(world["lake"], lake)
    table = lake / "datasets" / "orders"
    spark.sql(
        f"ALTER TABLE delta.`{table}` SET TBLPROPERTIES ('delta.feature.timestampNtz' = 'supported')"
    )
    caplog.set_level(logging.DEBUG, logger="lakeport.readonly")
    other = {**world, "lake": str(lake)}
    for args in (["datasets", "list", "--json"], ["datasets", "preview", "orders", "--json"]):
        monkeypatch.setenv("LAKEPORT_READONLY", "off")
        expected = cli(other, *args)
        monkeypatch.setenv("LAKEPORT_READONLY", "on")
        assert cli(other, *args) == expected
    assert "timestampNtz" in caplog.text


@pytest.mark.slow
def test_batch_status_in_a_fresh_process_starts_no_jvm(world, tmp_path):
    """No Java at all (JAVA_HOME points nowhere, no java on PATH), and the right JSON anyway."""
    path = str(Path(sys.executable).parent)
    assert shutil.which("java", path=path) is None
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYSPARK", "SPARK", "JAVA"))}
    env.update(JAVA_HOME=str(tmp_path / "no-java"), PATH=path, LAKEPORT_READONLY="on")
    expected = {}
    os.environ["LAKEPORT_READONLY"] = "off"
    try:
        for args in (
            ("batch", "status", "m1"),
            ("datasets", "list"),
            ("profiles", "get", "--namespace", "member", "--id", "M1", "--events"),
        ):
            expected[args] = cli(world, *args, "--json")
    finally:
        os.environ.pop("LAKEPORT_READONLY")
    for args, (code, stdout) in expected.items():
        started = time.monotonic()
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "lakeport",
                *args,
                "--json",
                "--config",
                world["config"],
                "--lake",
                world["lake"],
            ],
            cwd=REPO,
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
        took = time.monotonic() - started
        assert (proc.returncode, proc.stdout) == (code, stdout), proc.stderr
        assert took < 60, took  # a JVM would not even have been found
