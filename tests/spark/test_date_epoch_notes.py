"""Dates from epoch numbers: the DATETIME_EPOCH_UNIT_SUSPECT warning, and what it costs in code.

A date's warning is flagged by its year and its message reads the epoch number once per unit;
before, the message copied the whole epoch-number test a dozen times, and a mapping with two date
fields from JSON (the demo's loyalty feed) generated a whole-stage method past the JVM's 64 KB,
so every batch logged a failed compilation and ran without whole-stage code generation.
"""

from __future__ import annotations

from datetime import date

import pytest
from pyspark.sql import functions as F

from lakeport.config.plan import resolve_mapping
from lakeport.pipeline.mapping import apply_mapping
from lakeport.spec.mapping import MappingSpec
from lakeport.spec.schema import SchemaSpec

SCHEMA = SchemaSpec.model_validate(
    {
        "name": "days",
        "class": "other",
        "fields": {"text_day": {"type": "date"}, "json_day": {"type": "date"}},
    }
)
SUSPECT = "DATETIME_EPOCH_UNIT_SUSPECT"


def _message(value: str, shown: str) -> str:
    return (
        f"value '{value}' as epoch milliseconds is {shown}, outside the years 1971 to 2200; "
        "as epoch seconds it is 2018-07-10T23:05:59Z: declare unit: seconds"
    )


# (case, text_day (a string), json_day (JSON text, read as a variant), the dates landed and
# the fields warned about)
D1970, D2018 = date(1970, 1, 18), date(2018, 7, 10)
CASES = [
    (
        "seconds_sent_as_millis",
        "1531263959",
        "1531263959",
        (D1970, D1970),
        ["text_day", "json_day"],
    ),
    ("millis", "1531263959000", "1531263959000", (D2018, D2018), []),
    ("iso_dates", "2018-07-10", '"2018-07-10"', (D2018, D2018), []),
    # a JSON string of digits is text, and 9 or more digits are epoch milliseconds
    ("json_string_of_digits", "1531263959000", '"1531263959"', (D2018, D1970), ["json_day"]),
]


@pytest.fixture(scope="module")
def days(spark):
    df = spark.createDataFrame(
        [(c, t, j) for c, t, j, _, _ in CASES], "case string, text_day string, j string"
    ).select("case", "text_day", F.parse_json("j").alias("json_day"))
    plan = resolve_mapping(MappingSpec(auto=True), SCHEMA, ["text_day", "json_day"])
    out = apply_mapping(
        df, plan, SCHEMA, lambda p: (F.col(p), df.schema[p].dataType), keep=["case"]
    )
    return {r["case"]: r for r in out.collect()}


@pytest.mark.parametrize(
    ("case", "text", "json", "landed", "warned"), CASES, ids=[c[0] for c in CASES]
)
def test_epoch_dates_and_their_warnings(days, case, text, json, landed, warned):
    row = days[case]
    assert (row["text_day"], row["json_day"]) == landed
    assert [(w.code, w.field) for w in row["_warnings"]] == [(SUSPECT, f) for f in warned]
    assert row["_errors"] == []


def test_the_warning_names_the_instant_and_the_unit(days):
    row = days["seconds_sent_as_millis"]
    assert [(w.field, w.message) for w in row["_warnings"]] == [
        ("text_day", _message("1531263959", "1970-01-18T17:21:03.959Z")),
        ("json_day", _message("1531263959", "1970-01-18T17:21:03.959Z")),
    ]


def test_the_demo_loyalty_mapping_compiles_whole_stage(spark, cfg, sample_dir):
    """Every whole-stage subtree of the loyalty batch's plan compiles (stats -1: it did not)."""
    from lakeport.lake import fs
    from lakeport.lake.records import BatchRecord
    from lakeport.pipeline.frame import mapped_batch
    from lakeport.pipeline.process import effective_settings

    ds = cfg.dataset("loyalty")
    record = BatchRecord("b1", "loyalty", "loading", files=(str(sample_dir / "loyalty.jsonl"),))
    options, _, _ = effective_settings(ds, record)
    frame = mapped_batch(spark, ds, fs.list_files(spark, list(record.files)), options).frame()
    debug = spark._jvm.org.apache.spark.sql.execution.debug.package
    subtrees = debug.codegenStringSeq(frame._jdf.queryExecution().executedPlan())
    sizes = [subtrees.apply(i)._3().maxMethodCodeSize() for i in range(subtrees.size())]
    assert sizes and all(0 < s < 65536 for s in sizes), sizes
