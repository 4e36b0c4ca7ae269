"""A real ``lakeport export snapshot`` process killed between publishing and ``_SUCCESS``, then the
orchestrator's retry: one complete export, nothing left behind, rows equal to the source."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lakeport.cli import main
from lakeport.lake import hooks
from tests.conftest import CONFIG, REPO
from tests.spark.test_exports import (
    assert_equal,
    at_version,
    check_layout,
    create_profiles,
    profiles_path,
    read_back,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.spark]


def test_killed_export_leaves_no_success_and_the_rerun_publishes_one_complete_export(
    spark, cfg, tmp_path, capsys
):
    create_profiles(spark, profiles_path(cfg))  # version 1, CDF on
    # a lake with profiles has its system tables too (a bare profiles/ is refused as a lake root)
    Path(cfg.lake_root, "system").mkdir(exist_ok=True)
    target = tmp_path / "exports"
    argv = [
        "export",
        "snapshot",
        "--config",
        str(CONFIG),
        "--lake",
        cfg.lake_root,
        "--policy",
        "demo",
        "--target",
        str(target),
        "--format",
        "json",
        "--compression",
        "gzip",
        "--export-time",
        "202611231000",
        "--json",
    ]
    proc = subprocess.run(
        [sys.executable, "-m", "lakeport", *argv],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, hooks.CRASH_ENV: "after_publish"},
    )
    assert proc.returncode == hooks.CRASH_EXIT_CODE == 137, proc.stderr[-3000:]
    assert "lakeport: test crash at after_publish" in proc.stderr
    assert proc.stdout == ""
    directory = target / "demo" / "exportTime=202611231000"
    # published, but incomplete: a reader waiting for _SUCCESS does not take it
    assert sorted(p.name for p in (target / "demo").iterdir()) == ["exportTime=202611231000"]
    assert (directory / "_manifest.json").exists() and not (directory / "_SUCCESS").exists()
    crashed = json.loads((directory / "_manifest.json").read_text())

    # the orchestrator retries the same command
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["status"], summary["mode"], summary["rowCount"]) == ("exported", "full", 4)
    assert sorted(p.name for p in (target / "demo").iterdir()) == ["exportTime=202611231000"]
    manifest = json.loads((directory / "_manifest.json").read_text())
    assert manifest["createdAt"] >= crashed["createdAt"]
    assert manifest["source"]["version"] == crashed["source"]["version"] == 1
    check_layout(directory, manifest)
    assert all(f["path"].endswith(".json.gz") for f in manifest["files"])
    assert_equal(read_back(spark, directory, manifest), at_version(spark, profiles_path(cfg), 1))

    # and once more: complete already, nothing written
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "exists"
