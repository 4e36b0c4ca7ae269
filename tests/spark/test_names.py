"""Batch ids that would be paths: refused at every entry point, nothing outside staging/<id>/ touched.

A batch id names ``<lake>/staging/<id>/``, which ``batch abort`` deletes. ``../datasets`` once
deleted every dataset; ``.`` deleted every open batch's files; ``../../x`` staged uploads outside
the lake.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from lakeport import cli
from lakeport.api import Lakeport
from lakeport.errors import BatchError, InvalidNameError
from lakeport.lake import fs
from lakeport.lake.catalog import get_batch
from lakeport.lake.layout import Lake
from lakeport.spec.names import check_batch_id
from tests.spark.conftest import ROWS, write_jsonl

pytestmark = pytest.mark.spark

HOSTILE = [
    "../datasets",
    ".",
    "..",
    "../../x",
    "a/b",
    "/tmp/abs",
    "a\nb",
    "a'b",
    'a"b',
    "a b",
    "a\\b",
    "a\x00b",
    "x" * 10_000,
    "",
    " b",
    "é",
]


def _tree(root: Path) -> dict[str, tuple[int, int]]:
    """Every file and directory below ``root``: (size, mtime in ns)."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            p = Path(dirpath, name)
            st = p.lstat()
            out[str(p.relative_to(root))] = (st.st_size if p.is_file() else 0, st.st_mtime_ns)
    return out


@pytest.fixture
def busy_lake(spark, mini, tmp_path):
    """A lake with a landed dataset and an open batch whose file is staged."""
    data = write_jsonl(tmp_path / "people.jsonl", ROWS)
    Lakeport(spark, mini).ingest("people", [data], batch_id="landed").to_json()
    Lakeport(spark, mini).create_batch("people", batch_id="open1").to_json()
    Lakeport(spark, mini).upload("open1", [data]).to_json()
    return mini, data


def _commands(bad: str, data: str, flags: list[str]) -> list[list[str]]:
    return [
        ["batch", "create", "--dataset", "people", "--batch-id", bad, *flags],
        ["batch", "upload", bad, data, *flags],
        ["batch", "complete", bad, *flags],
        ["batch", "abort", bad, *flags],
        ["batch", "status", bad, *flags],
        ["batch", "errors", bad, *flags],
        ["ingest", "--dataset", "people", "--batch-id", bad, data, *flags],
        ["ingest", "--dataset", "people", "--batch-id", "x", "--replace", bad, *flags, "--", data],
        [
            "batch",
            "create",
            "--dataset",
            "people",
            "--batch-id",
            "fresh2",
            "--replace",
            bad,
            *flags,
        ],
    ]


def test_cli_refuses_every_hostile_id_and_changes_nothing(spark, busy_lake, tmp_path, capsys):
    cfg, data = busy_lake
    before = _tree(tmp_path)
    assert "lake/staging/open1/people.jsonl" in before and "lake/datasets/people" in before
    flags = ["--config", str(cfg.path), "--lake", cfg.lake_root, "--json"]
    for bad in HOSTILE:
        for argv in _commands(bad, data, flags):
            capsys.readouterr()
            rc = cli.main(argv)
            out, err = capsys.readouterr()
            assert rc == 2, (argv, out, err)
            assert "lakeport: error [INVALID_NAME]: batch id" in err, (argv, err)
            assert out.strip(), (argv, err)
            assert json.loads(out.strip().splitlines()[-1])["error"]["code"] == "INVALID_NAME"
            assert _tree(tmp_path) == before, argv
    # the open batch's staged file survived: it still completes
    assert Lakeport(spark, cfg).complete("open1").to_json()["status"] == "success"


def test_job_functions_refuse_every_hostile_id(spark, busy_lake, tmp_path):
    cfg, data = busy_lake
    before = _tree(tmp_path)
    calls = [
        lambda b: Lakeport(spark, cfg).create_batch("people", batch_id=b).to_json(),
        lambda b: Lakeport(spark, cfg).create_batch("people", batch_id="ok", replace=[b]).to_json(),
        lambda b: Lakeport(spark, cfg).upload(b, [data]).to_json(),
        lambda b: Lakeport(spark, cfg).complete(b).to_json(),
        lambda b: Lakeport(spark, cfg).abort(b).to_json(),
        lambda b: Lakeport(spark, cfg).errors(b),
        lambda b: Lakeport(spark, cfg).ingest("people", [data], batch_id=b).to_json(),
        lambda b: (
            Lakeport(spark, cfg).ingest("people", [data], batch_id="ok", replace=[b]).to_json()
        ),
        lambda b: Lake(cfg.lake_root).staging_path(b),
    ]
    for bad in [*HOSTILE, "-x", "x" * 129]:
        for call in calls:
            with pytest.raises(InvalidNameError, match="is not allowed: a batch id is 1 to 128"):
                call(bad)
    assert _tree(tmp_path) == before


def test_valid_ids():
    for good in ["b20261123T120501Z-3f9a1c", "landing-e12", "x", "A.b_c-9", "9" * 128]:
        assert check_batch_id(good) == good


def test_delete_refuses_paths_outside_its_owner(spark, tmp_path):
    owner = tmp_path / "staging"
    (owner / "b1").mkdir(parents=True)
    (tmp_path / "datasets").mkdir()
    for outside in [f"{owner}/..", f"{owner}/.", str(owner), f"{owner}/../datasets", str(tmp_path)]:
        with pytest.raises(ValueError, match="refusing to delete"):
            fs.delete(spark, outside, within=str(owner))
    assert (tmp_path / "datasets").is_dir() and owner.is_dir()
    fs.delete(spark, f"{owner}/b1", within=str(owner))
    assert not (owner / "b1").exists()
    assert fs.inside("file:/a/b/c", "file:/a/b")
    assert not fs.inside("file:/a/bc", "file:/a/b")
    assert not fs.inside("s3a://other/a/b/c", "s3a://bucket/a/b")


def test_links_and_fifos_are_refused(spark, mini, tmp_path, project_with_links):
    data = Path(write_jsonl(tmp_path / "people.jsonl", ROWS))
    link = tmp_path / "link.jsonl"
    link.symlink_to(data)
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    Lakeport(spark, mini).create_batch("people", batch_id="up1").to_json()
    for bad, kind in ((link, "symbolic link"), (fifo, "FIFO")):
        with pytest.raises(BatchError, match=f"is a {kind}") as info:
            Lakeport(spark, mini).upload("up1", [str(bad)]).to_json()
        assert info.value.code == "BATCH_FILE_NOT_REGULAR"
    assert get_batch(spark, Lake(mini.lake_root), "up1").files == ()
    with pytest.raises(BatchError) as info:
        Lakeport(spark, mini).ingest("people", [str(fifo)], batch_id="in1").to_json()
    assert info.value.code == "BATCH_FILE_NOT_REGULAR"
    row = get_batch(spark, Lake(mini.lake_root), "in1")
    assert (row.status, row.error_code) == ("failed", "BATCH_FILE_NOT_REGULAR")
    # a dataset that allows links reads the target
    allowed = project_with_links
    Lakeport(spark, allowed).create_batch("people", batch_id="up2").to_json()
    summary = Lakeport(spark, allowed).upload("up2", [str(link)]).to_json()
    assert summary["status"] == "loading"
    assert Lakeport(spark, allowed).complete("up2").to_json()["metrics"]["outputRecordCount"] == 3


@pytest.fixture
def project_with_links(mini):
    from lakeport.config import load_config

    path = Path(mini.path)
    text = path.read_text().replace(
        "people:       {schema: people, mapping: people, format: json}",
        "people:       {schema: people, mapping: people, format: json, allow_links: true}",
    )
    linked = path.with_name("linked.yaml")
    linked.write_text(text)
    return load_config(linked, lake_root=mini.lake_root + "-links")
