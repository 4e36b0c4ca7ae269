"""Values from the environment never reach stderr, --json or a log line; nested ${A:-${B}} defaults.

Issue 16, item 12d: a token put into the YAML through ``${HOOK_TOKEN}`` must not be printed by
``lakeport validate`` (stderr and ``--json``) nor by the webhook's failure log. No Spark here.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from lakeport import cli
from lakeport.config import load_config, validate_tree
from lakeport.errors import ConfigError
from lakeport.lake import events, notify

TOKEN = "tok-" + "0123456789abcdef" * 4  # 68 characters: longer than a message shows of a value
KEY = "k9"  # short values are hidden where a line quotes them
ENV = {
    "LAKEPORT_TEST_ROOT": "/srv/lake-from-env",
    "LAKEPORT_TEST_TOKEN": TOKEN,
    "LAKEPORT_TEST_KEY": KEY,
}


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LAKEPORT_LAKE", "LAKEPORT_CONFIG", "LAKEPORT_TEST_A", "LAKEPORT_TEST_B"):
        monkeypatch.delenv(name, raising=False)
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "conf" / "lakeport.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


BROKEN = """\
lake:
  root: ${LAKEPORT_TEST_ROOT}
spark:
  conf:
    spark.driver.memory: [x, "${LAKEPORT_TEST_TOKEN}"]
datasets:
  people:
    format: ${LAKEPORT_TEST_TOKEN}
events:
  webhook:
    url: ftp://hooks.example.com/${LAKEPORT_TEST_TOKEN}?k=1
    attempts: ${LAKEPORT_TEST_KEY}
"""


def _expected(p: Path) -> list[str]:
    return [
        f"{p}: spark.conf.spark.driver.memory: expected a string, a number or true/false, got a "
        "list ['x', '${LAKEPORT_TEST_TOKEN}']; change the value",
        f"{p}: events.webhook.url: 'ftp://hooks.example.com/${{LAKEPORT_TEST_TOKEN}}?k=1' "
        "is not allowed; use letters, digits, '_', '.' and '-', starting with a letter",
        f"{p}: events.webhook.attempts: expected a whole number, got a string "
        "'${LAKEPORT_TEST_KEY}'; write a whole number",
        f"{p}: datasets.people.format: '${{LAKEPORT_TEST_TOKEN}}' is not allowed; use one of "
        "'json', 'csv', 'parquet' or 'aam'",
    ]


def test_validate_prints_references_not_environment_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _config(tmp_path, BROKEN)
    assert cli.main(["validate", "--config", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == _expected(path)
    assert TOKEN[:12] not in err


def test_validate_json_prints_references_not_environment_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _config(tmp_path, BROKEN)
    assert cli.main(["validate", "--config", str(path), "--json"]) == 2
    out, err = capsys.readouterr()
    assert json.loads(out) == {"valid": False, "problems": _expected(path)}
    assert TOKEN[:12] not in out + err and "'k9'" not in out + err


def test_load_config_error_and_validate_tree_are_redacted(tmp_path: Path) -> None:
    path = _config(tmp_path, BROKEN)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.problems == _expected(path)
    assert TOKEN[:12] not in info.value.message
    assert validate_tree(path) == _expected(path)


def test_cross_file_lines_are_redacted_too(tmp_path: Path) -> None:
    path = _config(
        tmp_path,
        "datasets: {}\nsources:\n  landing:\n    location: ./in\n    dataset: ${LAKEPORT_TEST_TOKEN}\n",
    )
    assert validate_tree(path) == [
        f"{path}: sources.landing.dataset: no dataset named '${{LAKEPORT_TEST_TOKEN}}'; use one of: "
        "(none configured)"
    ]


def test_a_truncated_value_hides_the_part_it_shows(tmp_path: Path) -> None:
    path = _config(
        tmp_path, "datasets:\n  people:\n    partial_ingestion: https://x/${LAKEPORT_TEST_TOKEN}\n"
    )
    (line,) = validate_tree(path)
    assert "${LAKEPORT_TEST_TOKEN}" in line and TOKEN[:8] not in line


def test_the_resolved_config_knows_its_secrets(tmp_path: Path) -> None:
    path = _config(
        tmp_path,
        "lake: {root: '${LAKEPORT_TEST_ROOT}'}\ndatasets: {}\n"
        "events: {webhook: {url: 'https://h.example.com/${LAKEPORT_TEST_TOKEN}'}}\n",
    )
    cfg = load_config(path)
    assert cfg.events.webhook is not None
    assert cfg.events.webhook.url == f"https://h.example.com/{TOKEN}"  # the real value is used
    assert cfg.redact(f"POST {cfg.events.webhook.url} to {cfg.lake_root}") == (
        "POST https://h.example.com/${LAKEPORT_TEST_TOKEN} to ${LAKEPORT_TEST_ROOT}"
    )
    assert TOKEN not in repr(cfg)


def test_redact_rules() -> None:
    from lakeport.spec.messages import redact

    secrets = {TOKEN: "${T}", "k9": "${K}", "a'b\\c-long": "${Q}"}
    assert redact(f"x {TOKEN} y", secrets) == "x ${T} y"
    assert redact("line 9, got 'k9' and k9s", secrets) == "line 9, got '${K}' and k9s"
    assert redact(repr("a'b\\c-long"), secrets) == '"${Q}"'
    assert redact("nothing here", {}) == "nothing here"


# ---------------------------------------------------------------------- ${A:-${B}} nesting


@pytest.mark.parametrize(
    ("env", "root"),
    [
        ({"LAKEPORT_TEST_A": "/a"}, "/a"),
        ({"LAKEPORT_TEST_B": "/b"}, "/b/lake"),
        ({"LAKEPORT_TEST_A": "/a", "LAKEPORT_TEST_B": "/b"}, "/a"),
        ({}, "./fallback/lake"),
    ],
)
def test_nested_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], root: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    path = _config(
        tmp_path,
        "lake: {root: '${LAKEPORT_TEST_A:-${LAKEPORT_TEST_B:-./fallback}/lake}'}\ndatasets: {}\n",
    )
    assert load_config(path).lake_root == root


def test_nested_default_with_both_unset_is_an_error(tmp_path: Path) -> None:
    path = _config(
        tmp_path, "lake: {root: '${LAKEPORT_TEST_A:-${LAKEPORT_TEST_B}}'}\ndatasets: {}\n"
    )
    assert validate_tree(path) == [
        f"{path}: lake.root: environment variable LAKEPORT_TEST_B is not set; export it, "
        "or write ${LAKEPORT_TEST_B:-default} to give a default"
    ]


def test_an_unused_default_is_not_evaluated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAKEPORT_TEST_A", "/a")
    path = _config(
        tmp_path, "lake: {root: '${LAKEPORT_TEST_A:-${LAKEPORT_TEST_B}}'}\ndatasets: {}\n"
    )
    assert load_config(path).lake_root == "/a"


def test_an_unclosed_nested_reference_is_one_line(tmp_path: Path) -> None:
    path = _config(
        tmp_path, "lake: {root: '${LAKEPORT_TEST_A:-${LAKEPORT_TEST_B}'}\ndatasets: {}\n"
    )
    assert validate_tree(path) == [
        f"{path}: lake.root: '${{LAKEPORT_TEST_A:-${{LAKEPORT_TEST_B}}' is not a valid reference; "
        "write ${NAME} or ${NAME:-default} (NAME: letters, digits and '_')"
    ]


# ---------------------------------------------------------------------------------- webhooks


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_failed_delivery_logs_no_token(caplog: pytest.LogCaptureFixture) -> None:
    port = _dead_port()
    url = f"http://user:{KEY}pw@127.0.0.1:{port}/hooks/{TOKEN}?sig={TOKEN}"
    with caplog.at_level(logging.WARNING, logger="lakeport.lake.notify"):
        ok = notify.deliver(url, None, {"eventId": "e1"}, attempts=1, timeout=1, backoff=0)
    assert ok is False
    (record,) = caplog.records
    message = record.getMessage()
    assert message.startswith(f"webhook http://127.0.0.1:{port}/… did not take event e1 after 1 ")
    assert TOKEN[:8] not in message and "pw" not in message


class _Refuser(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_a_refused_delivery_from_the_config_logs_no_token(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Refuser)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        path = _config(
            tmp_path,
            f"datasets: {{}}\nevents: {{webhook: {{url: 'http://127.0.0.1:{port}/h/${{LAKEPORT_TEST_TOKEN}}', "
            "attempts: 1}}\n",
        )
        hook = load_config(path).events.webhook
        event = events.Event(
            event_id="b1:success:1",
            event_type="ing_load_success",
            batch_id="b1",
            dataset="d",
            status="success",
        )
        with caplog.at_level(logging.WARNING):
            events.deliver([event], hook)
    finally:
        server.shutdown()
        server.server_close()
    messages = [r.getMessage() for r in caplog.records]
    assert messages == [
        f"webhook http://127.0.0.1:{port}/… refused event b1:success:1 (HTTP 404); not retrying"
    ]


def test_a_url_that_cannot_be_sent_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    # a token read from a file often ends with a newline; in the middle of a URL http.client
    # refuses it with an exception that quotes the path: it must neither escape nor be logged
    url = f"http://127.0.0.1:{_dead_port()}/h/{TOKEN}\n/events"
    with caplog.at_level(logging.WARNING, logger="lakeport.lake.notify"):
        assert (
            notify.deliver(url, None, {"eventId": "e2"}, attempts=3, timeout=1, backoff=0) is False
        )
    (record,) = caplog.records
    assert TOKEN[:8] not in record.getMessage()
    assert "not a valid URL" in record.getMessage()


def test_a_hostile_chain_of_references_is_one_line_at_once(tmp_path: Path) -> None:
    import time

    chain = "${LAKEPORT_TEST_A:-" * 20_000
    path = _config(tmp_path, f"lake: {{root: '{chain}'}}\ndatasets: {{}}\n")
    started = time.monotonic()
    problems = validate_tree(path)
    assert time.monotonic() - started < 5
    assert problems == [
        f"{path}: lake.root: '{chain[:40]}' is not a valid reference; write ${{NAME}} or "
        "${NAME:-default} (NAME: letters, digits and '_')"
    ]
    deep = "${LAKEPORT_TEST_A:-" * 12 + "x" + "}" * 12  # nested deeper than 10: refused too
    path.write_text(f"lake: {{root: '{deep}'}}\ndatasets: {{}}\n", encoding="utf-8")
    lines = validate_tree(path)  # the two innermost references are refused, one line each
    assert len(lines) == 2 and all("is not a valid reference" in line for line in lines)
