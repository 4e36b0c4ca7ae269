"""A real Spark standalone cluster (one master, one worker) on 127.0.0.1, from the installed pyspark.

The pip package has no ``sbin/start-master.sh``, but its jars hold the Master and Worker classes,
so ``bin/spark-class`` starts them in the foreground. Each runs in its own process group that this
module created, and is stopped by that id (never by name), also when the test fails.

Example:
    >>> with standalone_cluster(tmp_path) as cluster:
    ...     subprocess.run([SPARK_SUBMIT, "--master", cluster.master_url, ...])

Run by hand (prints the master URL, stops on Enter):
    .venv/bin/python -m tests.e2e.cluster
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyspark

SPARK_HOME = Path(pyspark.__file__).resolve().parent
SPARK_CLASS = SPARK_HOME / "bin" / "spark-class"
SPARK_SUBMIT = SPARK_HOME / "bin" / "spark-submit"


def free_port() -> int:
    """A port that was free on 127.0.0.1 a moment ago (bind to 0, read it, close)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Cluster:
    master_url: str
    master_port: int
    log_dir: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def logs(self) -> str:
        """The daemons' logs, for a failure message."""
        return "\n".join(
            f"--- {p.name} ---\n{p.read_text(errors='replace')[-4000:]}"
            for p in sorted(self.log_dir.glob("*.log"))
        )


def _env(base: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "SPARK_HOME": str(SPARK_HOME),
        "SPARK_LOCAL_IP": "127.0.0.1",
        "SPARK_LOG_DIR": str(base / "logs"),
        "SPARK_PID_DIR": str(base / "pids"),
        "SPARK_WORKER_DIR": str(base / "work"),  # else work/ lands in site-packages
        "SPARK_DAEMON_MEMORY": "512m",
        "PYSPARK_PYTHON": sys.executable,
    }
    env.pop("PYSPARK_GATEWAY_PORT", None)
    return env


def _start(name: str, args: list[str], base: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    log = open(base / "logs" / f"{name}.log", "wb")  # noqa: SIM115 - closed by the child's exit
    try:
        return subprocess.Popen(
            [str(SPARK_CLASS), *args],
            cwd=base,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: spark-class and the JVM it runs
        )
    finally:
        log.close()


def _wait_for(proc: subprocess.Popen[bytes], log: Path, text: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        if log.exists() and text in log.read_text(errors="replace"):
            return
        if proc.poll() is not None:
            raise RuntimeError(f"{log.stem} exited with {proc.returncode} before {text!r}")
        time.sleep(0.25)
    raise TimeoutError(f"{log.stem}: no {text!r} in {log} in time")


def _stop(proc: subprocess.Popen[bytes], timeout: float = 15) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout)


@contextlib.contextmanager
def standalone_cluster(
    base: Path, *, cores: int = 2, memory: str = "2g", timeout: float = 120
) -> Iterator[Cluster]:
    """Start a master and one worker on 127.0.0.1 (free ports); stop both on exit, whatever happens.

    Args:
        base: a scratch directory for logs and the worker's work dir.
        cores, memory: what the worker offers to applications.
        timeout: seconds to wait for the worker to register with the master.
    """
    for sub in ("logs", "pids", "work"):
        (base / sub).mkdir(parents=True, exist_ok=True)
    env = _env(base)
    port = free_port()
    url = f"spark://127.0.0.1:{port}"
    cluster = Cluster(url, port, base / "logs")
    deadline = time.monotonic() + timeout
    try:
        master = _start(
            "master",
            [
                "org.apache.spark.deploy.master.Master",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--webui-port",
                str(free_port()),
            ],
            base,
            env,
        )
        cluster.processes.append(master)
        _wait_for(master, base / "logs" / "master.log", "I have been elected leader", deadline)
        worker = _start(
            "worker",
            [
                "org.apache.spark.deploy.worker.Worker",
                "--host",
                "127.0.0.1",
                "--cores",
                str(cores),
                "--memory",
                memory,
                "--work-dir",
                str(base / "work"),
                "--webui-port",
                str(free_port()),
                url,
            ],
            base,
            env,
        )
        cluster.processes.append(worker)
        _wait_for(
            worker, base / "logs" / "worker.log", "Successfully registered with master", deadline
        )
        yield cluster
    finally:
        for proc in reversed(cluster.processes):  # worker first, then master
            _stop(proc)


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp, standalone_cluster(Path(tmp)) as c:
        print(f"{c.master_url}  (logs in {c.log_dir}); press Enter to stop", flush=True)
        with contextlib.suppress(EOFError, KeyboardInterrupt):
            input()
