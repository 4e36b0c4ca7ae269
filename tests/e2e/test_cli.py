"""The CLI as users and orchestrators run it: a subprocess, a temporary lake, Delta read back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from tests.conftest import CONFIG, REPO, assert_frames_equal

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def run_cli(
    *args: str, cwd: Path = REPO, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lakeport", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **(env or {})},
    )


def _utc(text: str) -> datetime:
    return (
        datetime.fromisoformat(text.replace("Z", "+00:00"))
        .astimezone(timezone.utc)
        .replace(tzinfo=None)
    )


def expected_loyalty(path: Path) -> list[tuple]:
    """The loyalty feed mapped by hand, independently of lakeport's mapping engine."""
    out = []
    for line in path.read_text().splitlines():
        r = json.loads(line)
        a = r["address"]
        out.append(
            (
                r["loyalty_id"],
                r["crm_id"],
                (
                    r["first_name"],
                    r["last_name"],
                    date.fromisoformat(r["birth_date"]),
                    r["gender"].lower(),
                ),
                (a["city"], a["state"], a["country"], a["zip"]),
                (r["points"], r["tier"], date.fromisoformat(r["join_date"])),
                _utc(r["updated_at"]),
            )
        )
    return out


def test_ingest_subprocess_then_read_delta_back(spark, sample_dir, tmp_path):

    from lakeport.config import load_config
    from lakeport.transforms.types import to_struct_type

    lake = tmp_path / "lake"
    proc = run_cli(
        "ingest",
        "--config",
        str(CONFIG),
        "--lake",
        str(lake),
        "--dataset",
        "loyalty",
        "--batch-id",
        "e2e-1",
        str(sample_dir / "loyalty.jsonl"),
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1, proc.stdout  # exactly one JSON object on stdout
    summary = json.loads(lines[0])
    assert summary["batch_id"] == "e2e-1" and summary["status"] == "success"
    assert summary["metrics"]["inputRecordCount"] == summary["metrics"]["outputRecordCount"] == 1000
    assert "Traceback" not in proc.stderr

    schema = to_struct_type(load_config(CONFIG).dataset("loyalty").schema_spec)
    actual = (
        spark.read.format("delta").load(str(lake / "datasets" / "loyalty")).select(*schema.names)
    )
    assert_frames_equal(
        actual, spark.createDataFrame(expected_loyalty(sample_dir / "loyalty.jsonl"), schema)
    )

    # the same batch id again: success, nothing new
    again = run_cli(
        "ingest",
        "--config",
        str(CONFIG),
        "--lake",
        str(lake),
        "--dataset",
        "loyalty",
        "--batch-id",
        "e2e-1",
        str(sample_dir / "loyalty.jsonl"),
    )
    assert again.returncode == 0, again.stderr
    assert spark.read.format("delta").load(str(lake / "datasets" / "loyalty")).count() == 1000

    listed = run_cli("datasets", "list", "--json", "--config", str(CONFIG), "--lake", str(lake))
    assert listed.returncode == 0, listed.stderr
    loyalty = next(d for d in json.loads(listed.stdout)["datasets"] if d["name"] == "loyalty")
    assert (loyalty["rows"], loyalty["version"], loyalty["lastBatch"]) == (1000, 0, "e2e-1")


def test_failed_batch_exit_code_and_errors_command(sample_dir, tmp_path):
    lake = tmp_path / "lake"
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"loyalty_id": "L0000001"}\n{"loyalty_id": "nope"}\nnot json\n')
    proc = run_cli(
        "ingest",
        "--config",
        str(CONFIG),
        "--lake",
        str(lake),
        "--dataset",
        "loyalty",
        "--batch-id",
        "bad-1",
        str(bad),
    )
    assert proc.returncode == 1
    assert (
        "lakeport: error [BATCH_ROW_ERRORS]: batch bad-1 failed: 2 of 3 records failed"
        in proc.stderr
    )
    assert "Traceback" not in proc.stderr
    assert json.loads(proc.stdout)["status"] == "failed"
    # spark-submit merges stderr into stdout: the batch's JSON is still the last line
    merged = subprocess.run(
        [
            sys.executable,
            "-m",
            "lakeport",
            "ingest",
            "--config",
            str(CONFIG),
            "--lake",
            str(lake),
            "--dataset",
            "loyalty",
            "--batch-id",
            "bad-2",
            str(bad),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=600,
    )
    lines = merged.stdout.strip().splitlines()
    assert merged.returncode == 1
    assert any(line.startswith("lakeport: error [BATCH_ROW_ERRORS]") for line in lines)
    last = json.loads(lines[-1])
    assert (last["batch_id"], last["status"]) == ("bad-2", "failed")
    errors = run_cli("batch", "errors", "bad-1", "--config", str(CONFIG), "--lake", str(lake))
    assert errors.returncode == 0, errors.stderr
    rows = [json.loads(x) for x in errors.stdout.splitlines()]
    assert [(r["line"], [e["code"] for e in r["errors"]], r["raw"]) for r in rows] == [
        (2, ["PATTERN_MISMATCH"], '{"loyalty_id": "nope"}'),
        (3, ["PARSE_MALFORMED_JSON"], "not json"),
    ]


def test_validate_broken_config_exits_2_with_one_line_per_problem(project):
    cfg = project / "conf" / "lakeport.yaml"
    text = (
        cfg.read_text()
        .replace("format: csv", "format: xml")
        .replace("  purchases:", "  purchases:\n    colour: red")
    )
    cfg.write_text(text)
    proc = run_cli("validate", "--config", str(cfg))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert lines == [
        f"{cfg}: datasets.products.format: 'xml' is not allowed; use one of 'json', 'csv', 'parquet' or 'aam'",
        f"{cfg}: datasets.purchases.colour: unknown key; allowed keys: allow_links, batch_timeout_seconds, dedupe, description, diagnostics, format, "
        "last_updated, mapping, on_invalid, options, partial_ingestion, schema, schema_evolution, table_properties",
    ]


def test_spark_submit_local_mode_with_dist_zip(sample_dir, tmp_path):
    from lakeport.jars import local_jars

    subprocess.run(
        [sys.executable, "scripts/build_dist.py"], cwd=REPO, check=True, capture_output=True
    )
    dist = REPO / "dist" / "lakeport.zip"
    with zipfile.ZipFile(dist) as zf:
        assert "lakeport/cli/app.py" in zf.namelist()
        assert not any(name.startswith("jobs/") for name in zf.namelist())
    lake = tmp_path / "lake"
    submit = Path(sys.executable).parent / "spark-submit"
    proc = subprocess.run(
        [
            str(submit),
            "--master",
            "local[2]",
            "--py-files",
            str(dist),
            "--jars",
            ",".join(local_jars()),
            "--conf",
            "spark.ui.enabled=false",
            str(REPO / "jobs" / "ingest_batch.py"),
            "--config",
            str(CONFIG),
            "--lake",
            str(lake),
            "--dataset",
            "products",
            str(sample_dir / "products.csv"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYSPARK_PYTHON": sys.executable},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["status"] == "success"
    assert summary["metrics"]["outputRecordCount"] == 100
    assert (lake / "datasets" / "products" / "_delta_log").is_dir()


def test_batch_lifecycle_through_the_cli(sample_dir, tmp_path):
    base = ("--config", str(CONFIG), "--lake", str(tmp_path / "lake"))
    created = run_cli(
        "batch", "create", "--dataset", "products", "--batch-id", "cli-1", "--json", *base
    )
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["status"] == "loading"
    uploaded = run_cli(
        "batch", "upload", "cli-1", str(sample_dir / "products.csv"), "--json", *base
    )
    assert uploaded.returncode == 0, uploaded.stderr
    done = run_cli("batch", "complete", "cli-1", "--json", *base)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert (
        summary["status"],
        summary["metrics"]["inputRecordCount"],
        summary["metrics"]["outputRecordCount"],
    ) == ("success", 100, 100)
    assert summary["mapping"]["autoMapped"]["productName"] == "Product Name"
    illegal = run_cli("batch", "abort", "cli-1", *base)
    assert illegal.returncode == 2
    assert illegal.stderr.strip().endswith(
        "lakeport: error [BATCH_ILLEGAL_TRANSITION]: batch cli-1 is success; only a loading batch can be aborted"
    )
    preview = run_cli("datasets", "preview", "products", "--limit", "2", "--json", *base)
    assert preview.returncode == 0, preview.stderr
    rows = json.loads(preview.stdout)["rows"]
    assert len(rows) == 2 and all(
        r["_batch_id"] == "cli-1" and r["sku"].startswith("LUMA-") for r in rows
    )
