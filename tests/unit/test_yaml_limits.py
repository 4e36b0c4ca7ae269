"""YAML that would crash or hang ``lakeport validate``: one line naming the file, exit 2, at once.

Issue 16, item 16: an alias bomb, a list nested 20,000 deep, a 5,000-digit integer, an impossible
unquoted date, an oversized file. Each goes through ``lakeport validate`` in-process; messages are
the same with libyaml's parser and with PyYAML's pure-Python one. No Spark here.
"""

from __future__ import annotations

import sys
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from lakeport import cli
from lakeport.spec import loader as yaml_loader

HEAD = "lake:\n  root: ./lake\ndatasets: {}\n"


def _bomb() -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


CASES = {
    # name: (file text, the one line after "{path}: ")
    "alias-bomb": (
        _bomb(),
        "line 6, column 10: alias *a4 makes the file hold more than 100,000 values (an alias "
        "repeats everything its anchor holds); write the values out, or use fewer aliases",
    ),
    "deep-list": (
        "lake:\n  root: " + "[" * 20_000 + "]" * 20_000 + "\n",
        "line 2, column 109: nested more than 100 levels deep; flatten the structure",
    ),
    "deep-mapping": (
        "lake:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 150)),
        "line 101, column 201: nested more than 100 levels deep; flatten the structure",
    ),
    "huge-integer": (
        HEAD + "spark:\n  app_name: " + "9" * 5_000 + "\n",
        "line 5, column 13: a number of 5,000 digits (at most 100 are read); put it in quotes "
        "if it is text",
    ),
    "huge-hex-integer": (
        HEAD + "spark:\n  app_name: 0x" + "f" * 5_000 + "\n",
        "line 5, column 13: a number of 5,000 digits (at most 100 are read); put it in quotes "
        "if it is text",
    ),
    "impossible-date": (
        HEAD + "spark:\n  app_name: 2026-13-45\n",
        "line 5, column 13: '2026-13-45' is not a valid date (month must be in 1..12); write a "
        "real one, or put it in quotes if it is text",
    ),
    "impossible-datetime-offset": (
        HEAD + "spark:\n  app_name: 2026-01-01 10:00:00 +99:00\n",
        "line 5, column 13: '2026-01-01 10:00:00 +99:00' is not a valid date (offset must be a "
        "timedelta strictly between -timedelta(hours=24) and timedelta(hours=24), not "
        "datetime.timedelta(days=4, seconds=10800).); write a real one, or put it in quotes if "
        "it is text",
    ),
    "explicit-float-tag": (
        HEAD + "spark:\n  app_name: !!float abc\n",
        "line 5, column 13: 'abc' is not a valid number (could not convert string to float: "
        "'abc'); write a real one, or put it in quotes if it is text",
    ),
    "explicit-bool-tag": (
        HEAD + "spark:\n  app_name: !!bool maybe\n",
        "line 5, column 13: 'maybe' is not a valid boolean; write a real one, or put it in "
        "quotes if it is text",
    ),
    "explicit-timestamp-tag": (
        HEAD + "spark:\n  app_name: !!timestamp soon\n",
        "line 5, column 13: 'soon' is not a valid date; write a real one, or put it in quotes "
        "if it is text",
    ),
}


@pytest.fixture(params=["libyaml", "pure-python"])
def loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Both parsers: libyaml's (when PyYAML has it) and the pure-Python fallback."""
    if request.param == "pure-python":
        monkeypatch.setattr(yaml_loader, "_FastStrictLoader", yaml_loader._StrictLoader)
    elif not hasattr(yaml, "CSafeLoader"):
        pytest.skip("PyYAML without libyaml")
    yaml_loader._load.cache_clear()
    yield request.param
    yaml_loader._load.cache_clear()


def _validate(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str, float]:
    started = time.monotonic()
    code = cli.main(["validate", "--config", str(path)])
    elapsed = time.monotonic() - started
    out, err = capsys.readouterr()
    return code, out, err, elapsed


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_yaml_is_one_line_at_once(
    name: str, loader: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text, line = CASES[name]
    path = tmp_path / "conf" / "lakeport.yaml"
    path.parent.mkdir()
    path.write_text(text, encoding="utf-8")
    tracemalloc.start()
    try:
        code, out, err, elapsed = _validate(path, capsys)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (code, out, err.splitlines()) == (2, "", [f"{path}: {line}"])
    assert elapsed < 5, f"{name} took {elapsed:.1f} s"
    assert peak < 64 * 2**20, f"{name} allocated {peak / 2**20:.0f} MiB"


def test_an_oversized_file_is_not_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "conf" / "lakeport.yaml"
    path.parent.mkdir()
    path.write_text(HEAD + "# " + "x" * 1_000_000 + "\n", encoding="utf-8")
    code, out, err, elapsed = _validate(path, capsys)
    assert (code, out, err.splitlines()) == (
        2,
        "",
        [
            f"{path}: larger than 1 MB ({path.stat().st_size:,} bytes); lakeport reads YAML "
            "files of at most 1,000,000 bytes: check that this is the right file"
        ],
    )
    assert elapsed < 5


def test_a_schema_beside_the_config_is_checked_the_same_way(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    conf = tmp_path / "conf" / "lakeport.yaml"
    conf.parent.mkdir()
    conf.write_text(HEAD, encoding="utf-8")
    schema = tmp_path / "schemas" / "bomb.yaml"
    schema.parent.mkdir()
    schema.write_text(_bomb(), encoding="utf-8")
    code, _, err, elapsed = _validate(conf, capsys)
    assert (code, err.splitlines()) == (2, [f"{schema}: {CASES['alias-bomb'][1]}"])
    assert elapsed < 5


@pytest.mark.parametrize("limit", [0, 640, 4300])
def test_the_int_string_conversion_limit_does_not_matter(
    limit: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "conf" / "lakeport.yaml"
    path.parent.mkdir()
    before = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(limit)
    try:
        for digits, line in [
            (5_000, CASES["huge-integer"][1]),
            (700, CASES["huge-integer"][1].replace("5,000", "700")),
        ]:
            path.write_text(HEAD + "spark:\n  app_name: " + "9" * digits + "\n", encoding="utf-8")
            code, _, err, elapsed = _validate(path, capsys)
            assert (code, err.splitlines()) == (2, [f"{path}: {line}"])
            assert elapsed < 5
        # the largest number that is read still gets its ordinary message
        path.write_text(
            HEAD + "events: {webhook: {url: 'https://h', attempts: " + "9" * 100 + "}}\n",
            encoding="utf-8",
        )
        code, _, err, _ = _validate(path, capsys)
        assert (code, err.splitlines()) == (
            2,
            [
                f"{path}: events.webhook.attempts: {'9' * 100} is above the maximum 10; use 10 "
                "or less"
            ],
        )
    finally:
        sys.set_int_max_str_digits(before)


def test_ordinary_aliases_and_merge_keys_still_work(tmp_path: Path) -> None:
    from lakeport.config import load_config

    path = tmp_path / "conf" / "lakeport.yaml"
    path.parent.mkdir()
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "people.yaml").write_text(
        "class: other\nfields:\n  name: {type: string}\n", encoding="utf-8"
    )
    path.write_text(
        "datasets:\n  d0: &defaults {schema: people, format: csv, options: {header: true}}\n"
        + "".join(f"  d{i}: {{<<: *defaults, diagnostics: false}}\n" for i in range(1, 300))
        + "spark: {conf: {a: &v 4g, b: *v}}\n",
        encoding="utf-8",
    )
    cfg = load_config(path)
    assert len(cfg.datasets) == 300 and cfg.spark.conf == {"a": "4g", "b": "4g"}
    assert cfg.dataset("d299").config.format == "csv"
