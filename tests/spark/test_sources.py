"""Sources in-process: discovery of new, changed and deleted files, recovery of every crash state,
failed files, the lease, and the stream's epochs as batches (one shared SparkSession)."""

from __future__ import annotations

import json
import os
import socket
from datetime import timedelta
from pathlib import Path

import pytest

from lakeport import sources
from lakeport.config import load_config
from lakeport.errors import SourceBusyError
from lakeport.lake import fs
from lakeport.lake.catalog import get_batch, record_batch
from lakeport.lake.clock import utc_now
from lakeport.lake.layout import Lake
from lakeport.pipeline import ingest
from lakeport.sources import files as sf
from lakeport.sources import leases
from tests.spark.conftest import MAPPING, SCHEMA

pytestmark = pytest.mark.spark

CONFIG = """
lake: {root: ./lake}
datasets:
  people: {schema: people, mapping: people, format: json}
sources:
  landing:
    location: LANDING
    glob: "*.jsonl"
    dataset: people
  landing_one:
    location: LANDING
    glob: "*.jsonl"
    dataset: people
    max_files_per_batch: 1
"""


@pytest.fixture
def project(tmp_path: Path):
    (tmp_path / "conf" / "mappings").mkdir(parents=True)
    (tmp_path / "schemas").mkdir()
    (tmp_path / "landing").mkdir()
    (tmp_path / "schemas" / "people.yaml").write_text(SCHEMA)
    (tmp_path / "conf" / "mappings" / "people.yaml").write_text(MAPPING)
    (tmp_path / "conf" / "lakeport.yaml").write_text(
        CONFIG.replace("LANDING", str(tmp_path / "landing"))
    )
    cfg = load_config(tmp_path / "conf" / "lakeport.yaml", lake_root=str(tmp_path / "lake"))
    return cfg, tmp_path / "landing"


def land(folder: Path, name: str, ids: list[str], mtime: int = 1_700_000_000) -> Path:
    path = folder / name
    path.write_text("".join(json.dumps({"id": i, "first_name": f"n{i}"}) + "\n" for i in ids))
    os.utime(path, (mtime, mtime))
    return path


def rows(spark, cfg) -> list[tuple[str, str, str]]:
    """(id, batch id, file name) of every row of the dataset, sorted."""
    df = spark.read.format("delta").load(Lake(cfg.lake_root).dataset_path("people"))
    return sorted(
        (r["id"], r["_batch_id"], r["_source_file"].rsplit("/", 1)[-1])
        for r in df.select("id", "_batch_id", "_source_file").collect()
    )


def file_rows(spark, cfg, source: str = "landing") -> list[tuple[str, int, str, str]]:
    """(file name, size, status, batch id) of the latest state of every file key, sorted."""
    known = sf.seen(spark, Lake(cfg.lake_root), source)
    return sorted(
        (path.rsplit("/", 1)[-1], size, row.status, row.batch_id)
        for (path, size, _), row in known.items()
    )


def test_new_changed_and_deleted_files(spark, project):
    cfg, landing = project
    a = land(landing, "a.jsonl", ["a1", "a2"])
    land(landing, "b.jsonl", ["b1"])
    (landing / "notes.txt").write_text("not matched by the glob\n")
    (landing / "_c.jsonl").write_text("hidden: still being written\n")

    first = sources.run(spark, cfg, "landing").to_json()
    assert first["status"] == "ingested"
    assert (first["newFiles"], first["pendingFiles"]) == (2, 0)
    [b1] = first["batches"]
    assert b1["batch_id"].startswith("landing-r")
    assert (b1["status"], b1["metrics"]["inputRecordCount"]) == ("success", 3)
    assert [p.rsplit("/", 1)[-1] for p in b1["files"]] == ["a.jsonl", "b.jsonl"]
    assert rows(spark, cfg) == [
        ("a1", b1["batch_id"], "a.jsonl"),
        ("a2", b1["batch_id"], "a.jsonl"),
        ("b1", b1["batch_id"], "b.jsonl"),
    ]

    again = sources.run(spark, cfg, "landing")
    assert (again.status, again.batches, again.new_files) == ("no_new_files", (), 0)
    assert (again.to_json()["batches"], again.to_json()["newFiles"]) == ([], 0)

    old_a_size = a.stat().st_size
    land(landing, "a.jsonl", ["a1", "a2", "a3"], mtime=1_700_000_100)  # changed: new size, mtime
    (landing / "b.jsonl").unlink()  # deleted
    land(landing, "c.jsonl", ["c1"], mtime=1_700_000_050)  # new
    third = sources.run(spark, cfg, "landing").to_json()
    [b2] = third["batches"]
    # oldest first: c (mtime ...050) before the changed a (...100)
    assert [p.rsplit("/", 1)[-1] for p in b2["files"]] == ["c.jsonl", "a.jsonl"]
    assert rows(spark, cfg) == sorted(
        [
            ("a1", b1["batch_id"], "a.jsonl"),
            ("a2", b1["batch_id"], "a.jsonl"),
            ("b1", b1["batch_id"], "b.jsonl"),
            ("a1", b2["batch_id"], "a.jsonl"),
            ("a2", b2["batch_id"], "a.jsonl"),
            ("a3", b2["batch_id"], "a.jsonl"),
            ("c1", b2["batch_id"], "c.jsonl"),
        ]
    )
    new_a_size = a.stat().st_size
    assert file_rows(spark, cfg) == [
        ("a.jsonl", old_a_size, "done", b1["batch_id"]),
        ("a.jsonl", new_a_size, "done", b2["batch_id"]),
        (
            "b.jsonl",
            (len(json.dumps({"id": "b1", "first_name": "nb1"})) + 1),
            "done",
            b1["batch_id"],
        ),
        ("c.jsonl", (landing / "c.jsonl").stat().st_size, "done", b2["batch_id"]),
    ]

    status = sources.status(spark, cfg, "landing").to_json()
    assert status["fileCounts"] == {"done": 4}
    assert status["pendingFiles"] == 0
    assert status["heldBy"] is None
    assert [(b["batch_id"], b["status"], b["files"]) for b in status["batches"]] == [
        (b1["batch_id"], "success", 2),
        (b2["batch_id"], "success", 2),
    ]
    present = sorted(
        (f["path"].rsplit("/", 1)[-1], f["size"], f["present"]) for f in status["files"]
    )
    assert present == [
        ("a.jsonl", old_a_size, False),
        ("a.jsonl", new_a_size, True),
        ("b.jsonl", file_rows(spark, cfg)[2][1], False),
        ("c.jsonl", (landing / "c.jsonl").stat().st_size, True),
    ]
    [listed, other] = [s.to_json() for s in sources.list_sources(spark, cfg)]
    assert (listed["source"], listed["filesSeen"], listed["lastBatch"]) == (
        "landing",
        4,
        b2["batch_id"],
    )
    assert (other["source"], other["filesSeen"], other["lastBatch"]) == ("landing_one", 0, None)


def test_max_files_per_batch_leaves_the_rest_for_the_next_run(spark, project):
    cfg, landing = project
    land(landing, "a.jsonl", ["a1"], mtime=1_700_000_000)
    land(landing, "b.jsonl", ["b1"], mtime=1_700_000_001)
    first = sources.run(spark, cfg, "landing_one")
    assert (first.new_files, first.pending_files) == (1, 1)
    assert (first.to_json()["newFiles"], first.to_json()["pendingFiles"]) == (1, 1)
    second = sources.run(spark, cfg, "landing_one")
    assert (second.new_files, second.pending_files) == (1, 0)
    ids = [first.batches[0].batch_id, second.to_json()["batches"][0]["batch_id"]]
    assert rows(spark, cfg) == [("a1", ids[0], "a.jsonl"), ("b1", ids[1], "b.jsonl")]


def _claim(spark, cfg, landing: Path, batch_id: str) -> list[fs.FileInfo]:
    files = fs.list_files(spark, [str(landing / "*.jsonl")])
    sf.claim(spark, Lake(cfg.lake_root), "landing", batch_id, files)
    return files


# "claimed" (a kill right after the claim) is covered by tests/e2e/test_sources_cli.py
@pytest.mark.parametrize("state", ["committed-not-cataloged", "ingested-not-marked"])
def test_a_crashed_run_is_finished_with_its_batch_id_and_no_duplicates(spark, project, state):
    """The states a kill inside or after the ingest leaves: rows committed but the catalog still says
    processing; the batch done but the files not marked. The next run finishes the same batch."""
    cfg, landing = project
    land(landing, "a.jsonl", ["a1", "a2"])
    files = _claim(spark, cfg, landing, "landing-rX")
    lake = Lake(cfg.lake_root)
    done = ingest(spark, cfg, "people", [f.path for f in files], batch_id="landing-rX")
    assert done.status == "success"
    if state == "committed-not-cataloged":
        row = get_batch(spark, lake, "landing-rX")
        record_batch(spark, lake, row.evolve(status="processing"))
    land(landing, "b.jsonl", ["b1"], mtime=1_700_000_001)  # lands while the run was down

    out = sources.run(spark, cfg, "landing").to_json()
    recovered, new = out["batches"]
    assert (recovered["batch_id"], recovered["status"], recovered["recovered"]) == (
        "landing-rX",
        "success",
        True,
    )
    assert [p.rsplit("/", 1)[-1] for p in new["files"]] == ["b.jsonl"]
    assert rows(spark, cfg) == [
        ("a1", "landing-rX", "a.jsonl"),
        ("a2", "landing-rX", "a.jsonl"),
        ("b1", new["batch_id"], "b.jsonl"),
    ]
    assert [(f[0], f[2], f[3]) for f in file_rows(spark, cfg)] == [
        ("a.jsonl", "done", "landing-rX"),
        ("b.jsonl", "done", new["batch_id"]),
    ]
    assert sources.run(spark, cfg, "landing").to_json()["batches"] == []


def test_a_failed_batch_marks_its_files_failed_until_they_change(spark, project):
    cfg, landing = project
    bad = landing / "a.jsonl"
    bad.write_text('{"id": "a1"}\n{"first_name": "no id"}\n')
    os.utime(bad, (1_700_000_000, 1_700_000_000))
    out = sources.run(spark, cfg, "landing").to_json()
    [batch] = out["batches"]
    assert (out["status"], batch["status"], batch["error"]["code"]) == (
        "failed",
        "failed",
        "BATCH_ROW_ERRORS",
    )
    assert [(f[0], f[2]) for f in file_rows(spark, cfg)] == [("a.jsonl", "failed")]
    assert sources.run(spark, cfg, "landing").status == "no_new_files"
    land(landing, "a.jsonl", ["a1"], mtime=1_700_000_100)  # fixed: a new version of the file
    fixed = sources.run(spark, cfg, "landing")
    assert fixed.status == "ingested"
    assert rows(spark, cfg) == [("a1", fixed.batches[0].batch_id, "a.jsonl")]


def _forge_lease(spark, cfg, host: str, pid: int, expires_in: int) -> None:
    from delta.tables import DeltaTable

    lake = Lake(cfg.lake_root)
    path = lake.system_path("source_locks")
    leases.ensure_lock_table(spark, path)
    DeltaTable.forPath(spark, path).delete("source = 'landing'")
    now = utc_now()
    row = [("landing", "someone", host, pid, now, now + timedelta(seconds=expires_in))]
    spark.createDataFrame(row, leases.LOCKS_DDL).write.format("delta").mode("append").save(path)


def test_the_lease_one_holder_and_takeovers(spark, project):
    cfg, _ = project
    lake = Lake(cfg.lake_root)
    lease = sources.acquire(spark, lake, "landing", 600)
    try:
        with pytest.raises(SourceBusyError, match=r"source landing is held by another run \(pid"):
            sources.run(spark, cfg, "landing")
        other = sources.acquire(spark, lake, "landing_one", 600)  # another source is independent
        other.release()
        assert lease.renew() is True
    finally:
        lease.release()
    assert sources.holder(spark, lake, "landing") is None
    assert SourceBusyError("x").exit_code == 3

    here = socket.gethostname()
    dead = 2**22 + 12345  # above pid_max's default: no such process
    _forge_lease(spark, cfg, here, dead, 600)  # a killed run on this host: taken at once
    sources.acquire(spark, lake, "landing", 600).release()
    _forge_lease(spark, cfg, "elsewhere", 1, -1)  # expired, on another host: taken
    sources.acquire(spark, lake, "landing", 600).release()
    _forge_lease(spark, cfg, "elsewhere", 1, 600)  # live on another host: busy
    with pytest.raises(SourceBusyError, match="pid 1 on elsewhere"):
        sources.acquire(spark, lake, "landing", 600)
    lease_holder = sources.holder(spark, lake, "landing")
    assert lease_holder is not None and lease_holder.owner == "someone"


def test_a_stream_compacts_the_lake_every_n_micro_batches(spark, project, monkeypatch):
    """``compact_every=2``: after micro-batches 1, 3, ... the dataset and the system tables that
    reached the file threshold are bin-packed (one OPTIMIZE commit each), rows unchanged."""
    from delta.tables import DeltaTable

    from lakeport.lake import maintenance

    monkeypatch.setattr(maintenance, "MIN_FILES", 2)
    cfg, landing = project
    for i, name in enumerate(["a", "b", "c"]):
        land(landing, f"{name}.jsonl", [f"{name}1", f"{name}2"], mtime=1_700_000_000 + i)
    out = sources.stream(spark, cfg, "landing_one", available_now=True, compact_every=2).to_json()
    assert [b["batch_id"] for b in out["batches"]] == [f"landing_one-e{i}" for i in range(3)]
    lake = Lake(cfg.lake_root)

    def ops(path: str) -> list[str]:
        history = DeltaTable.forPath(spark, path).history().orderBy("version")
        return [r["operation"] for r in history.collect()]

    # two batch commits, the compaction after micro-batch 1, the third batch
    assert ops(lake.dataset_path("people")) == ["WRITE", "WRITE", "OPTIMIZE", "WRITE"]
    assert ops(lake.system_path("batches")).count("OPTIMIZE") == 1
    assert len(rows(spark, cfg)) == 6
    assert [b.status for b in sources.run(spark, cfg, "landing_one").batches] == []


def test_stream_available_now_one_batch_per_micro_batch(spark, project):
    cfg, landing = project
    for i, name in enumerate(["a", "b", "c"]):
        land(landing, f"{name}.jsonl", [f"{name}1", f"{name}2"], mtime=1_700_000_000 + i)
    out = sources.stream(spark, cfg, "landing_one", available_now=True).to_json()
    assert out["status"] == "ingested"
    assert [b["batch_id"] for b in out["batches"]] == [
        "landing_one-e0",
        "landing_one-e1",
        "landing_one-e2",
    ]
    got = rows(spark, cfg)
    assert len(got) == 6
    assert sorted({(b, f) for _, b, f in got}) == sorted(
        {(b["batch_id"], b["files"][0].rsplit("/", 1)[-1]) for b in out["batches"]}
    )
    assert [f[2] for f in file_rows(spark, cfg, "landing_one")] == ["done"] * 3
    again = sources.stream(spark, cfg, "landing_one", available_now=True)
    assert (again.status, again.batches) == ("no_new_files", ())
    assert again.to_json()["batches"] == []
    # a later 'sources run' of the same dataset through another source sees them as its own news,
    # but the same source's run finds nothing new: the stream recorded its files
    assert sources.run(spark, cfg, "landing_one").status == "no_new_files"
