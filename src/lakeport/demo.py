"""The demo behind ``make demo``: sample data -> four batches -> profiles, on local Spark.

Batch ids are fixed (``demo-<dataset>``), so running the demo again ingests nothing twice, and
the profile build after a re-run finds no new batch and changes nothing.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from lakeport import sample as sample_data
from lakeport.api import Lakeport
from lakeport.errors import BatchError
from lakeport.lake.clock import from_spark

FEEDS = [
    ("loyalty", "loyalty.jsonl"),
    ("crm", "crm.json"),
    ("products", "products.csv"),
    ("purchases", "purchases.jsonl"),
]


def run(
    config: str | None = None,
    lake: str | None = None,
    out: str = "sample-data",
    as_json: bool = False,
) -> int:
    """Generate the Luma sample feeds, ingest them, print what happened; 0 when all batches succeed."""
    started = time.monotonic()
    lp = Lakeport.open(config, lake=lake)
    cfg = lp.config
    generated = sample_data.generate(out)
    results: list[dict[str, Any]] = []
    status = 0
    for dataset, name in FEEDS:
        try:
            batch = lp.ingest(dataset, [f"{out}/{name}"], batch_id=f"demo-{dataset}")
        except BatchError as exc:
            status = 1
            batch = lp.batch(exc.batch_id or "")
        results.append(batch.to_json())
    purchases = next(r for r in results if r["dataset"] == "purchases")
    errors = lp.errors(purchases["batch_id"])
    failed_rows = [
        (r["line"], r["errors"][0]["code"], r["errors"][0]["field"])
        for r in errors.select("line", "errors").collect()
    ]
    expected = [(line, code, fld) for line, code, fld in sample_data.purchase_bad_lines(1)]
    daniel = _daniel(lp)
    profiles = lp.build_profiles().to_json()
    views: dict[str, Any] = {}
    for policy in cfg.profiles.policies:
        view = lp.profile("loyaltyId", sample_data.DANIEL["loyalty_id"], policy, events=True)
        views[policy] = view.to_json() if view is not None else None
    elapsed = round(time.monotonic() - started, 1)
    if as_json:
        print(
            json.dumps(
                {
                    "batches": results,
                    "failedPurchases": failed_rows,
                    "daniel": daniel,
                    "profiles": profiles,
                    "danielProfiles": views,
                    "seconds": elapsed,
                },
                default=str,
            )
        )
        return status
    w = sys.stdout.write
    w(f"\nlakeport demo: Luma sample data -> Delta lake at {cfg.lake_root}\n\n")
    w(
        f"{'dataset':10s} {'batch':18s} {'status':8s} {'in':>6s} {'landed':>7s} {'failed':>7s}  file\n"
    )
    for r in results:
        m = r["metrics"]
        w(
            f"{r['dataset']:10s} {r['batch_id']:18s} {r['status']:8s} {m['inputRecordCount'] or 0:>6d} "
            f"{m['outputRecordCount'] or 0:>7d} {m['failedRecordCount'] or 0:>7d}  "
            f"{generated['files'][r['dataset']]['path']}\n"
        )
        if r.get("mapping", {}).get("autoMapped"):
            pairs = ", ".join(f"{s!r}->{t}" for t, s in r["mapping"]["autoMapped"].items())
            w(f"{'':10s} auto-mapped: {pairs}\n")
    w(
        f"\npurchases: {len(failed_rows)} records failed, kept in {cfg.lake_root}/system/errors "
        f"(partial ingestion on, threshold 5%):\n"
    )
    for code, n in purchases["errorSummary"].items():
        w(f"  {code:30s} {n}\n")
    match = "match" if sorted(failed_rows) == sorted(expected) else "DO NOT match"
    w(
        f"  these {match} the {len(expected)} documented bad lines of the sample data (lakeport.sample)\n"
    )
    w("\nDaniel, one person in two systems:\n")
    for frag in daniel:
        w(f"  {frag['dataset']:9s} {frag['ids']:32s} {frag['name']:16s} {frag['city']}\n")
    graph = profiles.get("identityGraph", {})
    w(
        f"\nprofiles: identity graph {graph.get('mode')} ({graph.get('reason')}), "
        f"{graph.get('profilesInScope', 'no')} profiles recomputed\n"
    )
    for policy, view in views.items():
        if view is None:
            w(f"  {policy:18s} no profile holds loyaltyId={sample_data.DANIEL['loyalty_id']}\n")
            continue
        attrs = view["attributes"]
        ids = ", ".join(f"{i['namespace']}={i['id']}" for i in view["identities"])
        w(
            f"  {policy:18s} {view['profileId']}  first name {attrs['person']['firstName']!r}, "
            f"city {attrs['homeAddress']['city']!r}, {len(view['events'])} purchase(s)\n"
            f"  {'':18s} identities: {ids}\n"
        )
    w(
        f"\nlook around: lakeport datasets list | lakeport batch errors {purchases['batch_id']} --format table\n"
        f"             lakeport profiles get --namespace loyaltyId --id {sample_data.DANIEL['loyalty_id']} --events\n"
    )
    w(f"done in {elapsed}s\n")
    return status


def _daniel(lp: Lakeport) -> list[dict[str, str]]:
    from pyspark.sql import functions as F

    d = sample_data.DANIEL
    out = []
    loyalty = lp.table("loyalty").where(F.col("loyaltyId") == d["loyalty_id"]).first()
    if loyalty:
        out.append(
            {
                "dataset": "loyalty",
                "ids": f"loyaltyId={loyalty.loyaltyId} crmId={loyalty.crmId}",
                "name": loyalty.person.firstName,
                "city": loyalty.homeAddress.city,
            }
        )
    crm = lp.table("crm").where(F.col("crmId") == d["crm_id"]).first()
    if crm:
        out.append(
            {
                "dataset": "crm",
                "ids": f"crmId={crm.crmId} email={crm.email}",
                "name": crm.person.firstName,
                "city": crm.homeAddress.city,
            }
        )
    buys = lp.table("purchases").where(F.col("loyaltyId") == d["loyalty_id"]).collect()
    for b in buys:
        out.append(
            {
                "dataset": "purchases",
                "ids": f"loyaltyId={b.loyaltyId}",
                "name": b["_id"],
                "city": f"{from_spark(b.timestamp):%Y-%m-%d %H:%M} UTC, "
                f"{b.commerce.priceTotal:.2f} {b.commerce.currency}",
            }
        )
    return out
