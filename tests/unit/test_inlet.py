"""The inlet without HTTP or Spark: the envelope, the durable log and its recovery, the writer
thread, and the ``inlet:`` config checks."""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

import pytest

from lakeport.config import load_config
from lakeport.errors import ConfigError, ErrorCode
from lakeport.inlet.envelope import InletError, landing_lines, parse_tag, records
from lakeport.inlet.landing import LandingLog, complete_prefix, open_name, recover
from lakeport.inlet.writer import Stopped, Writer
from tests.spark.conftest import MAPPING, SCHEMA


def test_records_keep_their_own_text():
    body = b'\xef\xbb\xbf [ {"id": "a", "n": 1.50, "big": 123456789012345678901234567890},\r\n {"id":"b"} ]'
    assert records(body, max_record_bytes=1000) == [
        '{"id": "a", "n": 1.50, "big": 123456789012345678901234567890}',
        '{"id":"b"}',
    ]
    assert records(b'{"id": "x"}\n', max_record_bytes=1000) == ['{"id": "x"}']


@pytest.mark.parametrize(
    ("body", "status", "code", "match"),
    [
        (b"", 400, ErrorCode.BATCH_NO_RECORDS, "no records"),
        (b"[]", 400, ErrorCode.BATCH_NO_RECORDS, "no records"),
        (b"not json", 400, ErrorCode.PARSE_MALFORMED_JSON, "not valid JSON"),
        (b'{"a": NaN}', 400, ErrorCode.PARSE_MALFORMED_JSON, "NaN is not JSON"),
        (b'[{"a": 1}, 5]', 400, ErrorCode.PARSE_MALFORMED_JSON, "record 1 is a number"),
        (b'[{"a": 1}, "x"]', 400, ErrorCode.PARSE_MALFORMED_JSON, "record 1 is a string"),
        (b"[null]", 400, ErrorCode.PARSE_MALFORMED_JSON, "record 0 is null"),
        (b'[{"a": 1},]', 400, ErrorCode.PARSE_MALFORMED_JSON, "record 1 is not valid JSON"),
        (b'[{"a": 1} {"b": 2}]', 400, ErrorCode.PARSE_MALFORMED_JSON, "expected ','"),
        (b"{} {}", 400, ErrorCode.PARSE_MALFORMED_JSON, "unexpected text"),
        (b'{"a": "\xff"}', 400, ErrorCode.PARSE_MALFORMED_JSON, "not UTF-8"),
        (b'{"_lakeport_request": "x"}', 400, ErrorCode.PARSE_MALFORMED_JSON, "reserves"),
        (b'[{"a": "' + b"x" * 200 + b'"}]', 413, ErrorCode.INLET_TOO_LARGE, "max_record_bytes"),
    ],
)
def test_bad_envelopes_are_refused_with_a_code(body, status, code, match):
    with pytest.raises(InletError, match=match) as caught:
        records(body, max_record_bytes=100)
    assert (caught.value.status, caught.value.code) == (status, code)
    assert caught.value.body("r1")["error"]["code"] == code.value


def test_landing_lines_carry_the_request_and_stay_one_line_each():
    lines = landing_lines(['{"id": "a",\n "x": "1\\n2"}', "{ }"], "20261202T000000000Z-ab")
    assert lines.decode().splitlines() == [
        '{"_lakeport_request":"20261202T000000000Z-ab:0/2","id": "a",  "x": "1\\n2"}',
        '{"_lakeport_request":"20261202T000000000Z-ab:1/2" }',
    ]
    first, second = (json.loads(line) for line in lines.splitlines())
    assert first == {"_lakeport_request": "20261202T000000000Z-ab:0/2", "id": "a", "x": "1\n2"}
    assert second == {"_lakeport_request": "20261202T000000000Z-ab:1/2"}
    assert parse_tag(lines.splitlines()[1]) == ("20261202T000000000Z-ab", 1, 2)
    assert parse_tag(b'{"id": 1}') is None


def _log(tmp_path: Path, **kw) -> LandingLog:
    return LandingLog(tmp_path, rotate_bytes=kw.get("rotate_bytes", 1 << 20), rotate_seconds=3600)


def test_a_log_is_written_hidden_then_renamed_whole(tmp_path):
    log = _log(tmp_path)
    final = log.append(landing_lines(['{"id": "a"}'], "r1"))
    log.sync()
    assert sorted(os.listdir(tmp_path)) == [open_name(final)]
    assert final.startswith("inlet-") and final.endswith(".jsonl")
    assert log.append(landing_lines(['{"id": "b"}', '{"id": "c"}'], "r2")) == final
    assert log.rotate() == final
    assert sorted(os.listdir(tmp_path)) == [final]
    assert [json.loads(x)["id"] for x in (tmp_path / final).read_text().splitlines()] == [
        "a",
        "b",
        "c",
    ]
    assert log.rotate() is None  # nothing open
    assert not log.due(0.0)


def test_a_log_is_due_by_size(tmp_path):
    log = _log(tmp_path, rotate_bytes=20)
    log.append(landing_lines(['{"id": "a"}'], "r1"))
    assert log.due(log.opened_at)  # over 20 bytes, at once


def test_complete_prefix_cuts_a_torn_request_and_garbage():
    whole = landing_lines(['{"id": "a"}'], "r1") + landing_lines(['{"id": "b"}', '{"c": 1}'], "r2")
    torn = landing_lines(['{"id": "d"}', '{"id": "e"}'], "r3")
    cut_line = torn[: len(torn) // 2 + 5]  # the first line whole, the second cut
    assert complete_prefix(whole) == (len(whole), 2, 3)
    assert complete_prefix(whole + cut_line) == (len(whole), 2, 3)
    assert complete_prefix(whole + b"\0\0\0\n" + whole) == (len(whole), 2, 3)
    assert complete_prefix(whole + torn.splitlines(keepends=True)[1]) == (len(whole), 2, 3)


def test_recover_lands_a_dead_inlets_logs_and_leaves_a_live_ones(tmp_path):
    whole = landing_lines(['{"id": "a"}', '{"id": "b"}'], "r1")
    (tmp_path / "_inlet-20261202T000000000Z-00000001.jsonl.open").write_bytes(whole + b'{"_lak')
    (tmp_path / "_inlet-20261202T000000000Z-00000002.jsonl.open").write_bytes(b'{"_lak')
    live = tmp_path / "_inlet-20261202T000000000Z-00000003.jsonl.open"
    live.write_bytes(whole)
    holder = os.open(live, os.O_RDWR)
    fcntl.flock(holder, fcntl.LOCK_EX)
    try:
        out = recover(tmp_path)
    finally:
        os.close(holder)
    assert [(r.file, r.requests, r.records, r.cut_bytes) for r in out] == [
        ("inlet-20261202T000000000Z-00000001.jsonl", 1, 2, 6),
        (None, 0, 0, 6),
    ]
    assert sorted(os.listdir(tmp_path)) == [
        "_inlet-20261202T000000000Z-00000003.jsonl.open",
        "inlet-20261202T000000000Z-00000001.jsonl",
    ]
    assert (tmp_path / "inlet-20261202T000000000Z-00000001.jsonl").read_bytes() == whole


def test_the_writer_answers_after_the_fsync_and_lands_everything_on_stop(tmp_path):
    writer = Writer({"people": _log(tmp_path)}, tick=0.01)
    writer.start()
    futures = [
        writer.submit("people", landing_lines([f'{{"id": "{i}"}}'], f"r{i}"), 1) for i in range(50)
    ]
    names = {f.result(timeout=10) for f in futures}
    stats = writer.stop()
    with pytest.raises(Stopped):
        writer.submit("people", b"{}\n", 1)
    assert len(names) == 1 and sorted(os.listdir(tmp_path)) == sorted(names)
    assert (stats.requests, stats.records, stats.files) == (50, 50, 1)
    assert stats.syncs <= 50
    lines = (tmp_path / names.pop()).read_text().splitlines()
    assert sorted(json.loads(x)["id"] for x in lines) == sorted(str(i) for i in range(50))


CONFIG = """
datasets:
  people: {schema: people, mapping: people, format: json}
  other: {schema: people, mapping: people, format: json, options: {multiline: true}}
sources:
  people_inlet: {location: LANDING, glob: "*.jsonl", dataset: people}
  other_inlet: {location: LANDING, glob: "*.json", dataset: other}
  remote: {location: "s3a://bucket/in", dataset: people}
inlet:
  INLET
"""


def _config(tmp_path: Path, inlet: str) -> Path:
    (tmp_path / "conf" / "mappings").mkdir(parents=True, exist_ok=True)
    (tmp_path / "schemas").mkdir(exist_ok=True)
    (tmp_path / "schemas" / "people.yaml").write_text(SCHEMA)
    (tmp_path / "conf" / "mappings" / "people.yaml").write_text(MAPPING)
    path = tmp_path / "conf" / "lakeport.yaml"
    path.write_text(CONFIG.replace("LANDING", str(tmp_path / "landing")).replace("INLET", inlet))
    return path


def test_inlet_config_loads_and_its_token_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("INLET_TOKEN", "a-token-of-20-chars!")
    cfg = load_config(
        _config(
            tmp_path,
            '{auth: {token: "${INLET_TOKEN}"}, datasets: {people: {source: people_inlet}}}',
        )
    )
    assert cfg.inlet.datasets["people"].source == "people_inlet"
    assert cfg.inlet.auth is not None and cfg.inlet.auth.token == "a-token-of-20-chars!"
    assert "a-token-of-20-chars!" not in repr(cfg)


@pytest.mark.parametrize(
    ("inlet", "problem"),
    [
        ("{auth: {token: literal-token-0123456789}}", "inlet.auth.token: write it as ${NAME}"),
        ("{datasets: {nobody: {source: people_inlet}}}", "inlet.datasets.nobody: no dataset"),
        ("{datasets: {people: {source: nope}}}", "no source named 'nope'"),
        ("{datasets: {people: {source: other_inlet}}}", "feeds dataset 'other', not 'people'"),
        ("{datasets: {other: {source: other_inlet}}}", "reads multi-line JSON"),
        ("{datasets: {other: {source: other_inlet}}}", "does not match the inlet's files"),
        ("{datasets: {people: {source: remote}}}", "is not a local directory"),
        ("{max_body_bytes: 10}", "max_body_bytes"),
    ],
)
def test_inlet_config_problems(tmp_path, inlet, problem):
    with pytest.raises(ConfigError) as caught:
        load_config(_config(tmp_path, inlet))
    assert any(problem in line for line in caught.value.problems), caught.value.problems
