"""The batch commit protocol, killed at each of its steps: what the kill leaves, and how the same
command run again completes it (rows once, error rows once, one success event), for a plain
dataset, an event dataset (deduplicated on _id) and a replay. A batch over its threshold commits
nothing: not a row, not a commit, not a data file.

The kill is simulated in-process as in test_crash_windows.py: lakeport.lake.hooks._exit raises a
BaseException that no ``except Exception`` catches."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lakeport.api import Lakeport
from lakeport.errors import BatchError
from lakeport.lake import hooks
from lakeport.lake.delta import delta_version, is_delta
from lakeport.lake.layout import Lake
from tests.spark.conftest import ROWS, write_jsonl

pytestmark = pytest.mark.spark

STEPS = [
    "batch-processing",  # claimed: nothing else written
    "batch-staged",  # data files written inside the transaction: nothing visible
    "batch-errors",  # error rows committed, the dataset not yet
    "batch-committed",  # the dataset committed, the catalog and the event not yet
    "batch-row-pending",  # the event may be written, the success row is not
    "batch-event-pending",  # the success row may be written, the event is not
    "batch-recorded",  # everything written
]
COMMITTED = STEPS.index("batch-committed")


class Killed(BaseException):
    pass


def _killed(code: int) -> None:
    raise Killed(code)


def _kill(monkeypatch, step: str, run) -> None:
    monkeypatch.setattr(hooks, "_exit", _killed)
    monkeypatch.setenv(hooks.CRASH_ENV, step)
    with pytest.raises(Killed):
        run()
    monkeypatch.delenv(hooks.CRASH_ENV)


def _events(spark, cfg, batch_id: str) -> list[str]:
    path = Lake(cfg.lake_root).system_path("events")
    if not is_delta(spark, path):
        return []
    table = spark.read.format("delta").load(path).where(f"batch_id = '{batch_id}'")
    return sorted(r.event_type for r in table.collect())


def _data_files(path: str) -> set[str]:
    if not os.path.isdir(path):
        return set()
    return {n for n in os.listdir(path) if n.endswith(".parquet")}


@pytest.mark.parametrize("step", STEPS)
def test_a_kill_at_each_step_then_the_rerun_completes(spark, mini, tmp_path, monkeypatch, step):
    lp = Lakeport(spark, mini)
    path = Lake(mini.lake_root).dataset_path("people_part")
    f = write_jsonl(tmp_path / "p.jsonl", [*ROWS, "not json"])  # 3 good rows, 1 failed
    _kill(monkeypatch, step, lambda: lp.ingest("people_part", [f], batch_id="k1"))
    landed = lp.table("people_part").count() if is_delta(spark, path) else 0
    assert landed == (3 if STEPS.index(step) >= COMMITTED else 0)  # all or nothing
    done = lp.ingest("people_part", [f], batch_id="k1")
    m = done.metrics
    assert (done.status, m.input_records, m.output_records, m.failed_records) == (
        "success",
        4,
        3,
        1,
    )
    assert lp.table("people_part").count() == 3
    assert [(r.line, r.raw) for r in lp.errors("k1").collect()] == [(4, "not json")]
    assert _events(spark, mini, "k1") == ["ing_load_success"]
    assert delta_version(spark, path) == 0  # one dataset commit, whatever the kill


@pytest.mark.parametrize("step", ["batch-staged", "batch-committed", "batch-event-pending"])
def test_an_event_dataset_killed_then_run_again_counts_its_duplicates_once(
    spark, cfg, sample_dir, tmp_path, monkeypatch, step
):
    lp = Lakeport(spark, cfg)
    lines = (sample_dir / "purchases.jsonl").read_text().splitlines()[:20]
    first = tmp_path / "a.jsonl"
    first.write_text("\n".join(lines[:10]) + "\n")
    lp.ingest("purchases", [str(first)], batch_id="e1")
    second = tmp_path / "b.jsonl"
    second.write_text("\n".join(lines[5:20] + lines[19:20]) + "\n")  # 5 known, 1 repeated
    _kill(monkeypatch, step, lambda: lp.ingest("purchases", [str(second)], batch_id="e2"))
    done = lp.ingest("purchases", [str(second)], batch_id="e2")
    assert (done.metrics.output_records, done.metrics.duplicate_records) == (16, 6)
    table = lp.table("purchases")
    assert table.count() == table.select("_id").distinct().count() == 20
    assert _events(spark, cfg, "e2") == ["ing_load_success"]


@pytest.mark.parametrize("step", ["batch-staged", "batch-committed", "batch-row-pending"])
def test_a_replay_killed_then_run_again_replaces_in_one_commit(
    spark, mini, tmp_path, monkeypatch, step
):
    lp = Lakeport(spark, mini)
    path = Lake(mini.lake_root).dataset_path("people")
    lp.ingest("people", [write_jsonl(tmp_path / "1.jsonl", ROWS[:2])], batch_id="one")
    before = delta_version(spark, path)
    again = write_jsonl(tmp_path / "2.jsonl", ROWS[2:])
    _kill(
        monkeypatch,
        step,
        lambda: lp.ingest("people", [again], batch_id="two", replace=["one"]),
    )
    done = lp.ingest("people", [again], batch_id="two", replace=["one"])
    assert done.status == "success" and lp.batch("one").status == "replaced"
    assert sorted(r.id for r in lp.table("people").collect()) == ["p3"]
    assert delta_version(spark, path) == before + 1


def test_a_batch_over_its_threshold_leaves_no_commit_and_no_file(spark, mini, tmp_path):
    lp = Lakeport(spark, mini)
    path = Lake(mini.lake_root).dataset_path("people_part")
    lp.ingest("people_part", [write_jsonl(tmp_path / "ok.jsonl", ROWS)], batch_id="ok")
    version, files = delta_version(spark, path), _data_files(path)
    bad = write_jsonl(tmp_path / "bad.jsonl", [ROWS[0], "x", "y", "z"])
    with pytest.raises(BatchError) as info:
        lp.ingest("people_part", [bad], batch_id="over")
    assert info.value.code == "BATCH_THRESHOLD_EXCEEDED"
    assert delta_version(spark, path) == version
    assert _data_files(path) == files  # the staged files were deleted, not left as orphans
    assert lp.table("people_part").where("_batch_id = 'over'").count() == 0
    assert lp.errors("over").count() == 3
    assert _events(spark, mini, "over") == ["ing_load_failure"]
    # the failed batch retried at a higher threshold lands once, in one more commit
    retried = lp.ingest(
        "people_part", [bad], batch_id="over", partial={"error_threshold_percent": 80}
    )
    assert retried.status == "success" and delta_version(spark, path) == version + 1
    assert lp.errors("over").count() == 3


def test_a_first_batch_over_its_threshold_leaves_no_table(spark, mini, tmp_path):
    """Opening the transaction of a new table makes an empty ``_delta_log``; a batch that
    commits nothing removes it: no table for Spark and none for the read-only path."""
    from lakeport.readonly import ReadOnlyLake

    lp = Lakeport(spark, mini)
    path = Lake(mini.lake_root).dataset_path("people_part")
    bad = write_jsonl(tmp_path / "bad.jsonl", [ROWS[0], "x", "y", "z"])
    with pytest.raises(BatchError) as info:
        lp.ingest("people_part", [bad], batch_id="first")
    assert info.value.code == "BATCH_THRESHOLD_EXCEEDED"
    assert not os.path.exists(path)
    listed = ReadOnlyLake(mini).datasets()  # raises Unavailable on a log without a commit
    assert {d.name: (d.version, d.rows) for d in listed}["people_part"] == (None, 0)
    assert listed == lp.datasets()


def test_a_clean_batch_persists_nothing_and_commits_with_the_idempotency_marker(
    spark, mini, tmp_path, monkeypatch
):
    from delta.tables import DeltaTable
    from pyspark.sql import DataFrame

    def refused(self, *args, **kwargs):
        raise AssertionError("the batch was persisted")

    lp = Lakeport(spark, mini)
    cached = spark.sparkContext._jsc.getPersistentRDDs().size()
    monkeypatch.setattr(DataFrame, "persist", refused)
    monkeypatch.setattr(DataFrame, "cache", refused)
    lp.ingest("people", [write_jsonl(tmp_path / "p.jsonl", ROWS)], batch_id="m1")
    monkeypatch.undo()
    assert spark.sparkContext._jsc.getPersistentRDDs().size() == cached
    path = Lake(mini.lake_root).dataset_path("people")
    commit = DeltaTable.forPath(spark, path).history(1).first()
    assert commit["operation"] == "WRITE"
    assert '"app": "lakeport-batch-m1"' in commit["userMetadata"]
    log = sorted(Path(path, "_delta_log").glob("*.json"))[-1].read_text()
    assert '"txn":{"appId":"lakeport-batch-m1"' in log
