"""The README is the front door: its reference tables must match the code."""

from __future__ import annotations

import re

from lakeport.codes import BATCH_CODES, ROW_CODES
from lakeport.transforms.expressions import FUNCTIONS
from tests.conftest import REPO

README = (REPO / "README.md").read_text()


def _table_first_column(after_heading: str) -> list[str]:
    section = README.split(after_heading, 1)[1]
    rows = re.findall(r"^\| `([^`]+)` \|", section.split("\n## ", 1)[0], flags=re.M)
    return rows


def test_error_code_table_matches_jobs_codes():
    assert _table_first_column("## Error codes") == [*ROW_CODES, *BATCH_CODES]


def test_function_table_matches_the_expression_language():
    section = README.split("#### Expressions", 1)[1].split("### Types", 1)[0]
    assert re.findall(r"^\| `([a-z_0-9]+)` \|", section, flags=re.M) == list(FUNCTIONS)


def test_readme_names_the_two_commands_and_ci_calls_the_test_one():
    assert "make demo" in README and "make test" in README
    assert "make test" in (REPO / ".ci" / "run").read_text()
