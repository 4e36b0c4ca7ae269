"""The CLI as people and orchestrators meet it, without a JVM: --help everywhere with an example
that parses, exit codes, one JSON object under --json, --config/--lake and their environment
variables, and the README's orchestrator and cluster commands checked against the real parser."""

from __future__ import annotations

import argparse
import ast
import json
import re
import shlex

import pytest

from lakeport import cli
from lakeport.cli.context import Context
from lakeport.errors import ErrorCode
from tests.conftest import CONFIG, REPO

README = (REPO / "README.md").read_text()
DAY = "2026-11-23"  # what the orchestrators' date templates stand for in the tests


def _walk(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    yield path, parser
    for name, sub in cli.subcommands(parser):
        yield from _walk(sub, (*path, name))


COMMANDS = [path for path, _ in _walk(cli.build_parser())]


def _examples(help_text: str) -> list[str]:
    tail = re.split(r"^examples?:\n", help_text, flags=re.M)
    assert len(tail) == 2, f"no 'example:' section in:\n{help_text}"
    return [line.strip() for line in tail[1].splitlines() if line.startswith("  lakeport ")]


def test_the_walk_reaches_every_command_and_action():
    top = {p[0] for p in COMMANDS if len(p) == 1}
    assert {"validate", "sample-data", "ingest", "batch", "datasets", "demo", "report"} <= top
    assert {a[1] for a in COMMANDS if a[:1] == ("batch",) and len(a) == 2} == {
        "create",
        "upload",
        "complete",
        "abort",
        "status",
        "list",
        "errors",
    }


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "lakeport")
def test_help_shows_an_example_that_parses(path, capsys):
    assert cli.main([*path, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: lakeport {' '.join(path)}".rstrip())
    examples = _examples(out)
    assert examples, out
    for example in examples:
        argv = shlex.split(example)[1:]
        if path:  # the example is for this command (the top level lists several)
            assert argv[: len(path)] == list(path), example
        args = cli.build_parser().parse_args(argv)
        assert callable(args.handler), example


def test_usage_errors_exit_2_and_name_the_problem(capsys):
    assert cli.main(["no-such-command"]) == 2
    assert "invalid choice: 'no-such-command'" in capsys.readouterr().err
    assert cli.main(["batch"]) == 2
    assert cli.main(["ingest", "--dataset", "loyalty"]) == 2  # no files
    assert "the following arguments are required: files" in capsys.readouterr().err


def _one_json_object(out: str) -> dict:
    lines = out.splitlines()
    assert len(lines) == 1, out
    obj = json.loads(lines[0])
    assert isinstance(obj, dict)
    return obj


def test_json_is_exactly_one_object_on_success_and_on_failure(capsys, project, tmp_path):
    assert cli.main(["validate", "--json", "--config", str(CONFIG)]) == 0
    ok = _one_json_object(capsys.readouterr().out)
    assert ok["valid"] is True and "loyalty" in ok["datasets"]

    assert cli.main(["sample-data", "--out", str(tmp_path / "s"), "--json"]) == 0
    sample = _one_json_object(capsys.readouterr().out)
    assert sample["files"]["loyalty"]["records"] == 1000

    broken = project / "conf" / "lakeport.yaml"
    broken.write_text(broken.read_text().replace("format: csv", "format: xml"))
    assert cli.main(["validate", "--json", "--config", str(broken)]) == 2
    captured = capsys.readouterr()
    invalid = _one_json_object(captured.out)
    assert invalid["valid"] is False and len(invalid["problems"]) == 1
    assert "'xml' is not allowed" in captured.err  # the same lines go to stderr for people

    # a command that fails before it has anything to report still prints one object
    assert cli.main(["ingest", "--json", "--config", str(broken), "--dataset", "x", "f"]) == 2
    failed = _one_json_object(capsys.readouterr().out)
    assert (failed["exitCode"], failed["error"]["code"]) == (2, "CONFIG_INVALID")
    assert cli.main(["report", "--top", "0", "--json"]) == 2
    usage = _one_json_object(capsys.readouterr().out)
    assert usage == {
        "error": {
            "code": "USAGE",
            "message": "--top 0: give a number of error codes of at least 1",
        },
        "exitCode": 2,
    }
    # without --json nothing goes to stdout on failure
    assert cli.main(["report", "--top", "0"]) == 2
    assert capsys.readouterr().out == ""


def test_config_and_lake_from_flags_environment_and_file(monkeypatch, project):
    other = project / "conf" / "lakeport.yaml"
    parse = cli.build_parser().parse_args
    monkeypatch.delenv("LAKEPORT_CONFIG", raising=False)
    monkeypatch.delenv("LAKEPORT_LAKE", raising=False)
    monkeypatch.chdir(REPO)
    cfg = Context(parse(["validate"])).config()
    assert (cfg.path.resolve(), cfg.lake_root) == (CONFIG, "./lake")

    monkeypatch.setenv("LAKEPORT_CONFIG", str(other))
    monkeypatch.setenv("LAKEPORT_LAKE", "/env/lake")
    cfg = Context(parse(["validate"])).config()
    assert (cfg.path, cfg.lake_root) == (other, "/env/lake")

    cfg = Context(parse(["validate", "--config", str(CONFIG), "--lake", "/flag/lake"])).config()
    assert (cfg.path, cfg.lake_root) == (CONFIG, "/flag/lake")


# --------------------------------------------------------------------------------------------
# README examples are commands the tests run
# --------------------------------------------------------------------------------------------


def _section(title: str) -> str:
    assert f"\n## {title}\n" in README, f"README has no '## {title}' section"
    return README.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def _normalise(command: str) -> str:
    for template in (r"$(date +\%F)", "$(date +%F)", "{{ ds }}", "{day}"):
        command = command.replace(template, DAY)
    return command


def orchestrator_commands() -> list[str]:
    """Every ``lakeport ...`` command line in the README's orchestrator examples."""
    code = "\n".join(
        re.findall(r"^```\w*\n(.*?)^```", _section("Running from orchestrators"), flags=re.M | re.S)
    )
    found = [
        _normalise(m.group(1)).strip()
        for m in re.finditer(r"(?:^|[\s\"'/(])(lakeport (?:[^\"'\n>|&;#])+)", code, flags=re.M)
    ]
    # SparkSubmitOperator: application_args of jobs/ingest_batch.py are `lakeport ingest` args
    for m in re.finditer(r"application_args=(\[[^\]]*\])", code):
        found.append("lakeport ingest " + shlex.join(ast.literal_eval(_normalise(m.group(1)))))
    return found


def test_readme_orchestrator_commands_are_the_ones_the_tests_run():
    from tests.e2e.test_report import ORCHESTRATOR_COMMANDS

    found = orchestrator_commands()
    for block in ("cron", "BashOperator", "SparkSubmitOperator", "Dagster"):
        assert block in _section("Running from orchestrators")
    assert len(found) >= 6, found
    for command in found:
        assert command in ORCHESTRATOR_COMMANDS, command
        args = cli.build_parser().parse_args(shlex.split(command)[1:])
        assert callable(args.handler)


def test_readme_cluster_command_is_the_tested_one():
    from tests.e2e.test_cluster import README_SUBMITS

    section = _section("Cluster deployment")
    joined = section.replace("\\\n", " ")  # shell line continuations
    found = [shlex.split(line) for line in re.findall(r"^spark-submit .*$", joined, flags=re.M)]
    assert found[: len(README_SUBMITS)] == README_SUBMITS


def test_troubleshooting_has_symptom_cause_and_remedy_for_every_error_code():
    all_codes = [c.value for c in ErrorCode]

    rows = re.findall(r"^\| `([A-Z_0-9]+)` \|(.*)\|$", _section("Troubleshooting"), flags=re.M)
    codes = [code for code, _ in rows]
    assert sorted(codes) == sorted(all_codes), set(codes) ^ set(all_codes)
    assert len(codes) == len(set(codes))
    for code, rest in rows:
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", rest)]
        assert len(cells) == 3 and all(cells), (code, cells)  # symptom, cause, what to do
