"""Small SVG charts drawn by hand: line, lines, bars, waterfall, heat map, interval dots, gauge.

Each function returns one `<svg>` element as text with a `data-chart` attribute naming its kind, so a test
can count what rendered. Inputs are plain numbers; None means "no data" and leaves a gap, never a zero.
"""

from __future__ import annotations

import math
from html import escape

W, H = 640, 240
PAD_L, PAD_R, PAD_T, PAD_B = 56, 16, 16, 40
BLUE, RED, GREEN, GREY = "#2f6fdf", "#d64545", "#2e9b5f", "#8a8f98"


def _fmt(v: float, unit: str) -> str:
    if unit == "rate":
        return f"{v:.1%}"
    if unit == "money":
        return f"¥{v:,.0f}" if abs(v) >= 100 else f"¥{v:,.2f}"
    if unit == "minutes":
        return f"{v:,.0f}"
    return f"{v:,.0f}" if abs(v) >= 10 or v == int(v) else f"{v:,.2f}"


def _frame(kind: str, body: str, width: int = W, height: int = H, title: str = "") -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" data-chart="{kind}" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}" style="max-width:{width}px" role="img" aria-label="{escape(title)}">'
            f'<rect width="{width}" height="{height}" fill="#fff"/>{body}</svg>')


def empty(message: str, kind: str = "empty") -> str:
    body = (f'<text x="{W / 2}" y="{H / 2}" text-anchor="middle" fill="{GREY}" font-size="14">'
            f"{escape(message)}</text>")
    return _frame(kind, body, title=message)


def _scale(lo: float, hi: float, a: float, b: float) -> tuple[float, float]:
    """(slope, offset) mapping [lo, hi] to [a, b]."""
    if hi == lo:
        hi = lo + 1.0
    k = (b - a) / (hi - lo)
    return k, a - k * lo


def _ticks(lo: float, hi: float, n: int = 4) -> list[float]:
    if hi == lo:
        return [lo]
    step = 10 ** math.floor(math.log10((hi - lo) / n))
    for m in (1, 2, 5, 10):
        if (hi - lo) / (step * m) <= n:
            step *= m
            break
    start = math.floor(lo / step) * step
    return [start + i * step for i in range(int((hi - start) / step) + 2) if start + i * step <= hi + 1e-9]


def _y_grid(lo: float, hi: float, ky: float, by: float, unit: str) -> list[str]:
    """The value axis of a trend: a faint rule and a label at each tick."""
    return [f'<line x1="{PAD_L}" x2="{W - PAD_R}" y1="{ky * t + by:.1f}" y2="{ky * t + by:.1f}" stroke="#eee"/>'
            f'<text x="{PAD_L - 6}" y="{ky * t + by + 4:.1f}" text-anchor="end" font-size="11" fill="{GREY}">'
            f"{escape(_fmt(t, unit))}</text>" for t in _ticks(lo, hi)]


def _x_labels(labels: list[str], kx: float, bx: float) -> list[str]:
    """The period axis of a trend: at most about eight labels, evenly spaced."""
    step = max(1, len(labels) // 8)
    return [f'<text x="{kx * i + bx:.1f}" y="{H - PAD_B + 16}" text-anchor="middle" font-size="11" '
            f'fill="{GREY}">{escape(labels[i])}</text>' for i in range(0, len(labels), step)]


def line(labels: list[str], values: list[float | None], unit: str, no_data: str) -> str:
    """A trend line; gaps where a period has no data."""
    known = [v for v in values if v is not None]
    if not known:
        return empty(no_data, "line")
    lo, hi = min(0.0, *known), max(known)
    ky, by = _scale(lo, hi, H - PAD_B, PAD_T)
    n = len(values)
    kx, bx = _scale(0, max(n - 1, 1), PAD_L, W - PAD_R)
    parts = _y_grid(lo, hi, ky, by, unit)
    path, pen = [], "M"
    for i, v in enumerate(values):
        if v is None:
            pen = "M"
            continue
        path.append(f"{pen}{kx * i + bx:.1f},{ky * v + by:.1f}")
        pen = "L"
        parts.append(f'<circle cx="{kx * i + bx:.1f}" cy="{ky * v + by:.1f}" r="2.5" fill="{BLUE}">'
                     f"<title>{escape(labels[i])}: {escape(_fmt(v, unit))}</title></circle>")
    parts.append(f'<path d="{" ".join(path)}" fill="none" stroke="{BLUE}" stroke-width="2"/>')
    parts += _x_labels(labels, kx, bx)
    return _frame("line", "".join(parts))


def _stroke(rank: int) -> tuple[str, str]:
    """Colour and dash of the rank-th series: the first solid blue, the others dashed grey."""
    return (BLUE, "") if rank == 0 else (GREY, ' stroke-dasharray="6 4"')


def lines(labels: list[str], series: list[tuple[str, str, list[float | None]]], unit: str, no_data: str) -> str:
    """Several trends on one scale with a legend: (key, name, values) each, the first drawn solid in blue, the
    others dashed in grey behind it; every point carries its series, period and value for a reader or a test."""
    known = [v for _, _, values in series for v in values if v is not None]
    if not known:
        return empty(no_data, "lines")
    lo, hi = min(0.0, *known), max(known)
    top = PAD_T + 18  # room for the legend
    ky, by = _scale(lo, hi, H - PAD_B, top)
    n = len(labels)
    kx, bx = _scale(0, max(n - 1, 1), PAD_L, W - PAD_R)
    parts = _y_grid(lo, hi, ky, by, unit)
    x0 = PAD_L
    for rank, (key, name, values) in reversed(list(enumerate(series))):
        colour, dash = _stroke(rank)
        path, pen = [], "M"
        for i, v in enumerate(values):
            if v is None:
                pen = "M"
                continue
            x, y = kx * i + bx, ky * v + by
            path.append(f"{pen}{x:.1f},{y:.1f}")
            pen = "L"
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}" data-series="{escape(key)}" '
                         f'data-period="{escape(labels[i])}" data-value="{float(v)!r}">'
                         f"<title>{escape(name)} {escape(labels[i])}: {escape(_fmt(v, unit))}</title></circle>")
        parts.append(f'<path d="{" ".join(path)}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>')
    for rank, (_, name, _) in enumerate(series):
        colour, dash = _stroke(rank)
        parts.append(f'<line x1="{x0}" x2="{x0 + 20}" y1="{PAD_T + 2}" y2="{PAD_T + 2}" stroke="{colour}" '
                     f'stroke-width="2"{dash}/><text x="{x0 + 24}" y="{PAD_T + 6}" font-size="12" fill="#1f2328">'
                     f"{escape(name)}</text>")
        x0 += 32 + 7 * len(name) + (5 * sum(1 for c in name if ord(c) > 0x2e80))
    parts += _x_labels(labels, kx, bx)
    title = " / ".join(name for _, name, _ in series)
    return _frame("lines", "".join(parts), title=title)


def bars(labels: list[str], values: list[float], unit: str, no_data: str, highlight: int | None = None) -> str:
    """Vertical bars (e.g. reply rate after each script line)."""
    if not values:
        return empty(no_data, "bars")
    hi = max(max(values), 1e-9)
    ky, by = _scale(0, hi, H - PAD_B, PAD_T)
    slot = (W - PAD_L - PAD_R) / len(values)
    parts = []
    for i, v in enumerate(values):
        x, y = PAD_L + i * slot + slot * 0.15, ky * v + by
        colour = RED if i == highlight else BLUE
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{H - PAD_B - y:.1f}" '
                     f'fill="{colour}"><title>{escape(labels[i])}: {escape(_fmt(v, unit))}</title></rect>'
                     f'<text x="{x + slot * 0.35:.1f}" y="{y - 4:.1f}" text-anchor="middle" font-size="11">'
                     f"{escape(_fmt(v, unit))}</text>"
                     f'<text x="{x + slot * 0.35:.1f}" y="{H - PAD_B + 16}" text-anchor="middle" font-size="11" '
                     f'fill="{GREY}">{escape(labels[i])}</text>')
    return _frame("bars", "".join(parts))


def waterfall(start: tuple[str, float], steps: list[tuple[str, float]], end: tuple[str, float]) -> str:
    """From one period's total, each factor's contribution up or down, to the other period's total."""
    running = [start[1]]
    for _, v in steps:
        running.append(running[-1] + v)
    lo, hi = min(0.0, *running, end[1]), max(*running, end[1])
    ky, by = _scale(lo, hi, H - PAD_B, PAD_T)
    cols = [start, *steps, end]
    slot = (W - PAD_L - PAD_R) / len(cols)
    parts = []
    level = 0.0
    for i, (label, v) in enumerate(cols):
        if i == 0 or i == len(cols) - 1:
            a, b, colour = 0.0, v, GREY
            level = v
        else:
            a, b = level, level + v
            colour = GREEN if v >= 0 else RED
            level = b
        y0, y1 = ky * max(a, b) + by, ky * min(a, b) + by
        x = PAD_L + i * slot + slot * 0.15
        sign = "" if i in (0, len(cols) - 1) else ("+" if v >= 0 else "−")
        text = f"{sign}{_fmt(abs(v) if sign else v, 'money')}"
        parts.append(f'<rect x="{x:.1f}" y="{y0:.1f}" width="{slot * 0.7:.1f}" height="{max(y1 - y0, 1):.1f}" '
                     f'fill="{colour}"><title>{escape(label)}: {escape(text)}</title></rect>'
                     f'<text x="{x + slot * 0.35:.1f}" y="{y0 - 4:.1f}" text-anchor="middle" font-size="11">'
                     f"{escape(text)}</text>"
                     f'<text x="{x + slot * 0.35:.1f}" y="{H - PAD_B + 16}" text-anchor="middle" font-size="11" '
                     f'fill="{GREY}">{escape(label)}</text>')
    return _frame("waterfall", "".join(parts))


def heatmap(rows: list[str], cols: list[str], cells: dict[tuple[str, str], float], no_data: str) -> str:
    """Cohort × month shares, darker is higher; blank where the month has not passed."""
    if not cells:
        return empty(no_data, "heatmap")
    cw, ch = 40, 22
    left, top = 84, 24
    width, height = left + cw * len(cols) + 8, top + ch * len(rows) + 8
    hi = max(cells.values()) or 1.0
    parts = [f'<text x="{left + i * cw + cw / 2}" y="{top - 8}" text-anchor="middle" font-size="11" '
             f'fill="{GREY}">{escape(c)}</text>' for i, c in enumerate(cols)]
    for j, r in enumerate(rows):
        parts.append(f'<text x="{left - 6}" y="{top + j * ch + 15}" text-anchor="end" font-size="11" '
                     f'fill="{GREY}">{escape(r)}</text>')
        for i, c in enumerate(cols):
            v = cells.get((r, c))
            if v is None:
                continue
            shade = int(235 - 170 * (v / hi))
            ink = "#fff" if shade < 150 else "#222"
            fill = f"rgb({shade},{min(shade + 10, 245)},255)"
            parts.append(f'<rect x="{left + i * cw}" y="{top + j * ch}" width="{cw - 2}" height="{ch - 2}" '
                         f'fill="{fill}"><title>{escape(r)} {escape(c)}: '
                         f'{v:.1%}</title></rect><text x="{left + i * cw + cw / 2 - 1}" y="{top + j * ch + 15}" '
                         f'text-anchor="middle" font-size="10" fill="{ink}">{v * 100:.0f}</text>')
    return _frame("heatmap", "".join(parts), width, height)


def intervals(labels: list[str], rates: list[float], lows: list[float], highs: list[float], team: float | None,
              flags: list[str], no_data: str) -> str:
    """Each staff member's rate with its 95 % interval against the team average (dashed line)."""
    if not rates:
        return empty(no_data, "intervals")
    row = 22
    left, width = 120, W
    height = PAD_T + row * len(rates) + 24
    kx, bx = _scale(0, max(*highs, team or 0.0, 1e-9), left, width - PAD_R)
    parts = []
    for i, lab in enumerate(labels):
        y = PAD_T + i * row + row / 2
        colour = RED if flags[i] == "below" else GREEN if flags[i] == "above" else BLUE
        parts.append(f'<text x="{left - 8}" y="{y + 4}" text-anchor="end" font-size="11">{escape(lab)}</text>'
                     f'<line x1="{kx * lows[i] + bx:.1f}" x2="{kx * highs[i] + bx:.1f}" y1="{y}" y2="{y}" '
                     f'stroke="{colour}" stroke-width="2"/><circle cx="{kx * rates[i] + bx:.1f}" cy="{y}" r="4" '
                     f'fill="{colour}"><title>{escape(lab)}: {rates[i]:.1%} ({lows[i]:.1%}–{highs[i]:.1%})</title>'
                     f"</circle>")
    if team is not None:
        x = kx * team + bx
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{PAD_T - 4}" y2="{height - 20}" stroke="{GREY}" '
                     f'stroke-dasharray="4 3"/><text x="{x:.1f}" y="{height - 6}" text-anchor="middle" '
                     f'font-size="11" fill="{GREY}">{team:.1%}</text>')
    return _frame("intervals", "".join(parts), width, height)


def gauge(score: float | None, label: str, no_data: str) -> str:
    """The health score on a half dial from 0 to 100."""
    if score is None:
        return empty(no_data, "gauge")
    cx, cy, r = 160, 150, 110
    angle = math.pi * (1 - score / 100)
    x, y = cx + r * math.cos(angle), cy - r * math.sin(angle)
    colour = GREEN if score >= 80 else BLUE if score >= 60 else RED
    large = 0
    body = (f'<path d="M{cx - r},{cy} A{r},{r} 0 0 1 {cx + r},{cy}" fill="none" stroke="#eee" stroke-width="22"/>'
            f'<path d="M{cx - r},{cy} A{r},{r} 0 {large} 1 {x:.1f},{y:.1f}" fill="none" stroke="{colour}" '
            f'stroke-width="22"/><text x="{cx}" y="{cy - 10}" text-anchor="middle" font-size="40" '
            f'font-weight="bold">{score:.0f}</text><text x="{cx}" y="{cy + 24}" text-anchor="middle" font-size="13" '
            f'fill="{GREY}">{escape(label)}</text>')
    return _frame("gauge", body, 320, 190)


def hbars(labels: list[str], scores: list[float | None], no_data: str) -> str:
    """Health components, each scored 0…100."""
    if not labels:
        return empty(no_data, "hbars")
    row, left = 24, 150
    height = PAD_T + row * len(labels) + 8
    parts = []
    for i, (lab, s) in enumerate(zip(labels, scores, strict=True)):
        y = PAD_T + i * row
        parts.append(f'<text x="{left - 8}" y="{y + 15}" text-anchor="end" font-size="12">{escape(lab)}</text>')
        if s is None:
            parts.append(f'<text x="{left}" y="{y + 15}" font-size="12" fill="{GREY}">{escape(no_data)}</text>')
            continue
        width = (W - left - 60) * s / 100
        colour = GREEN if s >= 100 else BLUE if s >= 60 else RED
        parts.append(f'<rect x="{left}" y="{y + 4}" width="{max(width, 1):.1f}" height="14" fill="{colour}"/>'
                     f'<text x="{left + width + 6:.1f}" y="{y + 15}" font-size="12">{s:.0f}</text>')
    return _frame("hbars", "".join(parts), W, height)
