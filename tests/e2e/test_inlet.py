"""``lakeport inlet serve`` as a real server on 127.0.0.1 with a real HTTP client (no Spark):
accepted records land in rotated files; refusals are JSON with their codes; SIGTERM and
``kill -9`` after acknowledgement lose nothing."""

from __future__ import annotations

import json
import os
import threading
import time

import httpx
import pytest

from tests.e2e.inlet_server import landed, make_project, start

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture
def served(tmp_path):
    config, landing = make_project(tmp_path)
    server = start(config, tmp_path / "inlet.err")
    yield server, landing
    if server.proc.poll() is None:
        server.kill()


def test_accepted_records_land_in_rotated_json_lines_files(served):
    server, landing = served
    one = httpx.post(
        f"{server.url}/collection/people",
        json={"id": "p1", "first_name": "Ada"},
        headers=server.auth,
    )
    many = httpx.post(
        f"{server.url}/collection/people",
        content=b'[{"id": "p2", "age": 41.0},\n {"id": "p3"}]',
        headers=server.auth,
    )
    assert (one.status_code, many.status_code) == (200, 200), (one.text, many.text)
    a, b = one.json(), many.json()
    assert (a["dataset"], a["records"], b["records"]) == ("people", 1, 2)
    assert a["file"].startswith("inlet-") and a["file"].endswith(".jsonl")
    deadline = time.monotonic() + 10
    while not (landing / b["file"]).exists():  # rotated within rotate_seconds (0.2 s)
        assert time.monotonic() < deadline, os.listdir(landing)
        time.sleep(0.05)
    got = landed(landing)
    assert [(r["id"], r["_place"]) for r in got[a["requestId"]]] == [("p1", "0/1")]
    assert [(r["id"], r["_place"]) for r in got[b["requestId"]]] == [("p2", "0/2"), ("p3", "1/2")]
    raw = (landing / b["file"]).read_text()
    assert '"age": 41.0' in raw  # the record's own text, not re-serialised
    stopped = server.stop()
    assert stopped.returncode == 0
    summary = json.loads(stopped.stdout.strip().splitlines()[-1])
    assert (summary["requests"], summary["records"]) == (2, 3)
    assert not [n for n in os.listdir(landing) if n.startswith("_")]


def _post(server, path: str, **kw) -> httpx.Response:
    return httpx.post(f"{server.url}{path}", **kw)


def test_refusals_are_json_with_the_codes_and_land_nothing(served):
    server, landing = served
    good = {"headers": server.auth}
    cases = [
        (_post(server, "/collection/people", json={"id": "x"}), 401, "INLET_AUTH_REQUIRED"),
        (
            _post(
                server, "/collection/people", json={"id": "x"}, headers={"Authorization": "Basic x"}
            ),
            401,
            "INLET_AUTH_REQUIRED",
        ),
        (
            _post(
                server,
                "/collection/people",
                json={"id": "x"},
                headers={"Authorization": "Bearer wrong-token"},
            ),
            403,
            "INLET_AUTH_DENIED",
        ),
        (_post(server, "/collection/nobody", json={"id": "x"}, **good), 404, "NOT_FOUND"),
        (_post(server, "/collection/Bad.Name", json={"id": "x"}, **good), 400, "INVALID_NAME"),
        (
            _post(server, "/collection/people", content=b"{not json", **good),
            400,
            "PARSE_MALFORMED_JSON",
        ),
        (
            _post(server, "/collection/people", content=b'[{"id": "a"}, 7]', **good),
            400,
            "PARSE_MALFORMED_JSON",
        ),
        (_post(server, "/collection/people", content=b"[]", **good), 400, "BATCH_NO_RECORDS"),
        (_post(server, "/collection/people", content=b"x" * 5000, **good), 413, "INLET_TOO_LARGE"),
        (
            _post(server, "/collection/people", content=(b"x" * 3000 for _ in range(3)), **good),
            413,
            "INLET_TOO_LARGE",
        ),  # chunked, no Content-Length
        (
            _post(server, "/collection/people", json=[{"id": "a", "pad": "y" * 2000}], **good),
            413,
            "INLET_TOO_LARGE",
        ),  # one record over max_record_bytes
        (
            _post(server, "/collection/people?syncValidation=maybe", json={"id": "x"}, **good),
            400,
            "USAGE",
        ),
    ]
    for response, status, code in cases:
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), (
            response.text
        )
        assert response.json()["requestId"]
    assert cases[0][0].headers["www-authenticate"].startswith("Bearer")
    assert "record 1 is a number" in cases[6][0].json()["error"]["message"]
    assert httpx.get(f"{server.url}/health").json() == {"status": "ok"}
    assert server.stop().returncode == 0
    assert landed(landing) == {}


def test_kill_9_after_acknowledgement_loses_no_acknowledged_record(tmp_path):
    config, landing = make_project(tmp_path, rotate_seconds=3600)  # records stay in the open log
    log = tmp_path / "inlet.err"
    server = start(config, log)
    try:
        _load_then_kill(server, landing, config, log)
    finally:
        if server.proc.poll() is None:
            server.kill()


def _load_then_kill(server, landing, config, log) -> None:
    acked: dict[str, int] = {}
    stop = threading.Event()

    def client(k: int) -> None:
        with httpx.Client(timeout=10) as c:
            n = 0
            while not stop.is_set():
                n += 1
                rows = [{"id": f"c{k}-{n}-{i}"} for i in range(1 + n % 5)]
                try:
                    r = c.post(f"{server.url}/collection/people", json=rows, headers=server.auth)
                except httpx.HTTPError:
                    return  # the server died mid-request: not acknowledged
                if r.status_code == 200:
                    acked[r.json()["requestId"]] = len(rows)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    while len(acked) < 300:
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.01)
    server.kill()  # SIGKILL while requests are in flight
    stop.set()
    for t in threads:
        t.join(30)
    assert [n for n in os.listdir(landing) if n.startswith("_inlet-")], "the log should be open"
    assert not list(landing.glob("inlet-*.jsonl"))

    again = start(config, log)  # recovers before it serves
    try:
        _check_recovered(again, landing, acked, log)
    finally:
        if again.proc.poll() is None:
            again.kill()


def _check_recovered(again, landing, acked: dict[str, int], log) -> None:
    got = landed(landing)
    assert not [n for n in os.listdir(landing) if n.startswith("_")]
    for rid, count in acked.items():
        assert len(got.get(rid, [])) == count, rid
    for rows in got.values():  # every request that landed landed whole, in order, once
        assert [r["_place"] for r in rows] == [f"{i}/{len(rows)}" for i in range(len(rows))]
    stopped = again.stop()
    assert stopped.returncode == 0
    recovered = json.loads(stopped.stdout.strip().splitlines()[-1])["recovered"]
    assert sum(r["records"] for r in recovered) == sum(len(rows) for rows in got.values())
    assert "left by an inlet that stopped" in log.read_text()
