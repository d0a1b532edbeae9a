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


def slice_trend(value_rows: list[dict[str, Any]], team_rows: list[dict[str, Any]], names: tuple[str, str],
                unit: str, no_data: str) -> Markup:
    """One slice value's trend beside the team's, on the periods either has; names are (value's, team's)."""
    periods = sorted({r["period"] for r in value_rows} | {r["period"] for r in team_rows})
    mine = {r["period"]: r["value"] for r in value_rows}
    team = {r["period"]: r["value"] for r in team_rows}

    def values(by: dict[Any, Any]) -> list[float | None]:
        return [None if by.get(p) is None else float(by[p]) for p in periods]

    return Markup(svg.lines([str(p)[:10] for p in periods], [("value", names[0], values(mine)),
                                                             ("team", names[1], values(team))], unit, no_data))


def slice_sizes(rows: list[dict[str, Any]], latest: Any) -> list[str]:
    """The slice values present, largest first: by the last finished month's denominator (the people a rate is
    over) or its value (a count), then those absent from that month by name."""
    def size(r: dict[str, Any]) -> float:
        v = r["denominator"] if r.get("denominator") is not None else r["value"]
        return float(v) if v is not None else -1.0

    last = {str(r["slice_value"]): size(r) for r in rows if r["period"] == latest}
    rest = sorted({str(r["slice_value"]) for r in rows} - set(last))
    return sorted(last, key=lambda v: (-last[v], v)) + rest


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
