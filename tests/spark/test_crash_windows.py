"""A batch killed at each of its commit points, then run again with the same batch id: the re-run
completes what the killed run left (rows once, status success, exactly one success event).

The kill is simulated in-process: lakeport.lake.hooks._exit raises a BaseException that no
``except Exception`` catches, at the step LAKEPORT_TEST_CRASH_AT names (the e2e tests kill real
processes the same way through the same hook)."""

from __future__ import annotations

import pytest

from lakeport.api import Lakeport
from lakeport.lake import hooks
from lakeport.lake.layout import Lake
from tests.spark.conftest import ROWS, write_jsonl

pytestmark = pytest.mark.spark


class Killed(BaseException):
    pass


def _killed(code: int) -> None:
    raise Killed(code)


@pytest.mark.parametrize(
    "step", ["batch-processing", "batch-errors", "batch-committed", "batch-recorded"]
)
def test_rerun_after_a_kill_completes_the_batch(spark, mini, tmp_path, monkeypatch, step):
    lp = Lakeport(spark, mini)
    f = write_jsonl(tmp_path / "p.jsonl", [*ROWS, "not json"])  # 3 good rows, 1 failed
    monkeypatch.setattr(hooks, "_exit", _killed)
    monkeypatch.setenv(hooks.CRASH_ENV, step)
    with pytest.raises(Killed):
        lp.ingest("people_part", [f], batch_id="k1")
    monkeypatch.delenv(hooks.CRASH_ENV)
    done = lp.ingest("people_part", [f], batch_id="k1")
    assert (done.status, done.metrics.output_records, done.metrics.failed_records) == (
        "success",
        3,
        1,
    )
    assert lp.table("people_part").count() == 3
    assert lp.errors("k1").count() == 1
    events = spark.read.format("delta").load(Lake(mini.lake_root).system_path("events"))
    kinds = sorted(r.event_type for r in events.where("batch_id = 'k1'").collect())
    assert kinds == ["ing_load_success"]
