"""The JVM dies under a batch (as when it runs out of memory): one line, exit 1, no traceback; the
batch stays 'processing' and the same command run again finishes it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import CONFIG, REPO
from tests.e2e.test_cli import run_cli

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _java_below(pid: int) -> int | None:
    """The pid of a java process among the descendants of ``pid``."""
    children: dict[int, list[int]] = {}
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(proc.name))
    todo = list(children.get(pid, []))
    while todo:
        child = todo.pop()
        try:
            if b"java" in Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")[0]:
                return child
        except OSError:
            continue
        todo.extend(children.get(child, []))
    return None


def test_the_jvm_killed_under_a_batch(sample_dir, tmp_path):
    lake = tmp_path / "lake"
    args = [
        "ingest",
        "--config",
        str(CONFIG),
        "--lake",
        str(lake),
        "--dataset",
        "loyalty",
        "--batch-id",
        "oom-1",
        str(sample_dir / "loyalty.jsonl"),
    ]
    proc = subprocess.Popen(
        [sys.executable, "-m", "lakeport", *args],
        cwd=REPO,
        env={**os.environ, "LAKEPORT_TEST_PAUSE_AT": "batch-processing:60"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 300
    java = None
    while time.monotonic() < deadline and proc.poll() is None:
        java = _java_below(proc.pid)
        if java is not None and (lake / "system" / "batches").exists():
            break
        time.sleep(1)
    assert java is not None, proc.communicate()[1][-3000:]
    time.sleep(3)  # the processing row is written; the process sleeps at the pause
    os.kill(java, signal.SIGKILL)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 1, err[-3000:]
    assert "Traceback" not in err, err[-3000:]
    assert "lakeport: error [BATCH_SPARK_FAILURE]: Spark's JVM stopped" in err
    again = run_cli(*args)
    assert again.returncode == 0, again.stderr[-3000:]
    assert json.loads(again.stdout.strip().splitlines()[-1])["metrics"]["outputRecordCount"] == 1000
