"""The console's charts: the report's SVG functions fed from the API's answers."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from siyu.metrics.catalogue import BY_NAME
from siyu.report import svg


def metric_words(metric: str, lang: str) -> str:
    m = BY_NAME.get(metric)
    return (m.zh if lang == "zh" else m.en) if m else metric


def metric_unit(metric: str) -> str:
    m = BY_NAME.get(metric)
    return m.unit if m else "count"


def fmt(value: Any, unit: str) -> str:
    """A number as the report writes it: 12.3% for a rate, ¥1,234 for money, 1,234 for a count."""
    if value is None:
        return "–"
    v = float(value)
    if unit == "rate":
        return f"{v:.1%}"
    if unit == "money":
        return f"¥{v:,.0f}" if abs(v) >= 100 else f"¥{v:,.2f}"
    return f"{v:,.0f}" if abs(v) >= 10 or v == int(v) else f"{v:,.2f}"


def trend(rows: list[dict[str, Any]], unit: str, no_data: str) -> Markup:
    rows = sorted(rows, key=lambda r: r["period"])
    return Markup(svg.line([str(r["period"])[:10] for r in rows], [r["value"] for r in rows], unit, no_data))


def slice_bars(rows: list[dict[str, Any]], unit: str, no_data: str) -> Markup:
    rows = sorted((r for r in rows if r["value"] is not None), key=lambda r: -float(r["value"]))[:15]
    return Markup(svg.bars([str(r["slice_value"]) for r in rows], [float(r["value"]) for r in rows], unit, no_data))


def gauge(score: float | None, label: str, no_data: str) -> Markup:
    return Markup(svg.gauge(score, label, no_data))


def components(labels: list[str], scores: list[float | None], no_data: str) -> Markup:
    return Markup(svg.hbars(labels, scores, no_data))


def waterfall(before: tuple[str, float], steps: list[tuple[str, float]], after: tuple[str, float]) -> Markup:
    return Markup(svg.waterfall(before, steps, after))


def staff_intervals(rows: list[dict[str, Any]], no_data: str) -> Markup:
    return Markup(svg.intervals([f"{r['name'] or r['staff_id']} ({r['friends']})" for r in rows],
                                [r["rate"] for r in rows], [r["low"] for r in rows], [r["high"] for r in rows],
                                rows[0]["team"] if rows else None, [r["flag"] for r in rows], no_data))


def script_bars(rows: list[dict[str, Any]], no_data: str) -> Markup:
    drops = [r["drop"] or 0.0 for r in rows]
    worst = drops.index(max(drops)) if rows and max(drops) > 0 else None
    return Markup(svg.bars([r["script_line_id"] for r in rows], [r["rate"] for r in rows], "rate", no_data, worst))
