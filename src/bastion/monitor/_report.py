"""The HTML report of a check: one self-contained file, Plotly shipped inside it.

Violations come first, then the drift statistics table (SageMaker's distance and its rule beside
PSI, KS, Jensen-Shannon, Wasserstein, chi-square, the effect size, the Benjamini-Hochberg
adjusted p-value and the calibrated verdict), then per feature the baseline and current
distributions: numbers as shares of 20 common bins (from both KLL sketches), text as shares of
the most frequent values (values the baseline never saw marked as new). Plotly's JavaScript is
read from the installed ``plotly`` package and embedded, so the file opens offline and loads
nothing from the network. Every name from the data is escaped (Jinja2 autoescape in the page,
HTML entities in chart labels, ``<`` escaped inside the JSON).
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from importlib import resources
from typing import Any

import jinja2
import numpy as np

from bastion.monitor._baseline import from_statistics
from bastion.monitor._models import Baseline, CheckResult, ColumnProfile, FeatureDrift, Profile

BINS = 20
TOP_VALUES = 20
BASELINE_COLOR = "#4c78a8"
CURRENT_COLOR = "#f58518"


@dataclass(frozen=True, kw_only=True)
class ReportContext:
    """What the report says about where the data came from."""

    title: str
    status: str
    dataset: str = ""
    schedule_name: str | None = None
    endpoint_name: str | None = None
    scheduled_time: datetime | None = None
    window: tuple[datetime, datetime] | None = None
    files_read: int = 0
    skipped_records: int = 0
    generated_at: datetime | None = None
    extra: Mapping[str, str] = field(default_factory=dict)


@lru_cache(maxsize=1)
def plotly_js() -> str:
    """Plotly's JavaScript bundle from the installed package (no network)."""
    bundle = resources.files("plotly") / "package_data" / "plotly.min.js"
    return bundle.read_text(encoding="utf-8").replace("</script", "<\\/script")


def _fmt(value: float | int | None, digits: int = 4) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and digits == 0):
        return f"{int(value):,}"
    if value != 0 and abs(value) < 10 ** (-digits):
        return f"{value:.2e}"
    return f"{value:.{digits}f}"


def _label(text: str) -> str:
    """A chart label: HTML-escaped, since Plotly renders some markup in labels."""
    return html.escape(text, quote=True)


def _numeric_figure(name: str, base: ColumnProfile, current: ColumnProfile) -> dict[str, Any]:
    assert base.numeric is not None and current.numeric is not None
    low = min(base.numeric.min, current.numeric.min)
    high = max(base.numeric.max, current.numeric.max)
    if high <= low:
        high = low + 1.0
    edges = np.linspace(low, high, BINS + 1)
    traces = []
    for label, column, color in (
        ("baseline", base, BASELINE_COLOR),
        ("current", current, CURRENT_COLOR),
    ):
        assert column.numeric is not None
        below = column.numeric.sketch.cdf(edges, inclusive=False)
        below[-1] = 1.0
        shares = np.diff(below)
        traces.append(
            {
                "type": "bar",
                "name": label,
                "x": [float(x) for x in (edges[:-1] + edges[1:]) / 2],
                "y": [float(y) for y in shares],
                "width": float((high - low) / BINS),
                "marker": {"color": color},
                "opacity": 0.6,
            }
        )
    return _figure(name, traces, x_title=_label(name), barmode="overlay")


def _categorical_figure(name: str, base: ColumnProfile, current: ColumnProfile) -> dict[str, Any]:
    assert base.categorical is not None and current.categorical is not None
    b, c = base.categorical, current.categorical
    b_share = dict(zip(b.values, (b.counts / max(b.total, 1)).tolist(), strict=True))
    c_share = dict(zip(c.values, (c.counts / max(c.total, 1)).tolist(), strict=True))
    top = list(b.values[:TOP_VALUES])
    new = [v for v in c.values if v not in b_share][: max(TOP_VALUES - len(top), 5)]
    values = top + new
    labels = [_label(v) + (" (new)" if v in new else "") for v in values]
    traces = [
        {
            "type": "bar",
            "name": "baseline",
            "x": labels,
            "y": [b_share.get(v, 0.0) for v in values],
            "marker": {"color": BASELINE_COLOR},
        },
        {
            "type": "bar",
            "name": "current",
            "x": labels,
            "y": [c_share.get(v, 0.0) for v in values],
            "marker": {"color": CURRENT_COLOR},
        },
    ]
    return _figure(name, traces, x_title="value", barmode="group")


def _figure(
    name: str, traces: list[dict[str, Any]], *, x_title: str, barmode: str
) -> dict[str, Any]:
    return {
        "data": traces,
        "layout": {
            "title": {"text": _label(name)},
            "barmode": barmode,
            "height": 320,
            "margin": {"l": 50, "r": 20, "t": 40, "b": 60},
            "xaxis": {"title": {"text": x_title}},
            "yaxis": {"title": {"text": "share of rows"}, "tickformat": ".0%"},
            "legend": {"orientation": "h"},
        },
    }


def figures(reference: Profile, current: Profile, names: Sequence[str]) -> list[dict[str, Any]]:
    """One chart per feature found on both sides with comparable distributions."""
    charts = []
    for name in names:
        base, cur = reference.column(name), current.column(name)
        if base is None or cur is None:
            continue
        if base.numeric is not None and cur.numeric is not None:
            charts.append(_numeric_figure(name, base, cur))
        elif base.categorical is not None and cur.categorical is not None:
            charts.append(_categorical_figure(name, base, cur))
    return charts


def _drift_row(drift: FeatureDrift) -> dict[str, str]:
    p = drift.ks_pvalue if drift.kind == "numerical" else drift.chi2_pvalue
    return {
        "feature": drift.feature,
        "kind": drift.kind,
        "method": drift.method,
        "distance": _fmt(drift.distance),
        "threshold": _fmt(drift.threshold, 2),
        "exceeds": "yes" if drift.exceeds else "",
        "psi": _fmt(drift.psi),
        "ks": _fmt(drift.ks_statistic),
        "js": _fmt(drift.js_distance),
        "wasserstein": _fmt(drift.wasserstein_normalized),
        "chi2": _fmt(drift.chi2_statistic, 2),
        "p": _fmt(p),
        "p_adjusted": _fmt(drift.p_adjusted),
        "effect": _fmt(drift.effect_size),
        "drifted": "drift" if drift.drifted else "",
    }


def _script_json(value: Any) -> str:
    text = json.dumps(value, allow_nan=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ ctx.title }}</title>
<style>
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#222}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem}
table{border-collapse:collapse;font-size:.85rem}th,td{border:1px solid #ddd;padding:.3rem .5rem}
th{background:#f4f4f4;text-align:left}td.num{text-align:right;font-variant-numeric:tabular-nums}
.status{display:inline-block;padding:.2rem .6rem;border-radius:.3rem;color:#fff;background:#2e7d32}
.status.CompletedWithViolations{background:#c62828}.status.Failed{background:#6d4c41}
.flag{color:#c62828;font-weight:600}.meta td:first-child{font-weight:600}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(460px,1fr));gap:1rem}
</style></head><body>
<h1>{{ ctx.title }}</h1>
<p><span class="status {{ ctx.status }}">{{ ctx.status }}</span>
 {{ violations|length }} violation(s), {{ drifted }} feature(s) drifted (calibrated verdict),
 {{ exceeds }} over SageMaker's distance threshold.</p>
<table class="meta">
{% for key, value in meta %}<tr><td>{{ key }}</td><td>{{ value }}</td></tr>
{% endfor %}</table>
<h2>Violations</h2>
{% if violations %}<table><tr><th>feature</th><th>check</th><th>description</th></tr>
{% for v in violations %}<tr><td>{{ v.feature_name }}</td><td>{{ v.constraint_check_type }}</td>
<td>{{ v.description }}</td></tr>
{% endfor %}</table>{% else %}<p>None.</p>{% endif %}
<h2>Drift statistics</h2>
<p>SageMaker's distance (largest CDF gap for numbers, largest share gap for text) and its rule,
beside the extra statistics. <em>Verdict</em>: the KS (numbers) or chi-square (text) p-value
adjusted by Benjamini-Hochberg across features is below {{ fdr }} and the effect reaches its
floor.</p>
{% if drift_rows %}<table><tr><th>feature</th><th>kind</th><th>method</th><th>distance</th>
<th>threshold</th><th>over</th><th>PSI</th><th>KS</th><th>JS</th><th>Wasserstein / sd</th>
<th>chi&sup2;</th><th>p</th><th>BH p</th><th>effect</th><th>verdict</th></tr>
{% for r in drift_rows %}<tr><td>{{ r.feature }}</td><td>{{ r.kind }}</td><td>{{ r.method }}</td>
<td class="num">{{ r.distance }}</td><td class="num">{{ r.threshold }}</td>
<td class="flag">{{ r.exceeds }}</td><td class="num">{{ r.psi }}</td><td class="num">{{ r.ks }}</td>
<td class="num">{{ r.js }}</td><td class="num">{{ r.wasserstein }}</td>
<td class="num">{{ r.chi2 }}</td><td class="num">{{ r.p }}</td>
<td class="num">{{ r.p_adjusted }}</td><td class="num">{{ r.effect }}</td>
<td class="flag">{{ r.drifted }}</td></tr>
{% endfor %}</table>{% else %}<p>No feature could be compared.</p>{% endif %}
<h2>Distributions: baseline and current</h2>
<div class="charts">{% for i in range(charts) %}<div id="chart-{{ i }}"></div>{% endfor %}</div>
<script type="application/json" id="charts">{{ chart_json|safe }}</script>
<script type="text/javascript">{{ plotly|safe }}</script>
<script type="text/javascript">
(function(){var c=JSON.parse(document.getElementById("charts").textContent);
c.forEach(function(f,i){Plotly.newPlot("chart-"+i,f.data,f.layout,
{displaylogo:false,responsive:true});});})();
</script>
</body></html>
"""


@lru_cache(maxsize=1)
def _template() -> jinja2.Template:
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return env.from_string(_TEMPLATE)


def render_report(ctx: ReportContext, baseline: Baseline, result: CheckResult) -> str:
    """The self-contained HTML report of one check."""
    reference = baseline.profile or from_statistics(baseline.statistics)
    names = [f.name for f in baseline.statistics.features]
    charts = figures(reference, result.profile, names)
    meta: list[tuple[str, str]] = []
    if ctx.schedule_name:
        meta.append(("monitoring schedule", ctx.schedule_name))
    if ctx.endpoint_name:
        meta.append(("endpoint", ctx.endpoint_name))
    if ctx.scheduled_time is not None:
        meta.append(("scheduled time", ctx.scheduled_time.isoformat()))
    if ctx.window is not None:
        meta.append(("window", f"{ctx.window[0].isoformat()} to {ctx.window[1].isoformat()}"))
    if ctx.dataset:
        meta.append(("data", ctx.dataset))
    meta.append(("rows analysed", f"{result.profile.item_count:,}"))
    meta.append(("baseline rows", f"{reference.item_count:,}"))
    if ctx.files_read:
        meta.append(("files read", f"{ctx.files_read:,}"))
    if ctx.skipped_records:
        meta.append(("records skipped (corrupted)", f"{ctx.skipped_records:,}"))
    meta.extend(ctx.extra.items())
    if ctx.generated_at is not None:
        meta.append(("generated", ctx.generated_at.isoformat()))
    return _template().render(
        ctx=ctx,
        meta=meta,
        violations=result.violations,
        drift_rows=[_drift_row(d) for d in result.drift.features],
        drifted=sum(d.drifted for d in result.drift.features),
        exceeds=sum(d.exceeds for d in result.drift.features),
        fdr=result.drift.options.fdr,
        charts=len(charts),
        chart_json=_script_json(charts),
        plotly=plotly_js(),
    )
