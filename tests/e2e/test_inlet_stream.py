"""The real-time path with Spark: the inlet's synchronous validation gives exactly the codes the
stream records, and ``sources stream --profiles`` updates the profiles from streamed records,
exactly once across ``kill -9`` (a replayed micro-batch changes neither the dataset nor the
profile tables). One JVM at a time: the inlet's (sync validation) or a stream's."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import httpx
import pyarrow as pa
import pytest
from deltalake import DeltaTable

from tests.conftest import REPO
from tests.e2e.inlet_server import LAKEPORT, env, landed, make_project, start

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

STREAM_FLAGS = ("--trigger", "1s", "--profiles")
BAD = [
    {"id": "s0", "age": "41"},
    {"first_name": "no id"},
    {"id": "s2", "age": -1},
    {"id": "s3", "vip": "maybe", "tags": ["a"]},
    {"id": "s4", "signup": "2024-02-30T10:00:00Z", "age": 200000000000},
]


def lakeport(config, *args: str, extra: dict[str, str] | None = None):
    return subprocess.run(
        [*LAKEPORT, *args, "--config", str(config)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
        env={**env(), **(extra or {})},
    )


def test_sync_validation_answers_the_codes_the_stream_records(tmp_path):
    config, landing = make_project(tmp_path)
    log = tmp_path / "inlet.err"
    server = start(config, log)
    try:
        url = f"{server.url}/collection/people"
        with httpx.Client(timeout=600, headers=server.auth) as client:
            refused = client.post(f"{url}?syncValidation=true", json=BAD)  # starts Spark
            warned = client.post(f"{url}?syncValidation=true", json={"id": "w1", "vip": "maybe"})
            accepted = client.post(url, json=BAD)  # asynchronous: the stream finds the errors
    finally:
        stopped = server.stop()
    assert stopped.returncode == 0, log.read_text()
    assert refused.status_code == 400, refused.text
    body = refused.json()
    assert body["error"]["code"] == "BATCH_ROW_ERRORS"
    sync_errors = {r["index"]: r["errors"] for r in body["records"]}
    assert {i: [(e["code"], e["field"]) for e in errs] for i, errs in sync_errors.items()} == {
        1: [("REQUIRED_MISSING", "id")],
        2: [("BELOW_MINIMUM", "age")],
        4: [("CONVERSION_OUT_OF_RANGE", "age")],  # out of range fails the row even with null
    }
    assert warned.status_code == 200, warned.text
    assert [
        (w["index"], [(x["code"], x["field"]) for x in w["warnings"]])
        for w in warned.json()["warnings"]
    ] == [(0, [("CONVERSION_INVALID_BOOLEAN", "vip")])]
    assert accepted.status_code == 200
    got = landed(landing)
    assert body["requestId"] not in got  # a refused request lands nothing
    assert sorted(len(v) for v in got.values()) == [1, 5]

    streamed = lakeport(config, "sources", "stream", "people_inlet", "--available-now", "--json")
    assert streamed.returncode == 0, streamed.stderr
    (batch,) = json.loads(streamed.stdout)["batches"]
    assert batch["metrics"]["failedRecordCount"] == 3
    listed = lakeport(config, "batch", "errors", batch["batch_id"], "--severity", "all")
    assert listed.returncode == 0, listed.stderr
    rid = accepted.json()["requestId"]
    stream_errors: dict[int, list] = {}
    stream_warnings: dict[int, list] = {}
    for line in listed.stdout.splitlines():
        row = json.loads(line)
        tag = json.loads(row["raw"])["_lakeport_request"]
        if tag.startswith(rid + ":"):
            index = int(tag.split(":")[1].split("/")[0])
            target = stream_errors if row["severity"] == "error" else stream_warnings
            target[index] = row["errors"]
    # the same codes, fields and messages as the pipeline's own error table
    assert stream_errors == sync_errors
    sync_warnings = {w["index"]: w["warnings"] for w in warned.json()["warnings"]}
    assert [(e["code"], e["field"]) for e in stream_warnings[3]] == [
        (e["code"], e["field"]) for e in sync_warnings[0]
    ]


def _versions(lake) -> dict[str, int]:
    return {
        name: DeltaTable(str(lake / path)).version()
        for name, path in [
            ("dataset", "datasets/people"),
            ("graph", "identity_graph"),
            ("profiles", "profiles/timestamp_ordered"),
        ]
    }


def _first_name(config, ident: str) -> str | None:
    got = lakeport(config, "profiles", "get", "--namespace", "personId", "--id", ident, "--json")
    assert got.returncode == 0, got.stderr
    return json.loads(got.stdout)["attributes"]["name"]["first"]


def _killed_at(config, tmp_path, step: str) -> None:
    """Stream with --profiles until the test pause at ``step``, then SIGKILL the process group."""
    log = tmp_path / f"stream-{step}.err"
    with log.open("w") as err:
        proc = subprocess.Popen(
            [
                *LAKEPORT,
                "sources",
                "stream",
                "people_inlet",
                *STREAM_FLAGS,
                "--config",
                str(config),
            ],
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=err,
            env={**env(), "LAKEPORT_TEST_PAUSE_AT": step},
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 600
            while f"test pause at {step}" not in log.read_text():
                assert proc.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.5)
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=60)


def _rows(lake) -> list[tuple[str, str, str]]:
    t = pa.table(
        DeltaTable(str(lake / "datasets" / "people"))
        .scan(columns=["id", "name", "_batch_id"])
        .read_all()
    )
    return sorted((r["id"], r["name"]["first"], r["_batch_id"]) for r in t.to_pylist())


def test_profiles_follow_the_stream_exactly_once_across_kills(tmp_path):
    config, landing = make_project(tmp_path)
    lake = tmp_path / "lake"
    server = start(config, tmp_path / "inlet.err")
    try:
        first = httpx.post(
            f"{server.url}/collection/people",
            json=[{"id": "p1", "first_name": "Ada"}, {"id": "p2", "first_name": "Bo"}],
            headers=server.auth,
        )
        assert first.status_code == 200, first.text
        while not landed(landing):
            time.sleep(0.05)

        # killed after the micro-batch's commit, before its profile build
        _killed_at(config, tmp_path, "stream-ingested-e0")
        assert _rows(lake) == [("p1", "Ada", "people_inlet-e0"), ("p2", "Bo", "people_inlet-e0")]
        assert not (lake / "profiles").exists()

        # the restart replays epoch 0 (a no-op for the dataset) and builds; killed after the
        # build, before the checkpoint
        _killed_at(config, tmp_path, "stream-profiles-e0")
        assert _first_name(config, "p1") == "Ada"
        before = _versions(lake)

        # the second replay of epoch 0, with its build, changes nothing: rows nor profiles
        again = lakeport(
            config, "sources", "stream", "people_inlet", "--available-now", "--profiles"
        )
        assert again.returncode == 0, again.stderr
        assert _versions(lake) == before
        assert _rows(lake) == [("p1", "Ada", "people_inlet-e0"), ("p2", "Bo", "people_inlet-e0")]

        second = httpx.post(
            f"{server.url}/collection/people",
            json={"id": "p1", "first_name": "Ada Lovelace"},
            headers=server.auth,
        )
        assert second.status_code == 200, second.text
        deadline = time.monotonic() + 10
        while second.json()["requestId"] not in landed(landing):
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        assert server.stop().returncode == 0

    streamed = lakeport(
        config, "sources", "stream", "people_inlet", "--available-now", "--profiles", "--json"
    )
    assert streamed.returncode == 0, streamed.stderr
    batches = json.loads(streamed.stdout)["batches"]
    assert [
        (b["batch_id"], b["profiles"]["policies"]["timestamp_ordered"]["mode"]) for b in batches
    ] == [("people_inlet-e1", "incremental")]
    assert _first_name(config, "p1") == "Ada Lovelace"  # right after, without a build
    assert _first_name(config, "p2") == "Bo"
    assert _rows(lake) == [
        ("p1", "Ada", "people_inlet-e0"),
        ("p1", "Ada Lovelace", "people_inlet-e1"),
        ("p2", "Bo", "people_inlet-e0"),
    ]
