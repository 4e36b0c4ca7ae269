"""The README is the front door: its reference tables must match the code."""

from __future__ import annotations

import re

from lakeport.errors import ErrorCode
from lakeport.expr import FUNCTIONS
from tests.conftest import REPO

README = (REPO / "README.md").read_text()


def test_error_code_table_matches_the_error_code_enum():
    section = README.split("## Error codes", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([^`]+)` \| (\w+) \| (.*) \| (.*) \|$", section, flags=re.M)

    def plain(text: str) -> str:
        return text.replace("`", "").replace("\\|", "|")

    assert [(code, kind) for code, kind, _, _ in rows] == [(c.value, c.kind) for c in ErrorCode]
    for code, _, meaning, remedy in rows:
        assert (plain(meaning), plain(remedy)) == (ErrorCode[code].meaning, ErrorCode[code].remedy)


def test_function_table_matches_the_expression_language():
    section = README.split("#### Expressions", 1)[1].split("### Types", 1)[0]
    assert re.findall(r"^\| `([a-z_0-9]+)` \|", section, flags=re.M) == list(FUNCTIONS)


def test_readme_names_the_two_commands_and_ci_calls_the_test_one():
    assert "make demo" in README and "make test" in README
    assert "make test" in (REPO / ".ci" / "run").read_text()
