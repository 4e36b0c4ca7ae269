"""``lakeport sources run`` as real processes: a crash at each step and a re-run, and two runs at
once (one exits 3, no file is ingested twice)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.spark.conftest import MAPPING, SCHEMA

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CONFIG = """
lake: {root: ./lake}
spark:
  conf: {spark.sql.shuffle.partitions: 2, spark.driver.memory: 1g}
datasets:
  people: {schema: people, mapping: people, format: json}
sources:
  landing: {location: LANDING, glob: "*.jsonl", dataset: people}
  landing_one: {location: LANDING, glob: "*.jsonl", dataset: people, max_files_per_batch: 1}
"""


def make_project(tmp_path: Path, landing: str | None = None) -> tuple[Path, Path]:
    """conf/ + schemas/ for one dataset and two sources over ``landing`` (default tmp/landing)."""
    (tmp_path / "conf" / "mappings").mkdir(parents=True)
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "people.yaml").write_text(SCHEMA)
    (tmp_path / "conf" / "mappings" / "people.yaml").write_text(MAPPING)
    folder = tmp_path / "landing"
    folder.mkdir()
    config = tmp_path / "conf" / "lakeport.yaml"
    config.write_text(CONFIG.replace("LANDING", landing or str(folder)))
    return config, folder


def lines(ids: list[str]) -> str:
    return "".join(json.dumps({"id": i, "first_name": f"n{i}"}) + "\n" for i in ids)


def land(folder: Path, name: str, ids: list[str], mtime: int) -> None:
    path = folder / name
    path.write_text(lines(ids))
    os.utime(path, (mtime, mtime))


def sources_cmd(config: Path, lake: Path | str, *args: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "lakeport",
        "sources",
        *args,
        "--config",
        str(config),
        "--lake",
        str(lake),
    ]


def run(config: Path, lake: Path | str, *args: str, env: dict[str, str] | None = None):
    return subprocess.run(
        sources_cmd(config, lake, *args),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **(env or {})},
    )


def dataset_rows(spark, lake: Path) -> list[tuple[str, str, str]]:
    df = spark.read.format("delta").load(str(lake / "datasets" / "people"))
    return sorted(
        (r["id"], r["_batch_id"], r["_source_file"].rsplit("/", 1)[-1])
        for r in df.select("id", "_batch_id", "_source_file").collect()
    )


def test_a_crash_after_the_claim_and_after_the_ingest_then_a_rerun(spark, tmp_path):
    config, landing = make_project(tmp_path)
    lake = tmp_path / "lake"
    land(landing, "a.jsonl", ["a1", "a2"], 1_700_000_000)

    first = run(config, lake, "run", "landing", "--json", env={"LAKEPORT_TEST_CRASH_AT": "claimed"})
    assert first.returncode == 137, first.stderr
    assert "lakeport: test crash at claimed" in first.stderr
    assert first.stdout == ""

    land(landing, "b.jsonl", ["b1"], 1_700_000_001)  # lands while nothing runs
    # the next run finishes the claimed batch and dies again, after its ingest, before the mark
    second = run(
        config, lake, "run", "landing", "--json", env={"LAKEPORT_TEST_CRASH_AT": "ingested"}
    )
    assert second.returncode == 137, second.stderr
    assert "did not finish; finishing it" in second.stderr
    assert "lakeport: test crash at ingested" in second.stderr

    third = run(config, lake, "run", "landing", "--json")
    assert third.returncode == 0, third.stderr
    out = json.loads(third.stdout)
    recovered, new = out["batches"]
    assert recovered["batch_id"].startswith("landing-r")
    assert (recovered["status"], recovered["recovered"]) == ("success", True)
    assert [p.rsplit("/", 1)[-1] for p in recovered["files"]] == ["a.jsonl"]
    assert [p.rsplit("/", 1)[-1] for p in new["files"]] == ["b.jsonl"]
    assert (out["status"], out["newFiles"]) == ("ingested", 1)
    assert dataset_rows(spark, lake) == [
        ("a1", recovered["batch_id"], "a.jsonl"),
        ("a2", recovered["batch_id"], "a.jsonl"),
        ("b1", new["batch_id"], "b.jsonl"),
    ]


def test_two_runs_at_once_one_exits_3_and_no_file_is_ingested_twice(spark, tmp_path):
    config, landing = make_project(tmp_path)
    lake = tmp_path / "lake"
    land(landing, "a.jsonl", ["a1", "a2"], 1_700_000_000)
    land(landing, "b.jsonl", ["b1"], 1_700_000_001)
    # whoever takes the source holds it for 30 s before it ingests, so the runs surely overlap
    env = {**os.environ, "LAKEPORT_TEST_PAUSE_AT": "locked:30"}
    procs = [
        subprocess.Popen(
            sources_cmd(config, lake, "run", "landing", "--json"),
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(2)
    ]
    results = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=600)
        results.append((p.returncode, stdout, stderr))
    results.sort(key=lambda r: r[0])
    (win_rc, win_out, win_err), (lose_rc, lose_out, lose_err) = results
    assert (win_rc, lose_rc) == (0, 3), (win_err, lose_err)
    assert "lakeport: error [SOURCE_BUSY]: source landing is held by another run" in lose_err
    assert "test pause at locked" not in lose_err
    if lose_out:  # --json: the CLI may print the error as its one JSON object
        assert json.loads(lose_out)["error"]["code"] == "SOURCE_BUSY"
    [batch] = json.loads(win_out)["batches"]
    assert [p.rsplit("/", 1)[-1] for p in batch["files"]] == ["a.jsonl", "b.jsonl"]
    assert dataset_rows(spark, lake) == [
        ("a1", batch["batch_id"], "a.jsonl"),
        ("a2", batch["batch_id"], "a.jsonl"),
        ("b1", batch["batch_id"], "b.jsonl"),
    ]
