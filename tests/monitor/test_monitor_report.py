"""The HTML report: self-contained (Plotly inside, nothing fetched), violations first, the drift
table, one chart per feature, hostile names escaped."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd

from bastion.monitor import ReportContext, baseline, check, render_report
from bastion.monitor._report import plotly_js

HOSTILE = '<img src=x onerror="alert(1)"></script>'


def _frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(4)
    base = pd.DataFrame(
        {
            "amount": rng.normal(50, 10, 3000),
            HOSTILE: rng.choice(["a", "b"], 3000),
            "count": rng.integers(0, 5, 3000),
        }
    )
    current = base.copy()
    current["amount"] = current["amount"] + 15
    current.loc[:600, HOSTILE] = "<b>new</b>"
    return base, current


def test_report_is_self_contained_and_ordered() -> None:
    base_frame, current_frame = _frames()
    base = baseline(base_frame)
    result = check(current_frame, baseline=base)
    html = render_report(
        ReportContext(title="fraud <hourly>", status=result.status, dataset="s3://b/k"),
        base,
        result,
    )
    assert html.startswith("<!DOCTYPE html>")
    assert not re.search(r"<script[^>]*\bsrc\s*=", html, re.IGNORECASE)
    assert not re.search(r"<(link|img|iframe)[^>]*(href|src)\s*=\s*[\"']?https?:", html)
    assert plotly_js()[:200] in html
    assert HOSTILE not in html and "<b>new</b>" not in html
    assert "fraud &lt;hourly&gt;" in html
    assert html.index("<h2>Violations</h2>") < html.index("<h2>Drift statistics</h2>")
    assert html.index("<h2>Drift statistics</h2>") < html.index("<h2>Distributions")
    assert "baseline_drift_check" in html and "categorical_values_check" in html
    assert html.count('<div id="chart-') == 3
    charts = json.loads(
        html.split('<script type="application/json" id="charts">', 1)[1].split("</script>", 1)[0]
    )
    titles = [c["layout"]["title"]["text"] for c in charts]
    assert titles[0] == "amount" and "&lt;img" in titles[1]
    categories = charts[1]["data"][1]["x"]
    assert any(label.endswith("(new)") for label in categories)
    current_shares = charts[0]["data"][1]["y"]
    assert abs(sum(current_shares) - 1.0) < 1e-9


def test_report_without_comparable_features() -> None:
    base = baseline(pd.DataFrame({"a": [1, 2, 3]}))
    result = check(pd.DataFrame({"b": ["x", "y", "z"]}), baseline=base)
    html = render_report(ReportContext(title="t", status=result.status), base, result)
    assert "No feature could be compared." in html
    assert "missing_column_check" in html and "extra_column_check" in html
