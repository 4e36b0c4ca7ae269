"""The report's numbers as one self-contained HTML page (inline SVG charts, tables under them)."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lakeport.report.assets import SCRIPT, STYLE
from lakeport.report.collect import STATUSES, collect

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from lakeport.config.model import Config


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
    data = collect(spark, cfg, top=top)
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(data), encoding="utf-8")
    return data
