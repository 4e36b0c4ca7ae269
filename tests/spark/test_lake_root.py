"""``lakeport ingest --lake DIR`` on a directory of other files: exit 2, one line, nothing written.

Issue 16, item 17 through the CLI, in-process on the test session; LAKEPORT_LAKE_FORCE=1 lets the
same command write there, and a new ``tmp_path / "lake"`` needs nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lakeport import cli
from tests.spark.conftest import ROWS, write_jsonl

pytestmark = pytest.mark.spark


def _tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def test_ingest_refuses_a_directory_of_other_files(spark, mini, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("LAKEPORT_LAKE_FORCE", raising=False)
    home = tmp_path / "home"
    (home / "notes").mkdir(parents=True)
    (home / "todo.txt").write_text("buy milk\n")
    data = write_jsonl(tmp_path / "people.jsonl", ROWS)
    argv = ["ingest", "--config", str(mini.path), "--lake", str(home), "--dataset", "people", data]
    before = _tree(home)
    assert cli.main([*argv, "--json"]) == 2
    out, err = capsys.readouterr()
    line = (
        f"lakeport: error [LAKE_ROOT_REFUSED]: lake root {str(home)!r} holds other files (notes, "
        "todo.txt) and no lake (no datasets/ or system/ inside); point lake.root, --lake or "
        "$LAKEPORT_LAKE at an empty or new directory (or set LAKEPORT_LAKE_FORCE=1 to write there "
        "anyway)"
    )
    assert err.splitlines()[-1] == line
    assert json.loads(out)["error"]["code"] == "LAKE_ROOT_REFUSED"
    assert _tree(home) == before

    monkeypatch.setenv("LAKEPORT_LAKE_FORCE", "1")
    assert cli.main(argv) == 0
    assert (home / "datasets" / "people").is_dir()
    monkeypatch.delenv("LAKEPORT_LAKE_FORCE")
    assert cli.main([*argv, "--batch-id", "again"]) == 0  # now it holds a lake

    fresh = tmp_path / "lake"
    assert not fresh.exists()
    assert (
        cli.main(
            [
                "ingest",
                "--config",
                str(mini.path),
                "--lake",
                str(fresh),
                "--dataset",
                "people",
                data,
            ]
        )
        == 0
    )
