"""Ingestion events: the system/events table and webhooks against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from lakeport.api import Lakeport
from lakeport.config import load_config
from lakeport.errors import BatchError
from lakeport.lake.layout import Lake
from tests.spark.conftest import CONFIG, ROWS, write_jsonl

pytestmark = pytest.mark.spark


class Receiver:
    """A webhook endpoint that records requests and answers with the queued status codes."""

    def __init__(self, statuses: list[int]):
        self.statuses = list(statuses)
        self.requests: list[tuple[dict[str, str], bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.requests.append((dict(self.headers), body))
                code = outer.statuses.pop(0) if outer.statuses else 200
                self.send_response(code)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    servers: list[Receiver] = []

    def make(statuses: list[int]) -> Receiver:
        servers.append(Receiver(statuses))
        return servers[-1]

    yield make
    for s in servers:
        s.close()


def _cfg_with_hook(mini, url: str, extra: str = "") -> object:
    path = Path(mini.path)
    path.write_text(
        CONFIG
        + f"events:\n  webhook: {{url: '{url}', secret_env: LAKEPORT_TEST_HOOK_SECRET{extra}}}\n"
    )
    return load_config(path, lake_root=mini.lake_root)


def test_success_and_failure_events_are_written_and_signed(
    spark, mini, tmp_path, receiver, monkeypatch
):
    monkeypatch.setenv("LAKEPORT_TEST_HOOK_SECRET", "s3cret")
    hook = receiver([503, 200, 200])  # the first delivery is retried once
    cfg = _cfg_with_hook(mini, hook.url, ", attempts: 3, timeout_seconds: 2")
    ok = (
        Lakeport(spark, cfg)
        .ingest("people", [write_jsonl(tmp_path / "ok.jsonl", ROWS)], batch_id="ev-ok")
        .to_json()
    )
    with pytest.raises(BatchError):
        Lakeport(spark, cfg).ingest(
            "people", [write_jsonl(tmp_path / "bad.jsonl", ["nope"])], batch_id="ev-bad"
        ).to_json()
    assert ok["status"] == "success"
    assert len(hook.requests) == 3
    payloads = []
    for headers, body in hook.requests:
        expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
        assert headers["X-Lakeport-Signature"] == expected
        payloads.append(json.loads(body))
    assert payloads[0] == payloads[1]  # the retried delivery is the same event
    success, failure = payloads[1], payloads[2]
    assert success["eventId"].startswith("ev-ok:success:")
    assert {
        k: success[k]
        for k in (
            "eventType",
            "batchId",
            "dataset",
            "status",
            "inputFormat",
            "successCount",
            "failedCount",
            "errorSummary",
        )
    } == {
        "eventType": "ing_load_success",
        "batchId": "ev-ok",
        "dataset": "people",
        "status": "success",
        "inputFormat": "json",
        "successCount": 3,
        "failedCount": 0,
        "errorSummary": {},
    }
    assert success["startedAt"].endswith("Z") and success["completedAt"] >= success["startedAt"]
    assert (failure["eventType"], failure["failedCount"], failure["errorSummary"]) == (
        "ing_load_failure",
        1,
        {"PARSE_MALFORMED_JSON": 1},
    )
    assert hook.requests[2][0]["X-Lakeport-Event"] == "ing_load_failure"

    events = spark.read.format("delta").load(Lake(cfg.lake_root).system_path("events"))
    rows = sorted(
        (r["batch_id"], r["event_type"], r["success_count"], r["failed_count"])
        for r in events.collect()
    )
    assert rows == [("ev-bad", "ing_load_failure", 0, 1), ("ev-ok", "ing_load_success", 3, 0)]


def test_a_dead_webhook_never_fails_or_undoes_the_batch(spark, mini, tmp_path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = _cfg_with_hook(mini, f"http://127.0.0.1:{port}/hook", ", attempts: 2, timeout_seconds: 1")
    result = (
        Lakeport(spark, cfg).ingest("people", [write_jsonl(tmp_path / "ok.jsonl", ROWS)]).to_json()
    )
    assert result["status"] == "success"
    assert spark.read.format("delta").load(Lake(cfg.lake_root).dataset_path("people")).count() == 3
