"""The evaluation as one offline HTML file: tables plus hand-written inline SVG charts (no plotting library,
nothing fetched when the file is opened)."""

from __future__ import annotations

import html
import math
from pathlib import Path

from siyu.clv.evaluate import Evaluation
from siyu.clv.likelihood import FitResult
from siyu.clv.summary import Summary

_COLOURS = ["#222222", "#d1495b", "#00798c", "#edae49", "#66a182"]
_W, _H, _PAD = 720, 300, 48


def _esc(v: object) -> str:
    return html.escape(str(v))


def _num(v: float, digits: int = 3) -> str:
    return "–" if v is None or not math.isfinite(v) else f"{v:,.{digits}f}"


def line_chart(
    series: dict[str, list[float]], title: str, x_label: str, vline: float | None = None,
    ticks: list[str] | None = None,
) -> str:
    """An SVG line chart; x is the position in each list (1-based, or `ticks`), `vline` marks e.g. the
    calibration end."""
    n = max(len(v) for v in series.values())
    top = max(max(v) for v in series.values() if v) or 1.0
    sx = (_W - 2 * _PAD) / max(n - 1, 1)
    sy = (_H - 2 * _PAD) / top

    def pt(i: int, y: float) -> str:
        return f"{_PAD + i * sx:.1f},{_H - _PAD - y * sy:.1f}"

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" role="img">',
             f'<text x="{_W / 2}" y="18" text-anchor="middle" font-weight="bold">{_esc(title)}</text>',
             f'<line x1="{_PAD}" y1="{_H - _PAD}" x2="{_W - _PAD}" y2="{_H - _PAD}" stroke="#888"/>',
             f'<line x1="{_PAD}" y1="{_PAD}" x2="{_PAD}" y2="{_H - _PAD}" stroke="#888"/>',
             f'<text x="{_W / 2}" y="{_H - 10}" text-anchor="middle" font-size="12">{_esc(x_label)}</text>']
    for k in range(5):
        y = top * k / 4
        parts.append(f'<text x="{_PAD - 6}" y="{_H - _PAD - y * sy + 4:.1f}" text-anchor="end" '
                     f'font-size="10">{y:,.{0 if top >= 20 else 2}f}</text>')
    for k in range(0, n, max(n // 10, 1)):
        tick = ticks[k] if ticks and k < len(ticks) else str(k + 1)
        parts.append(f'<text x="{_PAD + k * sx:.1f}" y="{_H - _PAD + 14}" text-anchor="middle" '
                     f'font-size="10">{_esc(tick)}</text>')
    if vline is not None:
        xv = _PAD + (vline - 1) * sx
        parts.append(f'<line x1="{xv:.1f}" y1="{_PAD}" x2="{xv:.1f}" y2="{_H - _PAD}" stroke="#999" '
                     'stroke-dasharray="4 3"/>')
    for j, (name, values) in enumerate(series.items()):
        colour = _COLOURS[j % len(_COLOURS)]
        dash = "" if j == 0 else ' stroke-dasharray="6 3"'
        points = " ".join(pt(i, v) for i, v in enumerate(values))
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2"{dash} points="{points}"/>')
        parts.append(f'<text x="{_PAD + 12}" y="{_PAD + 14 * j}" fill="{colour}" font-size="12">'
                     f'— {_esc(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{_esc(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _params(res: FitResult) -> str:
    return ", ".join(f"{_esc(k)} = {_num(v)} ± {_num(res.std_errors.get(k, float('nan')))}"
                     for k, v in res.params.items())


def render(summary: Summary, fits: list[FitResult], evaluations: list[Evaluation], chosen: str,
           spend: FitResult | None = None, source: str = "", extra_html: str = "") -> str:
    """The whole report as an HTML string."""
    p = summary.period
    by_name = {e.model: e for e in evaluations}
    comparison = [[
        ("<b>" + _esc(f.model) + " ✓</b>") if f.model == chosen else _esc(f.model), _params(f),
        _num(f.log_likelihood, 2), _esc("yes" if f.converged else f.message),
        _num(by_name[f.model].mae, 4) if f.model in by_name else "–",
        _num(by_name[f.model].rmse, 4) if f.model in by_name else "–",
        _num(by_name[f.model].correlation, 3) if f.model in by_name else "–",
        (f"{_num(by_name[f.model].predicted_total, 0)} / {_num(by_name[f.model].actual_total, 0)}"
         if f.model in by_name else "–"),
    ] for f in fits]
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>siyu CLV report</title><style>"
        "body{font-family:sans-serif;max-width:980px;margin:2em auto;color:#222}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;"
        "text-align:right}th{background:#f3f3f3}td:first-child,td:nth-child(2){text-align:left}</style></head><body>",
        "<h1>Lifetime value: calibration vs holdout</h1>",
        f"<p>{_esc(source)} {summary.size:,} customers; calibration to {p.calibration_end}"
        f"{f', holdout to {p.holdout_end}' if p.holdout_end else ''}; time unit {p.unit}. "
        f"{int((summary.x == 0).sum()):,} customers made no repeat purchase in calibration. "
        f"Chosen model: <b>{_esc(chosen)}</b> (lowest per-customer holdout MAE when a holdout is given, "
        "else the highest log-likelihood).</p>",
        "<h2>Model comparison</h2>",
        _table(["model", "parameters ± s.e.", "log-likelihood", "converged", "holdout MAE", "RMSE",
                "correlation", "predicted / actual total"], comparison),
    ]
    if spend is not None:
        corr = spend.extra.get("frequency_spend_correlation", float("nan"))
        parts.append(f"<h2>Spend (Gamma-Gamma)</h2><p>{_params(spend)}; on {spend.n_customers:,} repeat customers. "
                     f"Correlation of frequency and mean spend: {_num(corr, 3)} (the model assumes ~0).</p>")
    if evaluations:
        first = evaluations[0]
        rows = []
        for i, r in enumerate(first.by_frequency):
            rows.append([_esc(r.x), f"{r.customers:,}", _num(r.actual)]
                        + [_num(e.by_frequency[i].predicted) for e in evaluations])
        parts += [
            "<h2>Conditional expectation by calibration frequency</h2>",
            "<p>Average holdout repeat purchases of customers grouped by how many they made in calibration: "
            "a good model tracks the actual column in every row, not only on average.</p>",
            _table(["calibration repeats", "customers", "actual"] + [e.label for e in evaluations], rows),
            line_chart({"actual": [r.actual for r in first.by_frequency],
                        **{e.label: [r.predicted for r in e.by_frequency] for e in evaluations}},
                       "holdout purchases by calibration frequency", "calibration repeat purchases",
                       ticks=[r.x for r in first.by_frequency]),
        ]
        if first.tracking:
            t = first.tracking
            series = {"actual": t.actual, **{e.label: e.tracking.predicted for e in evaluations if e.tracking}}
            parts += [
                "<h2>Weekly cumulative repeat purchases</h2>",
                f"<p>Weeks since {t.start}; the dashed line is the calibration end. Left of it the model "
                "describes the data it was fitted on; right of it, it forecasts.</p>",
                line_chart(series, "cumulative repeat purchases", "week", vline=t.calibration_week),
            ]
    parts.append(extra_html)  # sections built elsewhere (already escaped)
    parts.append("</body></html>")
    return "".join(parts)


def write_report(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
