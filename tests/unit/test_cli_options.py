"""The global flags work before and after the command; usage errors keep the JSON contract."""

from __future__ import annotations

import json

import pytest

from lakeport import cli

FLAGS = ["--config", "other.yaml", "--lake", "./lk", "--json", "-v"]


@pytest.mark.parametrize(
    "command",
    [
        ["ingest", "--dataset", "products", "f.csv"],
        ["batch", "status", "b1"],
        ["profiles", "build"],
        ["export", "dataset", "purchases", "--target", "t", "--format", "csv"],
        ["validate"],
    ],
    ids=lambda c: " ".join(c[:2]),
)
def test_global_flags_before_and_after_the_command(command):
    parse = cli.build_parser().parse_args
    before, after, none = parse([*FLAGS, *command]), parse([*command, *FLAGS]), parse(command)
    for args in (before, after):
        assert (args.config, args.lake, args.json, args.verbose) == (
            "other.yaml",
            "./lk",
            True,
            True,
        )
    assert (none.config, none.lake, none.json, none.verbose) == (None, None, False, False)
    assert before.handler is after.handler is none.handler


def test_a_flag_given_in_both_places_takes_the_later_one():
    args = cli.build_parser().parse_args(["--lake", "a", "batch", "list", "--lake", "b"])
    assert args.lake == "b"


def test_replace_takes_ids_and_leaves_the_files():
    parse = cli.build_parser().parse_args
    args = parse(["ingest", "--dataset", "members", "--batch-id", "B2", "--replace", "B1", "x.csv"])
    assert (args.replace, args.files) == (["B1"], ["x.csv"])
    args = parse(["ingest", "--dataset", "m", "--replace", "B0,B1", "--replace", "B9", "x.csv"])
    assert (args.replace, args.files) == (["B0", "B1", "B9"], ["x.csv"])


def test_usage_errors_print_one_json_object_under_json(capsys):
    assert cli.main(["ingest", "--json", "--dataset", "loyalty"]) == 2
    captured = capsys.readouterr()
    assert "the following arguments are required: files" in captured.err
    assert json.loads(captured.out) == {
        "error": {"code": "USAGE", "message": "the following arguments are required: files"},
        "exitCode": 2,
    }
    assert cli.main(["no-such-command"]) == 2
    assert capsys.readouterr().out == ""  # without --json nothing goes to stdout
