"""`make demo` runs lakeport.demo: every feed lands and the failures are the documented ones."""

from __future__ import annotations

import json

import pytest

from lakeport import demo
from lakeport import sample as sample_data
from tests.conftest import CONFIG

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def test_demo_ingests_the_four_feeds_and_reports_the_documented_failures(spark, tmp_path, capsys):
    assert (
        demo.run(
            config=str(CONFIG),
            lake=str(tmp_path / "lake"),
            out=str(tmp_path / "sample"),
            as_json=True,
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    counts = {
        b["dataset"]: (
            b["status"],
            b["metrics"]["outputRecordCount"],
            b["metrics"]["failedRecordCount"],
        )
        for b in out["batches"]
    }
    assert counts == {
        "loyalty": ("success", 1000, 0),
        "crm": ("success", 1000, 0),
        "products": ("success", 100, 0),
        "purchases": ("success", 988, 12),
    }
    assert sorted(map(tuple, out["failedPurchases"])) == sample_data.purchase_bad_lines(1)
    assert [(d["dataset"], d["name"]) for d in out["daniel"]] == [
        ("loyalty", "Daniel"),
        ("crm", "Danny"),
        ("purchases", "T000000042"),
    ]
    # issue 5's story: one profile holds both systems' ids; the policy decides the name and city
    views = out["danielProfiles"]
    loyalty_first, newest = views["loyalty_first"], views["timestamp_ordered"]
    assert loyalty_first["profileId"] == newest["profileId"]
    assert newest["identities"] == [
        {"namespace": "crmId", "id": "C0000042"},
        {"namespace": "email", "id": "danny.hartley@example.com"},
        {"namespace": "loyaltyId", "id": "L0000042"},
    ]
    assert (
        newest["attributes"]["person"]["firstName"],
        newest["attributes"]["homeAddress"]["city"],
    ) == ("Danny", "Portland")
    assert (
        loyalty_first["attributes"]["person"]["firstName"],
        loyalty_first["attributes"]["homeAddress"]["city"],
    ) == ("Daniel", "New York City")
    assert [e["_id"] for e in newest["events"]] == ["T000000042"]
    assert out["profiles"]["identityGraph"]["mode"] == "full"
    # a second run ingests nothing twice (fixed batch ids)
    assert (
        demo.run(
            config=str(CONFIG),
            lake=str(tmp_path / "lake"),
            out=str(tmp_path / "sample"),
            as_json=True,
        )
        == 0
    )
    again = json.loads(capsys.readouterr().out)
    assert [b["metrics"] for b in again["batches"]] == [b["metrics"] for b in out["batches"]]
    assert again["profiles"]["identityGraph"]["mode"] == "unchanged"
    assert again["danielProfiles"] == out["danielProfiles"]
    rows = (
        spark.read.format("delta").load(str(tmp_path / "lake" / "datasets" / "purchases")).count()
    )
    assert rows == 988
