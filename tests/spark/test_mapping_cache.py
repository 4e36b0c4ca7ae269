"""A mapping is compiled once per shape, not once per batch, and a changed mapping is never
served a stale compilation; the error table's re-read parses only the flagged lines."""

from __future__ import annotations

import pytest
from pyspark.sql import functions as F

from lakeport.api import Lakeport
from lakeport.config import load_config
from lakeport.lake import fs
from lakeport.lake.layout import Lake
from lakeport.pipeline import frame as frame_module
from lakeport.pipeline.frame import mapped_batch
from lakeport.pipeline.observe import observed
from tests.conftest import assert_frames_equal
from tests.spark.conftest import EXPECTED, EXPECTED_DDL, ROWS, write_jsonl


@pytest.fixture
def compilations(monkeypatch):
    """Counts compile_mapping calls; starts with an empty cache."""
    calls: list[str] = []
    real = frame_module.compile_mapping

    def counting(plan, *args, **kwargs):
        calls.append(",".join(sorted(plan.entries)))
        return real(plan, *args, **kwargs)

    monkeypatch.setattr(frame_module, "compile_mapping", counting)
    monkeypatch.setattr(frame_module, "_COMPILED", {})
    return calls


def _people(spark, cfg, name="people"):
    cols = [c.split()[0] for c in EXPECTED_DDL.split(", ")]
    path = Lake(cfg.lake_root).dataset_path(name)
    return spark.read.format("delta").load(path).select(*cols)


def test_batches_of_one_shape_compile_once(spark, mini, tmp_path, compilations):
    first = write_jsonl(tmp_path / "a.jsonl", ROWS)
    second = write_jsonl(tmp_path / "b.jsonl", [dict(r, id=r["id"] + "x") for r in ROWS])
    lp = Lakeport(spark, mini)
    assert lp.ingest("people", [first]).to_json()["status"] == "success"
    assert lp.ingest("people", [second]).to_json()["status"] == "success"
    assert len(compilations) == 1
    expected = EXPECTED + [(r[0] + "x", *r[1:]) for r in EXPECTED]
    assert_frames_equal(_people(spark, mini), spark.createDataFrame(expected, EXPECTED_DDL))


def test_a_changed_mapping_compiles_again(spark, mini, tmp_path, compilations):
    path = write_jsonl(tmp_path / "a.jsonl", ROWS)
    conf = tmp_path / "conf" / "mappings" / "people.yaml"
    original = conf.read_text()
    for case, lake in (("upper", "lake1"), ("lower", "lake2")):
        # the same dataset, files and source fields (the files are read with the same schema):
        # only the expression differs
        conf.write_text(original.replace("source: first_name", f'expression: "{case}(first_name)"'))
        cfg = load_config(tmp_path / "conf" / "lakeport.yaml", lake_root=str(tmp_path / lake))
        assert Lakeport(spark, cfg).ingest("people", [path]).to_json()["status"] == "success"
        first = {"upper": str.upper, "lower": str.lower}[case]
        rows = [(r[0], (r[1][0] and first(r[1][0]),), *r[2:]) for r in EXPECTED]
        assert_frames_equal(_people(spark, cfg), spark.createDataFrame(rows, EXPECTED_DDL))
    assert len(compilations) == 2


def test_the_flagged_reread_parses_only_the_flagged_lines(spark, mini, tmp_path, compilations):
    rows = [*ROWS, {"id": None, "first_name": "Cy"}, "", {"id": "p5", "age": -1}]
    path = write_jsonl(tmp_path / "bad.jsonl", rows)
    ds = mini.dataset("people_part")
    batch = mapped_batch(spark, ds, fs.list_files(spark, [path]), ds.config.options, "b1")
    watched, metrics = observed(batch.frame(), keys=True)
    watched.write.format("noop").mode("overwrite").save()
    keys = metrics.keys(spark)
    assert keys is not None
    again = batch.frame(keys)
    assert sorted(r["_raw"] for r in again.select("_raw").collect()) == [
        '{"id": "p5", "age": -1}',
        '{"id": null, "first_name": "Cy"}',
    ]
    assert again.where(F.size("_errors") > 0).count() == 2
    assert len(compilations) == 1
    # the filter sits below the parse: the plan parses after the semi-join, not before it
    plan = again._jdf.queryExecution().optimizedPlan().toString()
    assert plan.index("from_json") < plan.index("LeftSemi")
