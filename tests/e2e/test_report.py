"""The orchestrator commands of the README, run as written (in-process, one JSON object each), then
``lakeport report`` rendered in headless Chromium (Debian's chromium + chromium-driver, installed
by scripts/install_browser.sh): the charts drew the lake's numbers, nothing was fetched, and the
console stayed clean. Also the progress display (terminal only, never under --json)."""

from __future__ import annotations

import io
import json
import shlex
import shutil
from datetime import datetime
from pathlib import Path

import pytest

from lakeport import cli
from lakeport import sample as sample_data
from lakeport.config import load_config
from tests.conftest import CONFIG

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.spark]

DAY = "2026-11-23"
# The README's cron / Airflow / Dagster examples are these lines (tests/unit/test_cli_help.py
# checks it); the environment gives LAKEPORT_CONFIG and LAKEPORT_LAKE, the cwd holds landing/.
ORCHESTRATOR_COMMANDS = (
    f"lakeport ingest --dataset loyalty --batch-id loyalty-{DAY} landing/loyalty/{DAY}/",
    f"lakeport ingest --dataset crm --batch-id crm-{DAY} landing/crm/{DAY}/",
    f"lakeport ingest --dataset purchases --batch-id purchases-{DAY} landing/purchases/{DAY}/",
    f"lakeport batch status purchases-{DAY} --json",
    "lakeport profiles build --json",
    "lakeport export snapshot --policy timestamp_ordered --target exports --format parquet --json",
    "lakeport report --out report.html --json",
    "lakeport maintain --datasets --json",
)
INGEST_STEPS, PROFILE_STEPS = ORCHESTRATOR_COMMANDS[:4], ORCHESTRATOR_COMMANDS[4:]
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


def run(command: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict]:
    """One CLI command in-process; asserts that stdout holds exactly one JSON object."""
    code = cli.main(shlex.split(command)[1:])
    captured = capsys.readouterr()
    out = captured.out.splitlines()
    assert len(out) == 1, (command, out, captured.err[-3000:])
    obj = json.loads(out[0])
    assert code == 0 or "error" in obj, (command, code, captured.err[-3000:])
    return code, obj


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,2000",
        # offline: any attempt to reach a host fails (and would show in the console)
        "--host-resolver-rules=MAP * ~NOTFOUND",
    ):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    try:
        yield driver
    finally:
        driver.quit()


def open_page(driver, path: Path) -> list[dict]:
    """Load a file, wait for the script, return the console entries of warning level and above."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(path.resolve().as_uri())
    WebDriverWait(driver, 10).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
    )
    return [e for e in driver.get_log("browser") if e["level"] in ("WARNING", "SEVERE")]


def bars(driver, chart: str) -> dict[tuple[str, str], int]:
    rects = driver.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0])).map(function (r) {"
        " var b = r.getBoundingClientRect();"
        " return [r.dataset.category, r.dataset.series, Number(r.dataset.value), b.width, b.height];"
        "});",
        f'#{chart} svg[data-chart="{chart}"] rect.bar',
    )
    assert all(w > 0 and h > 0 for *_, w, h in rects), rects  # laid out, visible
    return {(c, s): v for c, s, v, _, _ in rects}


def expected_graph_sizes(landing: Path) -> dict[tuple[str, str], int]:
    """Profiles per graph size, from the raw feeds with networkx (not from lakeport's graph)."""
    import networkx as nx

    g = nx.Graph()
    for line in (landing / "loyalty" / DAY / "loyalty.jsonl").read_text().splitlines():
        r = json.loads(line)
        g.add_edge(("loyaltyId", r["loyalty_id"]), ("crmId", r["crm_id"]))
    for r in json.loads((landing / "crm" / DAY / "crm.json").read_text()):
        g.add_edge(("crmId", r["customerId"]), ("email", r["email"].strip().lower()))
    bad = {line for line, _, _ in sample_data.purchase_bad_lines(1)}
    purchases = (landing / "purchases" / DAY / "purchases.jsonl").read_text().splitlines()
    for n, line in enumerate(purchases, start=1):
        if n not in bad:  # purchases carry one identity: a node, no link
            g.add_node(("loyaltyId", json.loads(line)["loyalty_id"]))
    sizes: dict[tuple[str, str], int] = {}
    for component in nx.connected_components(g):
        key = (str(len(component)), "profiles")
        sizes[key] = sizes.get(key, 0) + 1
    return sizes


def empty_text(driver, chart: str) -> str:
    return driver.execute_script(
        "var p = document.querySelector(arguments[0]); return p ? p.textContent : null;",
        f"#{chart} p.empty",
    )


def test_orchestrator_commands_then_the_report_in_chromium(
    spark, sample_dir, tmp_path, monkeypatch, capsys, browser
):
    for feed, name in (("loyalty", "loyalty.jsonl"), ("crm", "crm.json")):
        (tmp_path / "landing" / feed / DAY).mkdir(parents=True)
        shutil.copy(sample_dir / name, tmp_path / "landing" / feed / DAY / name)
    (tmp_path / "landing" / "purchases" / DAY).mkdir(parents=True)
    shutil.copy(sample_dir / "purchases.jsonl", tmp_path / "landing" / "purchases" / DAY)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LAKEPORT_CONFIG", str(CONFIG))
    monkeypatch.setenv("LAKEPORT_LAKE", str(tmp_path / "lake"))

    results = {}
    for command in INGEST_STEPS:
        code, results[command] = run(command, capsys)
        assert code == 0, (command, results[command])
    purchases = results[ORCHESTRATOR_COMMANDS[3]]
    assert (purchases["status"], purchases["metrics"]["outputRecordCount"]) == ("success", 988)
    assert purchases["errorSummary"] == {
        "BELOW_MINIMUM": 1,
        "CONVERSION_INVALID_DATETIME": 5,
        "PARSE_MALFORMED_JSON": 3,
        "REQUIRED_MISSING": 3,
    }

    # one failed batch: exit 1 and still one JSON object (its summary)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"loyalty_id": "L0000001"}\n{"loyalty_id": "nope"}\nnot json\n')
    code, failed = run(f"lakeport ingest --dataset loyalty --batch-id bad-1 {bad}", capsys)
    assert (code, failed["status"], failed["error"]["code"]) == (1, "failed", "BATCH_ROW_ERRORS")

    code, summary = run("lakeport report --out report.html --json", capsys)
    assert code == 0
    assert summary == {
        "out": "report.html",
        "lake": str(tmp_path / "lake"),
        "batches": 4,
        "byStatus": {"success": 3, "failed": 1},
        "datasets": {name: 0 for name in load_config(CONFIG).datasets}
        | {"loyalty": 1000, "crm": 1000, "purchases": 988},
        "errorCodes": {
            "CONVERSION_INVALID_DATETIME": 5,
            "PARSE_MALFORMED_JSON": 4,
            "REQUIRED_MISSING": 3,
            "BELOW_MINIMUM": 1,
            "PATTERN_MISMATCH": 1,
        },
        "profilesBuilt": False,
        "profilesPerPolicy": {},
    }

    page = tmp_path / "report.html"
    text = page.read_text()
    assert "<link" not in text and " src=" not in text and "@import" not in text
    assert "no profiles built yet" in text

    problems = open_page(browser, page)
    assert problems == []
    assert browser.execute_script("return document.body.dataset.rendered") == "true"
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0

    # batches over time: one bar per (hour, status) the four batches fall in
    hours = {}
    for batch_id in (f"loyalty-{DAY}", f"crm-{DAY}", f"purchases-{DAY}", "bad-1"):
        code, b = run(f"lakeport batch status {batch_id} --json", capsys)
        label = datetime.fromisoformat(b["created_at"].rstrip("Z")).strftime("%Y-%m-%d %H:00")
        hours[(label, b["status"])] = hours.get((label, b["status"]), 0) + 1
    assert bars(browser, "chart-batches") == hours
    assert bars(browser, "chart-records") == {
        ("crm", "landed"): 1000,
        ("loyalty", "landed"): 1000,
        ("loyalty", "failed"): 2,
        ("purchases", "landed"): 988,
        ("purchases", "failed"): 12,
    }
    assert bars(browser, "chart-errors") == {
        (code, "records"): n for code, n in summary["errorCodes"].items()
    }
    assert bars(browser, "chart-rows") == {
        ("loyalty", "rows"): 1000,
        ("crm", "rows"): 1000,
        ("purchases", "rows"): 988,
    }
    assert bars(browser, "chart-profiles") == {} == bars(browser, "chart-graph")
    assert empty_text(browser, "chart-graph") == "no profiles built yet (lakeport profiles build)"
    assert empty_text(browser, "chart-profiles") == empty_text(browser, "chart-graph")
    assert (
        browser.execute_script("return document.getElementById('kpi-records-landed').textContent")
        == "2,988"
    )

    # the profiles arrive: build, export, report again
    for command in PROFILE_STEPS:
        code, results[command] = run(command, capsys)
        assert code == 0, (command, results[command])
    exported = results[PROFILE_STEPS[1]]
    assert (exported["status"], exported["rowCount"]) == ("exported", 1000)
    # the relative --target is relative to the working directory, as files are
    out = tmp_path / "exports" / "timestamp_ordered" / f"exportTime={exported['exportTime']}"
    assert exported["path"] == f"file:{out}"
    report = results[PROFILE_STEPS[2]]
    assert (report["profilesBuilt"], report["profilesPerPolicy"]) == (
        True,
        {"loyalty_first": 1000, "timestamp_ordered": 1000},
    )
    assert open_page(browser, page) == []
    assert bars(browser, "chart-profiles") == {
        ("loyalty_first", "profiles"): 1000,
        ("timestamp_ordered", "profiles"): 1000,
    }
    assert bars(browser, "chart-graph") == expected_graph_sizes(tmp_path / "landing")
    assert empty_text(browser, "chart-graph") is None
    # the weekly compaction: a lake of a few batches holds no table of 50 small files yet
    assert results[PROFILE_STEPS[3]] == {"compacted": [], "skipped": {}}


def test_the_console_check_sees_script_errors(browser, tmp_path):
    """The harness itself: a page whose script throws, or fetches from the network, is caught."""
    page = tmp_path / "broken.html"
    page.write_text(
        "<!DOCTYPE html><html><body><img src='https://cdn.example.com/x.png'>"
        "<script>undefinedFunction();</script></body></html>"
    )
    messages = " ".join(e["message"] for e in open_page(browser, page))
    assert "undefinedFunction is not defined" in messages
    assert "cdn.example.com" in messages


def test_progress_draws_stages_on_a_terminal_only(spark):
    from lakeport.cli import progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    slow = spark.range(0, 4, numPartitions=4).selectExpr(
        "reflect('java.lang.Thread', 'sleep', cast(400 as bigint)) as s"
    )
    term = Terminal()
    with progress.progress(
        progress.wanted(cli.build_parser().parse_args(["report"]), term), term, 0.1
    ) as poller:
        assert poller is not None
        slow.collect()
    drawn = term.getvalue()
    assert poller.updates >= 1 and "[lakeport] stage " in drawn and "/4 tasks" in drawn, drawn
    assert drawn.endswith("\r")  # the line is cleared at the end

    # --json, or a pipe: no poller, nothing written
    as_json = cli.build_parser().parse_args(["report", "--json"])
    assert progress.wanted(as_json, Terminal()) is False
    assert progress.wanted(cli.build_parser().parse_args(["report"]), io.StringIO()) is False
    with progress.progress(False) as none:
        assert none is None
