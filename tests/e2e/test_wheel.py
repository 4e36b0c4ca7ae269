"""A pip user's path: the built wheel, installed into a fresh venv outside the repository, runs
``lakeport init``, ``lakeport setup`` and ``lakeport demo`` from an empty directory."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: int = 900) -> str:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, (
        f"{cmd}: exit {proc.returncode}\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    )
    return proc.stdout


def test_wheel_in_a_fresh_venv_runs_init_setup_demo(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    wheels = tmp_path / "wheels"
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(wheels),
            str(REPO),
        ],
        tmp_path,
        env,
    )
    (wheel,) = wheels.glob("lakeport-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
    top = {n.split("/", 1)[0] for n in names}
    assert {t for t in top if not t.endswith(".dist-info")} == {"lakeport"}, top
    assert "lakeport/resources/starter/conf/lakeport.yaml" in names
    assert "lakeport/resources/starter/schemas/purchases.yaml" in names

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], tmp_path, env)
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)], tmp_path, env)
    lakeport = str(venv / "bin" / "lakeport")
    env = {**env, "PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"}
    env.pop("PYSPARK_PYTHON", None)
    empty = tmp_path / "empty"
    empty.mkdir()
    out = _run([lakeport, "init", "proj"], empty, env)
    assert "starter project" in out
    project = empty / "proj"
    assert (project / "conf" / "lakeport.yaml").is_file() and (project / "README.md").is_file()
    _run([lakeport, "validate"], project, env)
    _run([lakeport, "setup"], project, env)
    out = _run([lakeport, "demo"], project, env)
    assert "purchases: 12 records failed" in out, out
    assert "these match the 12 documented bad lines" in out, out
    assert (project / "lake" / "datasets" / "purchases" / "_delta_log").is_dir()
