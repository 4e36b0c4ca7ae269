"""The report page's inline style and script (no CDN, no external file)."""

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
  var COLORS = {success: "#2e9e5b", failed: "#d64545", replaced: "#8e6cc0", aborted: "#9aa3ae", processing: "#e0a030",
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
