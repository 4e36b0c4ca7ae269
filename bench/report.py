"""Machine facts, load averages and the Markdown sections appended to ``bench/RESULTS.md``."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import statistics
import subprocess
from pathlib import Path
from typing import Any

HEADER = """# lakeport benchmarks: results

Appended by `bench/run.py` (`make bench`); one dated section per run, newest last. What each
bench measures and the targets: `bench/README.md`. Numbers are wall-clock seconds on the machine
named in each section; on the shared 2-vCPU VM medians can move by 30-50 % between runs
(`/work/shared/design/SPARK-NOTES.md` section 5), so read the load averages next to them.
"""


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def load_average() -> tuple[float, float, float]:
    return os.getloadavg()


def load_text() -> str:
    one, five, fifteen = load_average()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def other_spark_jvms(own_jvm_pid: int | None = None) -> int:
    """Spark JVMs on the machine other than ours (``SparkSubmit`` processes), -1 if unknown."""
    try:
        out = subprocess.run(
            ["ps", "-eo", "pid,ppid,args"], capture_output=True, text=True, check=False
        ).stdout
    except OSError:
        return -1
    count = 0
    for line in out.splitlines()[1:]:
        parts = line.split(None, 2)
        if len(parts) < 3 or "org.apache.spark.deploy.SparkSubmit" not in parts[2]:
            continue
        if own_jvm_pid is None or int(parts[0]) != own_jvm_pid:
            count += 1
    return count


def machine() -> dict[str, str]:
    meminfo = _read("/proc/meminfo")
    mem = next(
        (
            line.split(":", 1)[1].strip()
            for line in meminfo.splitlines()
            if line.startswith("MemTotal")
        ),
        "?",
    )
    try:
        mem_gib = f"{int(mem.split()[0]) / 1024**2:.1f} GiB ({mem})"
    except (ValueError, IndexError):
        mem_gib = mem
    cpuinfo = _read("/proc/cpuinfo")
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in cpuinfo.splitlines()
            if line.startswith("model name")
        ),
        "?",
    )
    try:
        java = subprocess.run(
            ["java", "-version"], capture_output=True, text=True, check=False
        ).stderr.splitlines()
        java_text = "; ".join(java[:2])
    except OSError:
        java_text = "?"

    def version(pkg: str) -> str:
        try:
            return importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            return "?"

    return {
        "nproc": str(os.cpu_count()),
        "memory": mem_gib,
        "cpu": cpu,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "java": java_text,
        "pyspark": version("pyspark"),
        "delta-spark": version("delta-spark"),
        "pyarrow": version("pyarrow"),
    }


def date_utc() -> str:
    try:
        return subprocess.run(
            ["date", "-u"], capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        return "?"


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def fmt_s(value: float) -> str:
    return f"{value:.2f}"


def fmt_runs(values: list[float]) -> str:
    return ", ".join(fmt_s(v) for v in values)


def table(headers: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(" --- " for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def append_section(path: Path, text: str) -> None:
    """Append one run's section, creating the file with its header first."""
    if not path.exists() or not path.read_text().strip():
        path.write_text(HEADER)
    with path.open("a", encoding="utf-8") as f:
        f.write("\n" + text.rstrip() + "\n")


def code_fingerprint(package: Path) -> str:
    """sha256 (12 hex) over the package's ``*.py`` files, and the newest file's mtime (UTC)."""
    import hashlib
    from datetime import datetime, timezone

    digest = hashlib.sha256()
    newest, newest_name = 0.0, ""
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode())
        digest.update(path.read_bytes())
        mtime = path.stat().st_mtime
        if mtime > newest:
            newest, newest_name = mtime, str(path.relative_to(package.parent))
    when = datetime.fromtimestamp(newest, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"{digest.hexdigest()[:12]} (newest file {newest_name}, modified {when})"


def _stat(pid: int | str) -> tuple[int, float, float] | None:
    """(parent pid, own user + system CPU s, waited-for children's CPU s) from /proc, or None."""
    text = _read(f"/proc/{pid}/stat")
    if ")" not in text:
        return None  # gone meanwhile
    fields = text[
        text.rindex(")") + 2 :
    ].split()  # from the state: ppid is 1, utime 11 .. cstime 14
    ticks = os.sysconf("SC_CLK_TCK")
    own = (int(fields[11]) + int(fields[12])) / ticks
    return int(fields[1]), own, (int(fields[13]) + int(fields[14])) / ticks


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process so far (Linux /proc)."""
    stat = _stat(pid)
    return stat[1] if stat else 0.0


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) of process ``pid`` and every live descendant, from /proc;
    for a Spark driver JVM that includes its Python workers (reused between tasks)."""
    stats: dict[int, tuple[int, float]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := _stat(entry)) is not None:
            stats[int(entry)] = (stat[0], stat[1] + stat[2])
    children: dict[int, list[int]] = {}
    for child, (parent, _cpu) in stats.items():
        children.setdefault(parent, []).append(child)
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        if current in stats:
            total += stats[current][1]
        todo.extend(children.get(current, []))
    return total
