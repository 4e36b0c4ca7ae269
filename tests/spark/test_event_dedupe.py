"""Event datasets are deduplicated on _id: an overlapping file under a new batch id adds only the
events the dataset does not hold, and says how many it skipped."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakeport.api import Lakeport

pytestmark = pytest.mark.spark


def _lines(sample_dir: Path, first: int, last: int) -> list[str]:
    """Lines ``first``..``last`` (1-based) of the sample purchases: all good before line 100."""
    return (sample_dir / "purchases.jsonl").read_text().splitlines()[first - 1 : last]


def _write(path: Path, lines: list[str]) -> str:
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_overlapping_events_land_once_and_are_counted(spark, cfg, sample_dir, tmp_path):
    lp = Lakeport(spark, cfg)
    one = lp.ingest(
        "purchases", [_write(tmp_path / "a.jsonl", _lines(sample_dir, 1, 20))], batch_id="p1"
    )
    assert (one.metrics.output_records, one.metrics.duplicate_records) == (20, 0)
    overlap = _lines(sample_dir, 11, 30) + _lines(sample_dir, 30, 30)  # 10 known, 1 repeated
    two = lp.ingest("purchases", [_write(tmp_path / "b.jsonl", overlap)], batch_id="p2")
    assert (two.metrics.input_records, two.metrics.output_records, two.metrics.failed_records) == (
        21,
        21,
        0,
    )
    assert two.metrics.duplicate_records == 11
    assert two.to_json()["metrics"]["duplicateRecordCount"] == 11
    table = lp.table("purchases")
    assert table.count() == table.select("_id").distinct().count() == 30
    assert table.where("_batch_id = 'p2'").count() == 10  # the ten new ids

    # a replay takes over the rows of the batch it replaces and drops the ones it does not resend
    three = lp.ingest(
        "purchases",
        [_write(tmp_path / "c.jsonl", _lines(sample_dir, 21, 25))],
        batch_id="p3",
        replace=["p2"],
    )
    assert (three.metrics.output_records, three.metrics.duplicate_records) == (5, 0)
    ids = sorted(r["_id"] for r in lp.table("purchases").select("_id").collect())
    assert ids == [f"T{n:09d}" for n in range(1, 26)]
    assert lp.batch("p2").status == "replaced"

    # the same batch id again changes nothing
    again = lp.ingest(
        "purchases", [_write(tmp_path / "c.jsonl", _lines(sample_dir, 21, 25))], batch_id="p3"
    )
    assert again.status == "success" and lp.table("purchases").count() == 25


def test_dedupe_false_keeps_every_row(spark, project, sample_dir, tmp_path):
    from lakeport.config import load_config

    path = project / "conf" / "lakeport.yaml"
    path.write_text(path.read_text().replace("  purchases:\n", "  purchases:\n    dedupe: false\n"))
    lp = Lakeport(spark, load_config(path, lake_root=str(tmp_path / "lake")))
    f = _write(tmp_path / "a.jsonl", _lines(sample_dir, 1, 10))
    lp.ingest("purchases", [f], batch_id="d1")
    second = lp.ingest("purchases", [f], batch_id="d2")
    assert second.metrics.duplicate_records is None
    assert "duplicateRecordCount" not in second.to_json()["metrics"]
    assert lp.table("purchases").count() == 20
