"""A real ``lakeport inlet serve`` on 127.0.0.1 for the tests: a project, the subprocess, its URL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import REPO
from tests.spark.conftest import MAPPING, SCHEMA

TOKEN = "test-token-0123456789abcdef"
LAKEPORT = [sys.executable, "-m", "lakeport"]
CONFIG = """
lake: {root: @LAKE@}
spark:
  conf: {spark.sql.shuffle.partitions: 2, spark.driver.memory: 1g}
datasets:
  people:
    schema: people
    mapping: people
    format: json
    partial_ingestion: {enabled: true, error_threshold_percent: 100}
sources:
  people_inlet: {location: @LANDING@, glob: "*.jsonl", dataset: people}
inlet:
  auth: {token: "${LAKEPORT_TEST_INLET_TOKEN}"}
  max_body_bytes: 4096
  max_record_bytes: 1024
  rotate_seconds: @ROTATE@
  datasets:
    people: {source: people_inlet}
"""


def make_project(tmp_path: Path, *, rotate_seconds: float = 0.2) -> tuple[Path, Path]:
    """conf/ + schemas/ with the people dataset, its inlet source and ``inlet:``."""
    (tmp_path / "conf" / "mappings").mkdir(parents=True)
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "people.yaml").write_text(SCHEMA)
    (tmp_path / "conf" / "mappings" / "people.yaml").write_text(MAPPING)
    landing = tmp_path / "landing"
    config = tmp_path / "conf" / "lakeport.yaml"
    config.write_text(
        CONFIG.replace("@LAKE@", str(tmp_path / "lake"))
        .replace("@LANDING@", str(landing))
        .replace("@ROTATE@", str(rotate_seconds))
    )
    return config, landing


def env() -> dict[str, str]:
    return {**os.environ, "LAKEPORT_TEST_INLET_TOKEN": TOKEN}


@dataclass
class Server:
    proc: subprocess.Popen
    url: str
    log: Path

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {TOKEN}"}

    def stop(self) -> subprocess.CompletedProcess[str]:
        """SIGTERM (a graceful stop), then the exit code and stdout."""
        self.proc.send_signal(signal.SIGTERM)
        out, _ = self.proc.communicate(timeout=120)
        return subprocess.CompletedProcess(self.proc.args, self.proc.returncode, out, "")

    def kill(self) -> None:
        self.proc.kill()  # SIGKILL
        self.proc.wait(timeout=60)


def start(config: Path, log: Path, *, timeout: float = 300) -> Server:
    """Start the inlet on a free port (``--port 0``) and wait for its ready line."""
    before = log.read_text().count("inlet serving on") if log.exists() else 0
    with log.open("a") as err:
        proc = subprocess.Popen(
            [*LAKEPORT, "inlet", "serve", "--config", str(config), "--port", "0", "--json"],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            env=env(),
        )
    deadline = time.monotonic() + timeout
    while True:
        ready = [x for x in log.read_text().splitlines() if "inlet serving on" in x]
        if len(ready) > before:
            return Server(proc, ready[-1].split("serving on ", 1)[1].split(" ")[0], log)
        assert proc.poll() is None, log.read_text()
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.05)


def landed(landing: Path) -> dict[str, list[dict]]:
    """Every landed record by request id (from the landing files only, not the open logs)."""
    out: dict[str, list[dict]] = {}
    for path in sorted(landing.glob("inlet-*.jsonl")):
        for line in path.read_text().splitlines():
            record = json.loads(line)  # a half-written line would fail here
            rid, _, place = record["_lakeport_request"].rpartition(":")
            out.setdefault(rid, []).append({**record, "_place": place})
    return out
