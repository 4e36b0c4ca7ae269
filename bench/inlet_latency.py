"""The real-time path, end to end: HTTP request acknowledged -> rows in the dataset -> profile.

Two parts, each appended to bench/RESULTS.md:

1. **throughput**: ``lakeport inlet serve`` pinned to one core (``taskset -c 0``) and this
   process's HTTP clients on the other; for 1, 10 and 100 records per request, as many
   concurrent requests as ``--connections`` for ``--throughput-seconds``; acknowledged
   records/s (every acknowledgement waited for the fsync).
2. **latency**: the inlet, ``lakeport sources stream landing --trigger 1s --profiles`` (one
   JVM), and a steady load of ``--rate`` records/s (``--batch`` records per request, on an
   absolute schedule) for ``--minutes``, updating a pool of ``--devices`` profiles. Once a
   second one record is a probe with a new identity. Per probe: acknowledged (the client has the
   200) -> its row readable in ``datasets/people`` (delta-rs polled every 0.25 s) -> its identity
   in ``profiles/timestamp_ordered`` (the table and the reader ``lakeport profiles get`` uses;
   the last probe is also looked up with the real command). Probes of the first
   ``--warmup-seconds`` are not counted (the first builds are full ones).

    spark-slot .venv/bin/python bench/inlet_latency.py [--minutes 5] [--rate 200] [--batch 10]
        [--throughput-seconds 15] [--connections 32] [--no-results]

Only the stream starts a JVM (run the script under ``spark-slot``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(0, str(REPO))

import report  # noqa: E402

SCHEMA = """
name: people
class: profile
fields:
  id: {type: string, required: true, identity: {namespace: personId, primary: true}}
  name: {type: object, fields: {first: {type: string}}}
  age: {type: integer, minimum: 0}
  signup: {type: datetime}
"""
MAPPING = """
schema: people
fields:
  - {target: id, source: id}
  - {target: name.first, source: first_name}
  - {target: age, source: age}
  - {target: signup, source: signup}
"""
CONFIG = """
lake: {root: LAKE}
spark:
  conf: {spark.sql.shuffle.partitions: 2, spark.driver.memory: 2g}
datasets:
  people:
    schema: people
    mapping: people
    partial_ingestion: {enabled: true, error_threshold_percent: 100}
sources:
  landing: {location: LANDING, glob: "*.jsonl", dataset: people}
inlet:
  rotate_seconds: ROTATE
  datasets:
    people: {source: landing}
"""
TOKEN_ENV = "LAKEPORT_BENCH_INLET_TOKEN"


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


def project(work: Path, rotate: float) -> Path:
    (work / "conf" / "mappings").mkdir(parents=True)
    (work / "schemas").mkdir()
    (work / "landing").mkdir()
    (work / "schemas" / "people.yaml").write_text(SCHEMA)
    (work / "conf" / "mappings" / "people.yaml").write_text(MAPPING)
    config = work / "conf" / "lakeport.yaml"
    config.write_text(
        CONFIG.replace("LAKE", str(work / "lake"))
        .replace("LANDING", str(work / "landing"))
        .replace("ROTATE", str(rotate))
    )
    return config


def start_inlet(config: Path, log: Path, *, core: int | None) -> tuple[subprocess.Popen, str]:
    cmd = [
        sys.executable,
        "-m",
        "lakeport",
        "inlet",
        "serve",
        "--config",
        str(config),
        "--port",
        "0",
    ]
    if core is not None and shutil.which("taskset"):
        cmd = ["taskset", "-c", str(core), *cmd]
    err = log.open("w")
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=err, stderr=err)
    deadline = time.monotonic() + 60
    while "serving on" not in log.read_text():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the inlet did not start: {log.read_text()}")
        time.sleep(0.1)
    line = next(x for x in log.read_text().splitlines() if "serving on" in x)
    return proc, line.split("serving on ", 1)[1].split(" ", 1)[0]


def record(n: int, ident: str) -> dict:
    return {"id": ident, "first_name": f"v{n}", "age": n % 90, "signup": "2026-11-23T10:00:00Z"}


async def _throughput(url: str, batch: int, connections: int, seconds: float) -> int:
    import httpx

    body = json.dumps([record(i, f"t{i}") for i in range(batch)]).encode()
    done = 0
    stop = time.monotonic() + seconds

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal done
        while time.monotonic() < stop:
            r = await client.post(f"{url}/collection/people", content=body)
            r.raise_for_status()
            done += batch

    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        await asyncio.gather(*(worker(client) for _ in range(connections)))
    return done


def _client(args: tuple[str, int, int, float]) -> int:
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {1})  # the clients on core 1, the inlet on core 0
    return asyncio.run(_throughput(*args))


def throughput(url: str, pid: int, batch: int, connections: int, seconds: float, procs: int):
    """``(records/s acknowledged, the inlet's CPU share, records per inlet CPU-second)``."""
    from multiprocessing import Pool

    cpu0, t0 = report.cpu_seconds(pid), time.monotonic()
    with Pool(procs) as pool:
        done = sum(pool.map(_client, [(url, batch, connections, seconds)] * procs))
    wall, cpu = time.monotonic() - t0, report.cpu_seconds(pid) - cpu0
    return done / wall, cpu / wall, done / cpu if cpu else float("inf")


class Watch:
    """Polls the dataset and the profile table with delta-rs for the pending probes."""

    def __init__(self, lake: Path) -> None:
        self.dataset = lake / "datasets" / "people"
        self.profiles = lake / "profiles" / "timestamp_ordered"
        self.acked: dict[str, float] = {}
        self.rows: dict[str, float] = {}
        self.profile: dict[str, float] = {}
        self._versions = {"d": -1, "p": -1}

    def _new_version(self, key: str, path: Path):
        from deltalake import DeltaTable

        if not (path / "_delta_log").is_dir():
            return None
        try:
            table = DeltaTable(str(path))
        except Exception:
            return None
        if table.version() == self._versions[key]:
            return None
        self._versions[key] = table.version()
        return table

    def poll(self) -> None:
        import pyarrow as pa
        import pyarrow.compute as pc

        now = time.monotonic()
        waiting = [p for p in self.acked if p not in self.rows]
        if waiting and (t := self._new_version("d", self.dataset)) is not None:
            listed = ", ".join(f"'{p}'" for p in waiting)  # probe ids: letters and digits
            ids = pa.table(t.scan(columns=["id"], predicate=f"id IN ({listed})").read_all())
            for i in ids.column("id").to_pylist():
                self.rows.setdefault(i, now)
        waiting = [p for p in self.acked if p not in self.profile]
        if waiting and (t := self._new_version("p", self.profiles)) is not None:
            idents = pc.list_flatten(pa.table(t.scan(columns=["identities"]).read_all()).column(0))
            found = set(pc.struct_field(idents, "id").to_pylist()) & set(waiting)
            for i in found:
                self.profile.setdefault(i, now)


async def steady(url: str, watch: Watch, rate: int, batch: int, minutes: float, devices: int):
    import httpx

    rng = random.Random(7)
    period = batch / rate
    total = int(minutes * 60 / period)
    sent = acked = failed = 0
    probe_every = max(1, round(1 / period))
    start = time.monotonic()
    pending: set[asyncio.Task] = set()
    ack_seconds: list[float] = []

    async def send(client: httpx.AsyncClient, body: bytes, probe: str | None, n: int) -> None:
        nonlocal acked, failed
        t0 = time.monotonic()
        try:
            r = await client.post(f"{url}/collection/people", content=body)
            r.raise_for_status()
        except Exception:
            failed += n
            return
        now = time.monotonic()
        ack_seconds.append(now - t0)
        acked += n
        if probe is not None:
            watch.acked[probe] = now

    async def poller() -> None:
        while True:
            try:
                await asyncio.to_thread(watch.poll)
            except Exception as exc:  # a table caught mid-commit: poll again
                print(f"poll: {type(exc).__name__}: {exc}", file=sys.stderr)
            await asyncio.sleep(0.25)

    async with httpx.AsyncClient(timeout=60) as client:
        poll_task = asyncio.create_task(poller())
        for k in range(total):
            due = start + k * period
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            rows = [record(sent + i, f"dev{rng.randrange(devices)}") for i in range(batch)]
            probe = None
            if k % probe_every == 0:
                probe = f"probe{k // probe_every}"
                rows[0] = record(sent, probe)
            sent += batch
            task = asyncio.create_task(send(client, json.dumps(rows).encode(), probe, batch))
            pending.add(task)
            task.add_done_callback(pending.discard)
        await asyncio.gather(*pending)
        elapsed = time.monotonic() - start
        deadline = time.monotonic() + 300  # let the last probes arrive
        while time.monotonic() < deadline and len(watch.profile) < len(watch.acked):
            await asyncio.sleep(0.5)
        poll_task.cancel()
    return {
        "sent": sent,
        "acked": acked,
        "failed": failed,
        "elapsed": elapsed,
        "ack_p50": percentile(ack_seconds, 50),
        "ack_p95": percentile(ack_seconds, 95),
    }


def micro_batches(lake: Path) -> tuple[list[float], list[float]]:
    """Seconds from start to end of each successful batch, and its records (the catalog)."""
    import pyarrow as pa
    from deltalake import DeltaTable

    cols = ["batch_id", "status", "started_at", "completed_at", "input_record_count"]
    rows = pa.table(DeltaTable(str(lake / "system" / "batches")).scan(columns=cols).read_all())
    done = [r for r in rows.to_pylist() if r["status"] == "success" and r["completed_at"]]
    return (
        [(r["completed_at"] - r["started_at"]).total_seconds() for r in done],
        [float(r["input_record_count"] or 0) for r in done],
    )


def med(values: list[float]) -> str:
    return f"{statistics.median(values):,.1f}" if values else "-"


def top(values: list[float]) -> str:
    return f"{max(values):,.1f}" if values else "-"


def stats(values: list[float]) -> list[str]:
    if not values:
        return ["-"] * 5
    return [
        f"**{percentile(values, 50):.1f}**",
        f"**{percentile(values, 95):.1f}**",
        f"{statistics.mean(values):.1f}",
        f"{max(values):.1f}",
        str(len(values)),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--rate", type=int, default=200, help="records per second")
    parser.add_argument("--batch", type=int, default=10, help="records per request")
    parser.add_argument("--devices", type=int, default=5000)
    parser.add_argument("--trigger", default="1s")
    parser.add_argument("--rotate-seconds", type=float, default=1.0)
    parser.add_argument("--warmup-seconds", type=float, default=60)
    parser.add_argument("--throughput-seconds", type=float, default=15)
    parser.add_argument("--connections", type=int, default=16, help="per client process")
    parser.add_argument("--clients", type=int, default=3, help="client processes")
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--results", default=str(BENCH_DIR / "RESULTS.md"))
    parser.add_argument("--no-results", action="store_true", help="print only")
    args = parser.parse_args(argv)

    date = report.date_utc()
    load_before = report.load_text()
    work = BENCH_DIR / "out" / "runs" / f"inlet-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    sections = []

    # 1. throughput of the inlet on one core
    tput: list[list[object]] = []
    if args.throughput_seconds > 0:
        config = project(work / "tput", 1.0)
        inlet, url = start_inlet(config, work / "tput" / "inlet.err", core=0)
        try:
            for batch in (1, 10, 100):
                rps, share, per_cpu = throughput(
                    url, inlet.pid, batch, args.connections, args.throughput_seconds, args.clients
                )
                tput.append(
                    [
                        batch,
                        f"{rps / batch:,.0f}",
                        f"{rps:,.0f}",
                        f"{share * 100:.0f} %",
                        f"**{per_cpu:,.0f}**",
                    ]
                )
                print(
                    f"throughput: {batch} record(s)/request: {rps:,.0f} records/s, inlet CPU "
                    f"{share * 100:.0f} %, {per_cpu:,.0f} records per inlet CPU-second",
                    flush=True,
                )
        finally:
            inlet.send_signal(signal.SIGTERM)
            inlet.wait(60)
        shutil.rmtree(work / "tput", ignore_errors=True)
        sections.append(
            "Inlet throughput (`inlet serve` pinned to core 0 with `taskset`; "
            f"{args.clients} httpx client processes pinned to core 1, {args.connections} "
            f"concurrent requests each, {args.throughput_seconds:g} s per size; every 200 "
            "waited for the fsync). The clients, not the inlet, set the achieved rate on this "
            "machine, so the last column, records acknowledged per CPU-second the inlet "
            "process used (`/proc/<pid>/stat`), is what one core sustains:\n\n"
            + report.table(
                [
                    "records/request",
                    "requests/s",
                    "records/s acknowledged",
                    "inlet CPU",
                    "records per inlet CPU-second",
                ],
                tput,
            )
        )

    # 2. latency under a steady load
    if not args.skip_latency:
        config = project(work / "lat", args.rotate_seconds)
        lake = work / "lat" / "lake"
        inlet, url = start_inlet(config, work / "lat" / "inlet.err", core=None)
        stream_err = (work / "lat" / "stream.err").open("w")
        stream = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "lakeport",
                "sources",
                "stream",
                "landing",
                "--trigger",
                args.trigger,
                "--profiles",
                "--config",
                str(config),
            ],
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=stream_err,
            start_new_session=True,
        )
        watch = Watch(lake)
        try:
            out = asyncio.run(steady(url, watch, args.rate, args.batch, args.minutes, args.devices))
        finally:
            inlet.send_signal(signal.SIGTERM)
            inlet.wait(60)
            os.killpg(stream.pid, signal.SIGINT)
            try:
                stream.wait(120)
            except subprocess.TimeoutExpired:
                os.killpg(stream.pid, signal.SIGKILL)
        warm_until = min(watch.acked.values(), default=0) + args.warmup_seconds
        counted = [p for p, t in watch.acked.items() if t >= warm_until]
        rows = [watch.rows[p] - watch.acked[p] for p in counted if p in watch.rows]
        prof = [watch.profile[p] - watch.acked[p] for p in counted if p in watch.profile]
        missing = [p for p in counted if p not in watch.profile]
        last = max(watch.profile, key=lambda p: watch.profile[p], default=None)
        check = "not run"
        if last is not None:
            got = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "lakeport",
                    "profiles",
                    "get",
                    "--namespace",
                    "personId",
                    "--id",
                    last,
                    "--json",
                    "--config",
                    str(config),
                ],
                cwd=REPO,
                capture_output=True,
                text=True,
                check=False,
            )
            ok = got.returncode == 0 and json.loads(got.stdout)["attributes"]["id"] == last
            check = f"`lakeport profiles get --namespace personId --id {last}`: {'found' if ok else 'NOT found: ' + got.stderr[-300:]}"
        builds = [
            float(line.rsplit(" in ", 1)[1].split(" s", 1)[0])
            for line in (work / "lat" / "stream.err").read_text().splitlines()
            if "lakeport.sources.follow" in line and " profiles {" in line
        ]
        epochs = len(builds)
        ingests, sizes = micro_batches(lake)
        print(f"rows: {stats(rows)}; profile: {stats(prof)}; {out}; missing {len(missing)}")
        sections.append(
            f"Latency under load: {args.rate} records/s as {args.batch}-record requests for "
            f"{args.minutes:g} min ({out['sent']:,} sent, {out['acked']:,} acknowledged, "
            f"{out['failed']} failed; achieved {out['acked'] / out['elapsed']:.0f} records/s; "
            f"acknowledgement p50 {out['ack_p50'] * 1000:.0f} ms, p95 {out['ack_p95'] * 1000:.0f} ms), "
            f"{args.devices:,} device profiles, one probe per second; `sources stream landing "
            f"--trigger {args.trigger} --profiles`, inlet `rotate_seconds: {args.rotate_seconds:g}`; "
            f"{epochs} micro-batches built profiles; probes of the first {args.warmup_seconds:g} s "
            f"not counted; {len(missing)} counted probe(s) never reached the profile.\n\n"
            + report.table(
                ["acknowledged ->", "p50 s", "p95 s", "mean s", "max s", "n"],
                [["rows readable in the dataset", *stats(rows)], ["profile visible", *stats(prof)]],
            )
            + f"\n\nPer micro-batch: the batch (claim, read, map, validate, commit, catalog, "
            f"event) median {med(ingests)} s (max {top(ingests)}), {med(sizes)} records "
            f"(max {top(sizes)}); the profile build that followed it median {med(builds)} s "
            f"(max {top(builds)}). Check of the last probe: {check}."
        )
    shutil.rmtree(work, ignore_errors=True)
    if args.no_results:
        return 0
    m = report.machine()
    text = (
        f"""## {date}: inlet_latency

- date (`date -u` at start): {date}
- command: `cd {REPO} && spark-slot .venv/bin/python bench/inlet_latency.py {" ".join(argv if argv is not None else sys.argv[1:])}`
- machine: {m["nproc"]} CPUs ({m["cpu"]}), {m["memory"]}, kernel {m["kernel"]}
- software: Python {m["python"]}, pyspark {m["pyspark"]}, delta-spark {m["delta-spark"]}; {m["java"]}
- load average (1/5/15 min) before: {load_before}; after: {report.load_text()}; other Spark JVMs at the end: {report.other_spark_jvms()}

"""
        + "\n\n".join(sections)
        + "\n"
    )
    report.append_section(Path(args.results), text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
