"""The ingestion report: one self-contained HTML page with charts of what the lake holds.

:func:`collect` runs a handful of aggregations (only small results reach the driver: counts per
day and status, per dataset, per error code, per graph size); :func:`render` turns them into a
page that works offline: no CDN, no external file. The numbers are embedded as JSON and drawn as
inline SVG by a small inline script; every chart also has its numbers in a table underneath.

Charts: batches over time by status, records landed vs failed per dataset, top error codes,
rows per dataset, profiles per merge policy, and the identity-graph size histogram (read from
``<lake>/identity_graph``; "no profiles built yet" when there is none).

Example:
    >>> data = collect(spark, cfg)
    >>> Path("report.html").write_text(render(data))
"""

from __future__ import annotations

import html
import json
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from lakeport.storage import lake as lk

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from lakeport.config import Config

STATUSES = ("success", "failed", "aborted", "processing", "loading")
# graph sizes 1..10 get a bar each; larger graphs are grouped
SIZE_BUCKETS = ((11, 20), (21, 50), (51, 100), (101, None))


def _iso(value: datetime | None) -> str | None:
    return value.replace(tzinfo=timezone.utc).isoformat().replace("+00:00", "Z") if value else None


def _time_unit(first: datetime | None, last: datetime | None) -> str:
    """Bucket width for "batches over time": fine for a short history, coarse for a long one."""
    if first is None or last is None:
        return "day"
    span = last - first
    if span <= timedelta(days=2):
        return "hour"
    if span <= timedelta(days=120):
        return "day"
    if span <= timedelta(days=3 * 365):
        return "week"
    return "month"


def _bucket_label(start: datetime, unit: str) -> str:
    if unit == "hour":
        return start.strftime("%Y-%m-%d %H:00")
    if unit == "month":
        return start.strftime("%Y-%m")
    return start.strftime("%Y-%m-%d")


def _batches(spark: SparkSession, lake: lk.Lake, top: int) -> dict[str, Any]:
    from pyspark.sql import functions as F

    b = lk.batches(spark, lake).cache()
    try:
        span = b.agg(F.min("created_at"), F.max("created_at"), F.count(F.lit(1))).first()
        first, last, total = (span[0], span[1], int(span[2])) if span else (None, None, 0)
        unit = _time_unit(first, last)
        over_time = [
            {
                "start": _iso(r["t"]),
                "label": _bucket_label(r["t"], unit),
                "status": r["status"],
                "batches": int(r["n"]),
            }
            for r in b.groupBy(F.date_trunc(unit, "created_at").alias("t"), "status")
            .agg(F.count(F.lit(1)).alias("n"))
            .orderBy("t", "status")
            .collect()
        ]
        per_dataset = [
            {
                "dataset": r["dataset"],
                "batches": int(r["batches"]),
                "landed": int(r["landed"] or 0),
                "failed": int(r["failed"] or 0),
                "warnings": int(r["warnings"] or 0),
            }
            for r in b.groupBy("dataset")
            .agg(
                F.count(F.lit(1)).alias("batches"),
                F.sum(F.when(F.col("status") == "success", F.col("output_record_count"))).alias(
                    "landed"
                ),
                F.sum("failed_record_count").alias("failed"),
                F.sum("warning_record_count").alias("warnings"),
            )
            .orderBy("dataset")
            .collect()
        ]
        error_codes = [
            {"code": r["key"], "records": int(r["n"])}
            for r in b.select(F.explode("error_summary"))
            .groupBy("key")
            .agg(F.sum("value").alias("n"))
            .orderBy(F.col("n").desc(), "key")
            .limit(top)
            .collect()
        ]
        batch_failures = [
            {"code": r["error_code"], "batches": int(r["n"])}
            for r in b.where(F.col("status") == "failed")
            .groupBy("error_code")
            .agg(F.count(F.lit(1)).alias("n"))
            .orderBy(F.col("n").desc(), "error_code")
            .limit(top)
            .collect()
        ]
        by_status = {
            r["status"]: int(r["n"])
            for r in b.groupBy("status").agg(F.count(F.lit(1)).alias("n")).collect()
        }
    finally:
        b.unpersist()
    return {
        "total": total,
        "byStatus": by_status,
        "timeUnit": unit,
        "overTime": over_time,
        "perDataset": per_dataset,
        "errorCodes": error_codes,
        "batchFailures": batch_failures,
    }


def _policies(spark: SparkSession, lake_root: str) -> list[str]:
    """The merge policies that have a profile table under ``<lake>/profiles/``."""
    from lakeport.storage import fs

    root = f"{lake_root.rstrip('/')}/profiles"
    if not fs.exists(spark, root):
        return []
    jpath, hfs = fs._path(spark, root)
    names = [
        s.getPath().getName()
        for s in hfs.listStatus(jpath)
        if s.isDirectory() and not s.getPath().getName().startswith(("_", "."))
    ]
    return sorted(n for n in names if lk.is_delta(spark, f"{root}/{n}"))


def _size_bucket(size_col: Any) -> Any:
    from pyspark.sql import functions as F

    expr = F.when(size_col <= 10, size_col.cast("string"))
    for low, high in SIZE_BUCKETS:
        label = f"{low}-{high}" if high else f">{low - 1}"
        expr = expr.when(size_col <= high, F.lit(label)) if high else expr.otherwise(F.lit(label))
    return expr


def _bucket_order(label: str) -> int:
    return int(label.lstrip(">").split("-")[0])


def _profiles(spark: SparkSession, lake_root: str) -> dict[str, Any]:
    from pyspark.sql import functions as F

    root = lake_root.rstrip("/")
    per_policy = [
        {"policy": p, "profiles": spark.read.format("delta").load(f"{root}/profiles/{p}").count()}
        for p in _policies(spark, root)
    ]
    graph_path = f"{root}/identity_graph"
    if not lk.is_delta(spark, graph_path):
        return {
            "built": False,
            "perPolicy": per_policy,
            "graphSizes": [],
            "identities": 0,
            "graphs": 0,
        }
    ig: DataFrame = spark.read.format("delta").load(graph_path)
    graphs = ig.groupBy("profile_id").agg(F.max("graph_size").alias("size"))
    totals = graphs.agg(F.count(F.lit(1)), F.sum("size")).first()
    sizes = sorted(
        (
            {"size": r["bucket"], "profiles": int(r["n"])}
            for r in graphs.groupBy(_size_bucket(F.col("size")).alias("bucket"))
            .agg(F.count(F.lit(1)).alias("n"))
            .collect()
        ),
        key=lambda d: _bucket_order(d["size"]),
    )
    return {
        "built": True,
        "perPolicy": per_policy,
        "graphSizes": sizes,
        "graphs": int(totals[0]) if totals else 0,
        "identities": int(totals[1] or 0) if totals else 0,
    }


def collect(spark: SparkSession, cfg: Config, *, top: int = 10) -> dict[str, Any]:
    """The report's numbers: small aggregates only, as plain JSON-able values.

    Args:
        top: how many error codes to list.

    Returns:
        ``{"lake", "generatedAt", "batches": {...}, "datasets": [...], "profiles": {...}}``.
    """
    from lakeport import inspect_lake

    datasets = [
        {
            "dataset": d["name"],
            "rows": d["rows"],
            "version": d["version"],
            "lastBatch": d["lastBatch"],
        }
        for d in inspect_lake.list_datasets(spark, cfg)
    ]
    return {
        "lake": cfg.lake_root,
        "generatedAt": _iso(lk.utc_now().replace(microsecond=0)),
        "batches": _batches(spark, lk.Lake(cfg.lake_root), top),
        "datasets": datasets,
        "profiles": _profiles(spark, cfg.lake_root),
    }


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------

STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2430;background:#f5f6f8}
header{background:#1d2430;color:#fff;padding:18px 28px}header h1{margin:0;font-size:20px}
header p{margin:4px 0 0;color:#b8c0cc}
main{display:grid;grid-template-columns:repeat(auto-fit,minmax(460px,1fr));gap:18px;padding:18px 28px}
section{background:#fff;border-radius:8px;padding:14px 18px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
section h2{font-size:15px;margin:0 0 8px}
.kpis{display:flex;gap:28px;flex-wrap:wrap;margin:0}.kpis div{min-width:90px}
.kpis b{display:block;font-size:22px}
.empty{color:#6b7483;font-style:italic;margin:24px 0}
svg{width:100%;height:auto;overflow:visible}svg text{font-size:11px;fill:#3a4350}
.legend span{display:inline-block;margin-right:14px;font-size:12px}
.legend i{display:inline-block;width:10px;height:10px;margin-right:5px;border-radius:2px}
details{margin-top:6px;font-size:12px}table{border-collapse:collapse;margin-top:4px}
td,th{padding:2px 10px 2px 0;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
"""

# Draws every chart from the embedded JSON. Only DOM APIs: no library, nothing fetched.
SCRIPT = r"""
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  var COLORS = {success: "#2e9e5b", failed: "#d64545", aborted: "#9aa3ae", processing: "#e0a030",
                loading: "#4a7bd0", landed: "#2e9e5b", records: "#d64545", rows: "#4a7bd0",
                profiles: "#7a5bd0"};
  var data = JSON.parse(document.getElementById("report-data").textContent);

  function el(name, attrs, parent, text) {
    var node = document.createElementNS(NS, name);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    if (parent) { parent.appendChild(node); }
    return node;
  }
  function fmt(n) { return Number(n).toLocaleString("en-US"); }

  // spec: {categories: [..], series: [{name, values: [..]}], stacked, horizontal}
  function barChart(id, spec) {
    var host = document.getElementById(id);
    var nonzero = spec.series.some(function (s) { return s.values.some(function (v) { return v > 0; }); });
    if (!spec.categories.length || !nonzero) {
      var p = document.createElement("p");
      p.className = "empty";
      p.textContent = host.getAttribute("data-empty");
      host.appendChild(p);
      return;
    }
    var n = spec.categories.length, k = spec.series.length;
    var totals = spec.categories.map(function (_, i) {
      return spec.stacked ? spec.series.reduce(function (a, s) { return a + s.values[i]; }, 0)
                          : Math.max.apply(null, spec.series.map(function (s) { return s.values[i]; }));
    });
    var max = Math.max.apply(null, totals) || 1;
    var W = 560, left = spec.horizontal ? 190 : 40, right = 60, top = 8;
    var band = spec.horizontal ? (spec.stacked ? 22 : 10 + 14 * k) : 0;
    var H = spec.horizontal ? top + n * band + 8 : 230;
    var bottom = spec.horizontal ? 0 : 60;
    var svg = el("svg", {viewBox: "0 0 " + W + " " + (H + bottom), role: "img",
                         "data-chart": id, "aria-label": host.getAttribute("data-title")}, host);
    var plotW = W - left - right, plotH = H - top;
    if (spec.horizontal) {
      el("line", {x1: left, y1: top, x2: left, y2: H, stroke: "#9aa3ae"}, svg);
    } else {
      el("line", {x1: left, y1: H, x2: W - right, y2: H, stroke: "#9aa3ae"}, svg);
      el("text", {x: left - 6, y: top + 10, "text-anchor": "end"}, svg, fmt(max));
      el("text", {x: left - 6, y: H, "text-anchor": "end"}, svg, "0");
    }
    var slot = spec.horizontal ? band : plotW / n;
    spec.categories.forEach(function (cat, i) {
      var offset = 0;
      spec.series.forEach(function (s, j) {
        var v = s.values[i];
        if (!(v > 0)) { return; }
        var len = (spec.horizontal ? plotW : plotH) * v / max;
        var attrs = {"class": "bar", fill: COLORS[s.name] || "#4a7bd0",
                     "data-series": s.name, "data-category": cat, "data-value": v};
        if (spec.horizontal) {
          var h = spec.stacked ? band - 6 : 12;
          attrs.x = left + offset; attrs.width = Math.max(len, 1); attrs.height = h;
          attrs.y = top + i * band + 3 + (spec.stacked ? 0 : j * 14);
        } else {
          var w = Math.min(Math.max(slot * 0.7 / (spec.stacked ? 1 : k), 1), 48);
          attrs.x = left + i * slot + (slot - w * (spec.stacked ? 1 : k)) / 2 + (spec.stacked ? 0 : j * w);
          attrs.width = w; attrs.height = Math.max(len, 1);
          attrs.y = H - offset - attrs.height;
        }
        var rect = el("rect", attrs, svg);
        el("title", {}, rect, cat + " · " + s.name + ": " + fmt(v));
        if (spec.stacked) { offset += len; }
        if (spec.horizontal && !spec.stacked) {
          el("text", {x: left + Math.max(len, 1) + 4, y: attrs.y + 10}, svg, fmt(v));
        }
      });
      if (spec.horizontal) {
        el("text", {x: left - 6, y: top + i * band + band / 2 + 4, "text-anchor": "end"}, svg, cat);
        if (spec.stacked) { el("text", {x: left + offset + 4, y: top + i * band + band / 2 + 4}, svg, fmt(totals[i])); }
      } else {
        var x = left + i * slot + slot / 2;
        el("text", {x: x, y: H + 12, "text-anchor": "end", transform: "rotate(-35 " + x + " " + (H + 12) + ")"}, svg, cat);
      }
    });
    if (k > 1) {
      var legend = document.createElement("div");
      legend.className = "legend";
      spec.series.forEach(function (s) {
        var item = document.createElement("span"), sw = document.createElement("i");
        sw.style.background = COLORS[s.name] || "#4a7bd0";
        item.appendChild(sw);
        item.appendChild(document.createTextNode(s.name));
        legend.appendChild(item);
      });
      host.appendChild(legend);
    }
  }

  function pivot(rows, catKey, seriesKey, valueKey, order) {
    var cats = [], names = [];
    rows.forEach(function (r) {
      if (cats.indexOf(r[catKey]) < 0) { cats.push(r[catKey]); }
      if (names.indexOf(r[seriesKey]) < 0) { names.push(r[seriesKey]); }
    });
    names.sort(function (a, b) { return order.indexOf(a) - order.indexOf(b); });
    return {categories: cats, series: names.map(function (name) {
      return {name: name, values: cats.map(function (c) {
        var hit = rows.filter(function (r) { return r[catKey] === c && r[seriesKey] === name; })[0];
        return hit ? hit[valueKey] : 0;
      })};
    })};
  }
  function single(rows, catKey, valueKey, name) {
    return {categories: rows.map(function (r) { return String(r[catKey]); }),
            series: [{name: name, values: rows.map(function (r) { return r[valueKey]; })}]};
  }

  var b = data.batches, per = b.perDataset;
  var overTime = pivot(b.overTime, "label", "status", "batches", data.statuses);
  overTime.stacked = true;
  barChart("chart-batches", overTime);
  barChart("chart-records", {horizontal: true, categories: per.map(function (r) { return r.dataset; }),
    series: [{name: "landed", values: per.map(function (r) { return r.landed; })},
             {name: "failed", values: per.map(function (r) { return r.failed; })}]});
  var errors = single(b.errorCodes, "code", "records", "records"); errors.horizontal = true;
  barChart("chart-errors", errors);
  var rows = single(data.datasets, "dataset", "rows", "rows"); rows.horizontal = true;
  barChart("chart-rows", rows);
  var policies = single(data.profiles.perPolicy, "policy", "profiles", "profiles"); policies.horizontal = true;
  barChart("chart-profiles", policies);
  barChart("chart-graph", single(data.profiles.graphSizes, "size", "profiles", "profiles"));
  document.body.setAttribute("data-rendered", "true");
})();
"""


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    if not rows:
        return ""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{v:,}</td>'
            if isinstance(v, int) and not isinstance(v, bool)
            else f"<td>{html.escape('' if v is None else str(v))}</td>"
            for v in row
        )
        + "</tr>"
        for row in rows
    )
    return f"<details><summary>numbers</summary><table><tr>{head}</tr>{body}</table></details>"


def _section(chart_id: str, title: str, empty: str, table: str) -> str:
    return (
        f'<section><h2>{html.escape(title)}</h2><div id="{chart_id}" class="chart" '
        f'data-title="{html.escape(title)}" data-empty="{html.escape(empty)}"></div>{table}</section>'
    )


def render(data: dict[str, Any]) -> str:
    """The report page for :func:`collect`'s numbers: one HTML string, nothing external."""
    b, prof = data["batches"], data["profiles"]
    landed = sum(d["landed"] for d in b["perDataset"])
    failed = sum(d["failed"] for d in b["perDataset"])
    kpis = [
        ("batches", b["total"]),
        ("succeeded", b["byStatus"].get("success", 0)),
        ("failed", b["byStatus"].get("failed", 0)),
        ("records landed", landed),
        ("records failed", failed),
        ("profiles", prof["graphs"]),
    ]
    no_profiles = "no profiles built yet (lakeport profiles build)"
    sections = [
        '<section><h2>Summary</h2><div class="kpis">'
        + "".join(
            f'<div><b id="kpi-{html.escape(k.replace(" ", "-"))}">{v:,}</b>{html.escape(k)}</div>'
            for k, v in kpis
        )
        + "</div></section>",
        _section(
            "chart-batches",
            f"Batches over time by status (per {b['timeUnit']}, UTC)",
            "no batches yet",
            _table(
                ["from", "status", "batches"],
                [[r["label"], r["status"], r["batches"]] for r in b["overTime"]],
            ),
        ),
        _section(
            "chart-records",
            "Records landed vs failed per dataset",
            "no batches yet",
            _table(
                ["dataset", "batches", "landed", "failed", "with warnings"],
                [
                    [r["dataset"], r["batches"], r["landed"], r["failed"], r["warnings"]]
                    for r in b["perDataset"]
                ],
            ),
        ),
        _section(
            "chart-errors",
            "Top error codes (failed records)",
            "no failed records",
            _table(["code", "records"], [[r["code"], r["records"]] for r in b["errorCodes"]])
            + _table(
                ["batch failure", "batches"],
                [[r["code"], r["batches"]] for r in b["batchFailures"]],
            ),
        ),
        _section(
            "chart-rows",
            "Rows per dataset",
            "no rows yet",
            _table(
                ["dataset", "rows", "Delta version", "last batch"],
                [[d["dataset"], d["rows"], d["version"], d["lastBatch"]] for d in data["datasets"]],
            ),
        ),
        _section(
            "chart-profiles",
            "Profiles per merge policy",
            no_profiles,
            _table(
                ["policy", "profiles"], [[p["policy"], p["profiles"]] for p in prof["perPolicy"]]
            ),
        ),
        _section(
            "chart-graph",
            "Identity-graph sizes (identities per profile)",
            no_profiles,
            _table(
                ["identities", "profiles"], [[g["size"], g["profiles"]] for g in prof["graphSizes"]]
            ),
        ),
    ]
    payload = json.dumps({**data, "statuses": list(STATUSES)}, sort_keys=True).replace("</", "<\\/")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>lakeport report: {html.escape(data['lake'])}</title><style>{STYLE}</style></head>"
        f"<body><header><h1>lakeport ingestion report</h1><p>lake {html.escape(data['lake'])}"
        f" · generated {html.escape(data['generatedAt'] or '')}</p></header><main>"
        + "".join(sections)
        + f'</main><script type="application/json" id="report-data">{payload}</script>'
        f"<script>{SCRIPT}</script></body></html>\n"
    )


def write_report(spark: SparkSession, cfg: Config, out: str, *, top: int = 10) -> dict[str, Any]:
    """Collect, render and write the report to the local file ``out``; returns the numbers."""
    from pathlib import Path

    data = collect(spark, cfg, top=top)
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(data), encoding="utf-8")
    return data
