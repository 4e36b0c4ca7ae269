"""``lakeport sources stream``: SIGKILL mid-way (after a micro-batch's commit, before its
checkpoint), restart, and every row is there exactly once with its epoch's batch id."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest

from tests.conftest import REPO
from tests.e2e.test_sources_cli import dataset_rows, land, make_project, run, sources_cmd

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_stream_killed_mid_way_and_restarted_exactly_once(spark, tmp_path):
    config, landing = make_project(tmp_path)
    lake = tmp_path / "lake"
    for i, name in enumerate(["a", "b", "c"]):
        land(landing, f"{name}.jsonl", [f"{name}1", f"{name}2"], 1_700_000_000 + i)
    log = tmp_path / "stream.err"
    with log.open("w") as err:
        proc = subprocess.Popen(
            sources_cmd(config, lake, "stream", "landing_one", "--trigger", "1s"),
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=err,
            env={**os.environ, "LAKEPORT_TEST_PAUSE_AT": "stream-ingested-e1"},
            start_new_session=True,  # its own process group: the JVM child dies with it
        )
        try:
            deadline = time.monotonic() + 300
            while "test pause at stream-ingested-e1" not in log.read_text():
                assert proc.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.5)
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    # epoch 1 is committed to the dataset, but neither its files nor the checkpoint know it
    assert dataset_rows(spark, lake) == [
        ("a1", "landing_one-e0", "a.jsonl"),
        ("a2", "landing_one-e0", "a.jsonl"),
        ("b1", "landing_one-e1", "b.jsonl"),
        ("b2", "landing_one-e1", "b.jsonl"),
    ]

    again = run(config, lake, "stream", "landing_one", "--available-now", "--json")
    assert again.returncode == 0, again.stderr
    out = json.loads(again.stdout)
    # the restart replays epoch 1 (same batch id: a no-op for the pipeline), then epoch 2
    assert [(b["batch_id"], b["status"]) for b in out["batches"]] == [
        ("landing_one-e1", "success"),
        ("landing_one-e2", "success"),
    ]
    assert [b["metrics"]["inputRecordCount"] for b in out["batches"]] == [2, 2]
    assert dataset_rows(spark, lake) == [
        ("a1", "landing_one-e0", "a.jsonl"),
        ("a2", "landing_one-e0", "a.jsonl"),
        ("b1", "landing_one-e1", "b.jsonl"),
        ("b2", "landing_one-e1", "b.jsonl"),
        ("c1", "landing_one-e2", "c.jsonl"),
        ("c2", "landing_one-e2", "c.jsonl"),
    ]
    events = spark.read.format("delta").load(str(lake / "system" / "events"))
    assert sorted((r["batch_id"], r["event_type"]) for r in events.collect()) == [
        ("landing_one-e0", "ing_load_success"),
        ("landing_one-e1", "ing_load_success"),
        ("landing_one-e2", "ing_load_success"),
    ]
