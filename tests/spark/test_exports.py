"""Profile snapshot and dataset exports: read every format back and compare with the pinned source.

The profile tables here are built by hand in the contract's shape (CDF on, one MERGE per build
that updates changed profiles, inserts new ones and deletes the ones merged away), so the export
is tested independently of the profile builder.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import date, datetime
from pathlib import Path

import pytest

from lakeport import exports as ex
from lakeport.errors import ExportError, UsageError
from lakeport.lake import hooks
from lakeport.lake.delta import write_batch_rows
from lakeport.lake.layout import Lake
from lakeport.lake.tables import struct_schema
from tests.conftest import CONFIG, assert_frames_equal

pytestmark = pytest.mark.spark

PROFILE_DDL = (
    "profile_id string not null, "
    "identities array<struct<namespace:string,id:string>>, "
    "person struct<firstName:string,lastName:string,birthDate:date>, "
    "homeAddress struct<city:string,country:string>, "
    "loyaltyId string, crmId string, email string, points long, score double, "
    "_provenance map<string,struct<dataset:string,batch_id:string,ingested_at:timestamp>>, "
    "_updated_at timestamp, _build_id string"
)
TS = datetime(2026, 11, 23, 10, 15, 30, 123456)


def profile(pid: str, build: str, *, email: str | None = None, first: str | None = "Ada", **kw):
    """One profile row (a tuple in PROFILE_DDL order)."""
    ids = kw.get("ids", [("loyaltyId", f"L{pid}"), ("crmId", f"C{pid}")])
    return (
        pid,
        [{"namespace": n, "id": i} for n, i in sorted(ids)],
        kw.get("person", (first, "Lovelace", date(1990, 5, 17))),
        kw.get("address", ("New York", "US")),
        f"L{pid}",
        f"C{pid}",
        email,
        kw.get("points", 120),
        kw.get("score", 0.1 + 0.2),
        {"email": ("crm", f"b-{build}", TS)} if email else {},
        TS,
        build,
    )


BUILD1 = [
    # values that CSV and JSON writers get wrong when they are careless
    profile("P1", "b1", email="ada@example.com", first=' Ada, "the first"\nline '),
    profile("P2", "b1", email="", first="Zoë", person=None),
    profile("P3", "b1", email=None, ids=[("crmId", "CP3")], address=(None, None)),
    profile("P4", "b1", email="p4@example.com", ids=[], points=None, score=None),
]


def create_profiles(spark, path: str) -> None:
    """Version 0: the empty table with CDF on; version 1: the first build (inserts only)."""
    from delta.tables import DeltaTable

    schema = struct_schema(PROFILE_DDL)
    builder = DeltaTable.create(spark).location(path).addColumns(schema)
    builder.property("delta.enableChangeDataFeed", "true").execute()
    spark.createDataFrame(BUILD1, schema).write.format("delta").mode("append").save(path)


def build(spark, path: str, upserts: list[tuple], deleted: list[str]) -> None:
    """One profile build as the contract says: a single MERGE that updates, inserts and deletes."""
    from delta.tables import DeltaTable
    from pyspark.sql import functions as F

    schema = struct_schema(PROFILE_DDL)
    rows = spark.createDataFrame(upserts, schema).withColumn("_gone", F.lit(False))
    gone = spark.createDataFrame([(d,) for d in deleted], "profile_id string")
    for f in schema.fields[1:]:
        gone = gone.withColumn(f.name, F.lit(None).cast(f.dataType))
    source = rows.unionByName(gone.withColumn("_gone", F.lit(True)))
    cols = {f.name: F.col(f"s.{f.name}") for f in schema.fields}
    (
        DeltaTable.forPath(spark, path)
        .alias("t")
        .merge(source.alias("s"), "t.profile_id = s.profile_id")
        .whenMatchedDelete(condition="s._gone")
        .whenMatchedUpdate(condition="NOT s._gone", set=cols)
        .whenNotMatchedInsert(condition="NOT s._gone", values=cols)
        .execute()
    )


def build2_and_3(spark, path: str) -> None:
    # build 2: P1 changes, P3 merges into P2 (deleted), P5 and P6 are new; P4 unchanged
    build(
        spark,
        path,
        [
            profile("P1", "b2", email="ada@new.example.com"),
            profile(
                "P2", "b2", email="", ids=[("loyaltyId", "LP2"), ("crmId", "CP2"), ("crmId", "CP3")]
            ),
            profile("P5", "b2", email="p5@example.com"),
            profile("P6", "b2"),
        ],
        ["P3"],
    )
    # build 3: P6 merges into P5; P6 was never exported, so it is neither changed nor removed
    build(spark, path, [profile("P5", "b3", email="p5@example.com", points=7)], ["P6"])


def profiles_path(cfg, policy: str = "demo") -> str:
    """``<lake>/profiles/<policy>``, the table an export of ``policy`` reads."""
    return Lake(cfg.lake_root).profiles_path(policy)


@pytest.fixture
def profiles_cfg(cfg, spark):
    """The repo config on a temp lake whose ``profiles/demo`` table has had one build (version 1)."""
    create_profiles(spark, profiles_path(cfg))
    return cfg


@pytest.fixture(scope="module")
def built(spark, tmp_path_factory):
    """A profile table after three builds (version 3), shared by the read-back tests."""
    from lakeport.config import load_config

    root = tmp_path_factory.mktemp("exports-lake")
    cfg = load_config(CONFIG, lake_root=str(root / "lake"))
    path = profiles_path(cfg)
    create_profiles(spark, path)
    build2_and_3(spark, path)
    return cfg, root


def at_version(spark, path: str, version: int):
    return spark.read.format("delta").option("versionAsOf", version).load(path)


def assert_equal(actual, expected) -> None:
    assert_frames_equal(actual, expected)  # all rows, duplicates too


def check_layout(directory: Path, manifest: dict) -> None:
    """_SUCCESS present, the manifest lists exactly the data files with true sizes and sha256."""
    assert (directory / "_SUCCESS").read_bytes() == b""
    data = sorted(p.name for p in directory.iterdir() if not p.name.startswith(("_", ".")))
    assert [f["path"] for f in manifest["files"]] == data
    for f in manifest["files"]:
        raw = (directory / f["path"]).read_bytes()
        assert f["size"] == len(raw)
        assert f["sha256"] == hashlib.sha256(raw).hexdigest()
    leftovers = [p.name for p in directory.parent.iterdir() if p.name.startswith("_tmp")]
    assert leftovers == []


def read_back(spark, directory: Path, manifest: dict):
    from pyspark.sql import types as T

    schema = T.StructType.fromJson(manifest["schema"])
    reader = spark.read.schema(schema)
    if manifest["format"] == "parquet":
        return reader.parquet(str(directory))
    if manifest["format"] == "json":
        return reader.options(**ex.JSON_OPTIONS).json(str(directory))
    # null is an empty field, "" is a quoted empty field: a nullValue that never occurs keeps
    # them apart (Spark maps both to its nullValue, "" by default)
    return reader.options(**ex.CSV_OPTIONS, multiLine="true", nullValue="\u0000").csv(
        str(directory)
    )


def flattened_by_hand(df):
    """The CSV shape of the profile table written out column by column (not by csv_frame)."""
    from pyspark.sql import functions as F

    return df.select(
        "profile_id",
        F.to_json("identities").alias("identities"),
        F.col("person.firstName").alias("person_firstName"),
        F.col("person.lastName").alias("person_lastName"),
        F.col("person.birthDate").alias("person_birthDate"),
        F.col("homeAddress.city").alias("homeAddress_city"),
        F.col("homeAddress.country").alias("homeAddress_country"),
        "loyaltyId",
        "crmId",
        "email",
        "points",
        "score",
        "_updated_at",
        "_build_id",
    )


@pytest.mark.parametrize(
    ("fmt", "compression", "suffix"),
    [
        # parquet: the crash test's re-run; json with gzip also in tests/e2e/test_export_cli.py
        ("json", "gzip", ".json.gz"),
        ("csv", None, ".csv"),
    ],
)
def test_full_export_reads_back_equal_to_the_pinned_version(spark, built, fmt, compression, suffix):
    cfg, root = built
    target = root / f"out-{fmt}-{compression}"
    csv = {"csv_arrays": "json", "csv_drop": ["_provenance"]} if fmt == "csv" else {}
    result = ex.export_snapshot(
        spark, cfg, "demo", str(target), fmt, compression=compression,
        export_time="202611231000", **csv,
    )  # fmt: skip
    directory = target / "demo" / "exportTime=202611231000"
    manifest = json.loads((directory / "_manifest.json").read_text())
    assert result.status == "exported" and result.mode == "full"
    assert result.path == f"file:{directory}"
    assert manifest["source"] == {"path": f"file:{root}/lake/profiles/demo", "version": 3}
    assert manifest["rowCount"] == 4 and result.row_count == 4  # P1 P2 P4 P5
    assert manifest["mode"] == "full" and manifest["incrementalTo"] is None
    assert manifest["format"] == fmt
    assert manifest["compression"] == (compression or ("snappy" if fmt == "parquet" else "none"))
    check_layout(directory, manifest)
    for f in manifest["files"]:
        assert f["path"].endswith(suffix)
        if compression == "gzip" and fmt != "parquet":
            raw = (directory / f["path"]).read_bytes()
            assert raw[:2] == b"\x1f\x8b"  # gzip, and a whole stream:
            gzip.decompress(raw)
    source = at_version(spark, f"{root}/lake/profiles/demo", 3)
    expected = flattened_by_hand(source) if fmt == "csv" else source
    assert manifest["schema"] == expected.schema.jsonValue()
    assert_equal(read_back(spark, directory, manifest), expected)


def test_incremental_export_holds_exactly_the_changed_and_removed_profiles(
    spark, profiles_cfg, tmp_path
):
    cfg = profiles_cfg
    path = profiles_path(cfg)
    target = tmp_path / "exports"
    first = ex.export_snapshot(
        spark, cfg, "demo", str(target), "json", export_time="202611230900", incremental=True
    )
    assert (first.mode, first.source_version, first.row_count) == ("full", 1, 4)
    assert first.mode_reason.startswith("first export: no earlier complete export")

    build2_and_3(spark, path)
    result = ex.export_snapshot(
        spark, cfg, "demo", str(target), "json", export_time="202611231000", incremental=True
    )
    summary = result.to_json()
    directory = target / "demo" / "exportTime=202611231000"
    manifest = json.loads((directory / "_manifest.json").read_text())
    assert manifest["mode"] == "incremental" and result.mode == "incremental"
    assert manifest["incrementalTo"] == {
        "exportTime": "202611230900",
        "path": f"file:{target}/demo/exportTime=202611230900",
        "sourceVersion": 1,
    }
    assert manifest["source"]["version"] == 3
    assert (manifest["rowCount"], result.removed_count, summary["removedCount"]) == (3, 1, 1)
    check_layout(directory, manifest)
    expected = at_version(spark, path, 3).where("profile_id IN ('P1', 'P2', 'P5')")
    assert_equal(read_back(spark, directory, manifest), expected)
    removed = (directory / "_removed_ids.jsonl").read_text()
    assert removed == '{"profile_id":"P3"}\n'
    assert manifest["removed"] == {
        "file": "_removed_ids.jsonl",
        "key": "profile_id",
        "count": 1,
        "size": len(removed),
        "sha256": hashlib.sha256(removed.encode()).hexdigest(),
    }

    # the same request again: reported, nothing written
    before = (directory / "_SUCCESS").stat().st_mtime_ns, (directory / "_manifest.json").read_text()
    again = ex.export_snapshot(
        spark, cfg, "demo", str(target), "json", export_time="202611231000", incremental=True
    ).to_json()
    assert again["status"] == "exists"
    assert {k: v for k, v in again.items() if k not in ("status", "durationSeconds")} == {
        k: v for k, v in summary.items() if k not in ("status", "durationSeconds")
    }
    assert (
        (directory / "_SUCCESS").stat().st_mtime_ns,
        (directory / "_manifest.json").read_text(),
    ) == before
    # a different request for a complete export time is refused
    with pytest.raises(ExportError, match=r"format='json' \(asked 'parquet'\)") as err:
        ex.export_snapshot(spark, cfg, "demo", str(target), "parquet", export_time="202611231000")
    assert err.value.code == "EXPORT_CONFLICT" and err.value.exit_code == 2

    # nothing changed since: an empty incremental export
    empty = ex.export_snapshot(
        spark, cfg, "demo", str(target), "json", export_time="202611231100", incremental=True
    )
    assert (empty.mode, empty.row_count, empty.removed_count) == ("incremental", 0, 0)
    assert empty.to_json()["removedCount"] == 0
    assert empty.incremental_to is not None
    assert empty.incremental_to["exportTime"] == "202611231000"

    events = spark.read.format("delta").load(f"{cfg.lake_root}/system/events")
    got = sorted(
        (r["event_type"], r["dataset"], r["status"], r["success_count"]) for r in events.collect()
    )
    assert got == [("exp_snapshot_success", "demo", "success", n) for n in (0, 3, 4)]


def test_incremental_falls_back_to_full_when_the_change_feed_has_a_gap(
    spark, profiles_cfg, tmp_path
):
    cfg = profiles_cfg
    path = profiles_path(cfg)
    target = tmp_path / "exports"
    ex.export_snapshot(spark, cfg, "demo", str(target), "parquet", export_time="202611230900")
    spark.sql(f"ALTER TABLE delta.`{path}` SET TBLPROPERTIES (delta.enableChangeDataFeed = false)")
    build(spark, path, [profile("P1", "b2", email="changed@example.com")], ["P4"])
    spark.sql(f"ALTER TABLE delta.`{path}` SET TBLPROPERTIES (delta.enableChangeDataFeed = true)")
    result = ex.export_snapshot(
        spark, cfg, "demo", str(target), "parquet", export_time="202611231000", incremental=True
    )
    assert result.mode == "full" and result.source_version == 4
    assert "DELTA_MISSING_CHANGE_DATA" in result.mode_reason
    assert result.mode_reason.startswith("fell back to full: the change data feed")
    assert result.removed_count is None and "removedCount" not in result.to_json()
    directory = target / "demo" / "exportTime=202611231000"
    manifest = json.loads((directory / "_manifest.json").read_text())
    assert manifest["modeReason"] == result.mode_reason and "removed" not in manifest
    assert_equal(read_back(spark, directory, manifest), at_version(spark, path, 4))


def test_csv_flattening_names_clashes_and_drops(spark):
    df = spark.createDataFrame(
        [], "a struct<b:string, c:struct<d:int>, t:array<int>>, A_B string, m map<string,int>"
    )
    with pytest.raises(ExportError, match=r"'A_B' would come from both a\.b and A_B") as err:
        ex.csv_frame(df, arrays="json")
    assert err.value.code == "EXPORT_CSV_NAME_CLASH"
    flat, columns = ex.csv_frame(df, arrays="json", drop=["A_B", "m"])
    assert flat.schema.simpleString() == "struct<a_b:string,a_c_d:int,a_t:string>"
    assert columns == [
        {"name": "a_b", "path": "a.b"},
        {"name": "a_c_d", "path": "a.c.d"},
        {"name": "a_t", "path": "a.t", "encoding": "json"},
    ]
    flat, _ = ex.csv_frame(df, drop=["a", "m"])  # a dropped struct drops its arrays too
    assert flat.columns == ["A_B"]
    with pytest.raises(UsageError, match=r"--csv-drop a\.x: no such column; columns are a, a\.b"):
        ex.csv_frame(df, drop=["a.x"])


def test_bad_arguments_and_missing_tables_are_refused_before_any_work(spark, built, tmp_path):
    cfg, _ = built
    with pytest.raises(ExportError, match="no profile table for policy 'nope'") as err:
        ex.export_snapshot(spark, cfg, "nope", str(tmp_path), "parquet")
    assert (err.value.code, err.value.exit_code) == ("EXPORT_SOURCE_MISSING", 1)
    assert err.value.message.endswith(
        "(profile tables exist for: demo); build it first with "
        "'lakeport profiles build --policy nope'"
    )
    for kwargs, message in [
        ({"export_time": "2026112310"}, "--export-time '2026112310': expected YYYYMMDDHHMM"),
        ({"export_time": "202613231000"}, "expected YYYYMMDDHHMM in UTC"),
        ({"compression": "snappy", "fmt": "json"}, "snappy applies to parquet only"),
        ({"csv_drop": ["email"]}, "--csv-arrays/--csv-drop apply to --format csv only"),
    ]:
        args = {"fmt": "parquet", **kwargs}
        with pytest.raises(UsageError, match=message):
            ex.export_snapshot(spark, cfg, "demo", str(tmp_path / "x"), **args)
    assert not (tmp_path / "x").exists()


def test_crash_after_data_then_rerun_publishes_one_complete_export(
    spark, built, tmp_path, monkeypatch
):
    class Crash(BaseException):
        pass

    def fake_exit(code: int) -> None:
        raise Crash(code)

    cfg, _ = built
    target = tmp_path / "exports"
    monkeypatch.setattr(hooks, "_exit", fake_exit)
    monkeypatch.setenv(hooks.CRASH_ENV, "after_data")
    with pytest.raises(Crash) as crash:
        ex.export_snapshot(spark, cfg, "demo", str(target), "parquet", export_time="202611231000")
    assert crash.value.args == (hooks.CRASH_EXIT_CODE,)
    left = sorted(p.name for p in (target / "demo").iterdir())
    assert len(left) == 1 and left[0].startswith("_tmp_exportTime=202611231000_")
    assert list((target / "demo" / left[0]).glob("part-*"))  # data, but no manifest or _SUCCESS
    assert not list((target / "demo" / left[0]).glob("_*"))

    monkeypatch.delenv(hooks.CRASH_ENV)
    result = ex.export_snapshot(
        spark, cfg, "demo", str(target), "parquet", export_time="202611231000"
    )
    assert result.status == "exported"
    assert sorted(p.name for p in (target / "demo").iterdir()) == ["exportTime=202611231000"]
    directory = target / "demo" / "exportTime=202611231000"
    manifest = json.loads((directory / "_manifest.json").read_text())
    check_layout(directory, manifest)
    assert manifest["source"]["version"] == 3
    assert_equal(read_back(spark, directory, manifest), at_version(spark, profiles_path(cfg), 3))


# --------------------------------------------------------------------------------------------
# Datasets
# --------------------------------------------------------------------------------------------

PEOPLE_DDL = (
    "id string, name struct<first:string>, age int, signup timestamp, vip boolean, "
    "tags array<string>, _batch_id string, _ingested_at timestamp, _source_file string"
)


def people_batch(spark, batch_id: str, ids: list[str]):
    rows = [
        (i, (f"first {i}",), n, TS, n % 2 == 0, [i, "x"], batch_id, TS, f"file:/in/{batch_id}.json")
        for n, i in enumerate(ids)
    ]
    return spark.createDataFrame(rows, PEOPLE_DDL)


def test_dataset_incremental_export_holds_the_new_batches_and_names_replaced_ones(
    spark, mini, tmp_path
):
    path = Lake(mini.lake_root).dataset_path("people")
    write_batch_rows(people_batch(spark, "b1", ["p1", "p2"]), path, ["b1"])
    target = tmp_path / "exports"
    first = ex.export_dataset(
        spark, mini, "people", str(target), "parquet", export_time="202611230900", incremental=True
    )
    assert (first.mode, first.row_count, first.source_version) == ("full", 2, 0)
    assert first.batch_ids is None and "batchIds" not in first.to_json()

    write_batch_rows(people_batch(spark, "b2", ["p3"]), path, ["b2"])
    write_batch_rows(people_batch(spark, "b3", ["p1", "p2", "p4"]), path, ["b3", "b1"])  # replay
    result = ex.export_dataset(
        spark, mini, "people", str(target), "json", export_time="202611231000", incremental=True
    )
    summary = result.to_json()
    assert result.mode == "incremental"
    assert (summary["batchIds"], summary["removedBatchIds"]) == (["b2", "b3"], ["b1"])
    assert (result.batch_ids, result.removed_batch_ids) == (("b2", "b3"), ("b1",))
    assert "removedCount" not in summary
    assert result.mode_reason == "incremental to version 0: 2 new batch(es), 1 batch(es) replaced"
    directory = target / "people" / "exportTime=202611231000"
    manifest = json.loads((directory / "_manifest.json").read_text())
    assert (manifest["source"]["version"], manifest["rowCount"]) == (2, 4)
    assert manifest["incrementalTo"]["sourceVersion"] == 0
    check_layout(directory, manifest)
    expected = spark.createDataFrame(
        [
            *people_batch(spark, "b2", ["p3"]).collect(),
            *people_batch(spark, "b3", ["p1", "p2", "p4"]).collect(),
        ],
        PEOPLE_DDL,
    )
    assert_equal(read_back(spark, directory, manifest), expected)

    with pytest.raises(ExportError, match="dataset 'people_pq' has no table yet") as err:
        ex.export_dataset(spark, mini, "people_pq", str(target), "parquet")
    assert err.value.code == "EXPORT_SOURCE_MISSING"


def test_cli_export_prints_one_json_summary_and_maps_errors_to_exit_codes(
    spark, built, tmp_path, capsys
):
    from lakeport.cli import main

    common = ["--config", str(CONFIG), "--lake", built[0].lake_root]
    target = str(tmp_path / "exports")
    argv = ["export", "snapshot", *common, "--policy", "demo", "--target", target]
    code = main([*argv, "--format", "json", "--export-time", "202611231000", "--json"])
    out = capsys.readouterr().out
    assert code == 0 and len(out.splitlines()) == 1
    summary = json.loads(out)
    assert (summary["status"], summary["rowCount"], summary["exportTime"]) == (
        "exported",
        4,
        "202611231000",
    )
    code = main([*argv, "--format", "csv", "--export-time", "202611231100"])
    assert code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "lakeport: error [EXPORT_CSV_NESTED]: CSV cannot hold the array/map column(s) identities "
        "(array<struct<namespace:string,id:string>>), _provenance "
        "(map<string,struct<dataset:string,batch_id:string,ingested_at:timestamp>>): pass "
        "--csv-arrays json to write them as JSON strings, or --csv-drop identities "
        "--csv-drop _provenance to leave them out (or use --format json or parquet, which keep "
        "nesting)"
    )
    assert sorted(p.name for p in (tmp_path / "exports" / "demo").iterdir()) == [
        "exportTime=202611231000"
    ]
    code = main(
        ["export", "snapshot", *common, "--policy", "x", "--target", target, "--format", "json"]
    )
    assert code == 1
    assert "lakeport: error [EXPORT_SOURCE_MISSING]" in capsys.readouterr().err
