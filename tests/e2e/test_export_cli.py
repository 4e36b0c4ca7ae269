"""A real ``lakeport export snapshot`` process killed between publishing and ``_SUCCESS``, then the
orchestrator's retry: one complete export, nothing left behind, rows equal to the source."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from lakeport import cli
from lakeport import export_snapshot as ex
from tests.conftest import CONFIG, REPO
from tests.spark.test_exports import (
    assert_equal,
    at_version,
    check_layout,
    create_profiles,
    read_back,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.spark]


def test_killed_export_leaves_no_success_and_the_rerun_publishes_one_complete_export(
    spark, cfg, tmp_path, capsys
):
    create_profiles(spark, ex.profiles_path(cfg, "demo"))  # version 1, CDF on
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
        [sys.executable, "-m", "jobs", *argv],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, ex.CRASH_ENV: "after_publish"},
    )
    assert proc.returncode == ex.CRASH_EXIT_CODE, proc.stderr[-3000:]
    assert f"{ex.CRASH_ENV}=after_publish: exiting now" in proc.stderr
    assert proc.stdout == ""
    directory = target / "demo" / "exportTime=202611231000"
    # published, but incomplete: a reader waiting for _SUCCESS does not take it
    assert sorted(p.name for p in (target / "demo").iterdir()) == ["exportTime=202611231000"]
    assert (directory / "_manifest.json").exists() and not (directory / "_SUCCESS").exists()
    crashed = json.loads((directory / "_manifest.json").read_text())

    # the orchestrator retries the same command
    assert cli.main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["status"], summary["mode"], summary["rowCount"]) == ("exported", "full", 4)
    assert sorted(p.name for p in (target / "demo").iterdir()) == ["exportTime=202611231000"]
    manifest = json.loads((directory / "_manifest.json").read_text())
    assert manifest["createdAt"] >= crashed["createdAt"]
    assert manifest["source"]["version"] == crashed["source"]["version"] == 1
    check_layout(directory, manifest)
    assert all(f["path"].endswith(".json.gz") for f in manifest["files"])
    assert_equal(
        read_back(spark, directory, manifest), at_version(spark, ex.profiles_path(cfg, "demo"), 1)
    )

    # and once more: complete already, nothing written
    assert cli.main(argv) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "exists"
