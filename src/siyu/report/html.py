"""Render the report data (`siyu.metrics.collect`) as one self-contained HTML page."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from siyu.errors import UserError
from siyu.report import svg
from siyu.report.labels import t

CSS = """
body{font-family:-apple-system,"PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:24px;color:#222;
max-width:1360px}
h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #eee;padding-bottom:4px}
.note{color:#666;font-size:13px;margin:4px 0 10px}.warn{background:#fff6e0;padding:8px;border-radius:4px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(440px,1fr));gap:12px}
.card{border:1px solid #eee;border-radius:6px;padding:8px}.card h3{font-size:13px;margin:0 0 4px;font-weight:600}
.card svg{width:100%;height:auto}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #e5e5e5;padding:4px 8px;text-align:right}
th:first-child,td:first-child{text-align:left}.row{display:flex;gap:24px;flex-wrap:wrap;align-items:flex-start}
"""


def _fmt(v: Any, unit: str) -> str:
    if v is None:
        return "–"
    return svg._fmt(float(v), unit)


def _health(data: dict[str, Any], lang: str, days: int) -> str:
    h = data["health"]
    names = [c["name"] for c in h["components"]]
    gauge = svg.gauge(h["score"], t("health", lang), t("no_data", lang))
    bars = svg.hbars([t(n, lang) for n in names], [c["score"] for c in h["components"]], t("no_data", lang))
    return (f"<h2>{t('health', lang)}</h2><p class='note'>{escape(t('health_note', lang, days=days))}</p>"
            f"<div class='row'><div>{gauge}</div><div style='flex:1'>{bars}</div></div>"
            f"<p><b>{escape(h['summary'][lang])}</b></p>")


def _period_label(period: Any, grain: str) -> str:
    """A month as 2026-11, other periods by their first day."""
    return str(period)[:7] if grain == "month" else str(period)


def _trends(data: dict[str, Any], lang: str) -> str:
    cut = data.get("unfinished_period")
    periods = {r["period"] for r in data["trends"]}
    if cut not in periods or len(periods) < 2:
        cut = None  # nothing to leave out, or nothing else to show
    cards = []
    for name, meta in data["metrics"].items():
        rows = [r for r in data["trends"] if r["metric"] == name and r["slice"] == "all" and r["period"] != cut]
        rows.sort(key=lambda r: r["period"])
        labels = [_period_label(r["period"], data["grain"]) for r in rows]
        chart = svg.line(labels, [r["value"] for r in rows], meta["unit"], t("no_data", lang))
        cards.append(f"<div class='card'><h3>{escape(meta[lang])}</h3>{chart}</div>")
    note = ""
    if cut:
        period = _period_label(cut, data["grain"])
        note = f"<p class='note'>{escape(t('unfinished', lang, period=period, as_of=data['as_of']))}</p>"
    return f"<h2>{t('trends', lang)}</h2>{note}<div class='grid'>{''.join(cards)}</div>"


FACTOR_UNITS = {"parcels": "count", "acquisition_rate": "rate", "first_order_conversion": "rate",
                "first_order_value": "money"}


def _funnel(data: dict[str, Any], lang: str) -> str:
    f = data["funnel"]
    b, a = f["before"], f["after"]
    head = (f"<tr><th></th><th>{t('before', lang)}<br>{b['start']} … {b['end']}</th>"
            f"<th>{t('after', lang)}<br>{a['start']} … {a['end']}</th><th>{t('change', lang)}</th></tr>")
    rows = []
    dec = f["decomposition"]
    for k, unit in FACTOR_UNITS.items():
        contrib = _fmt(dec["contributions"][k], "money") if dec else "–"
        rows.append(f"<tr><td>{t(k, lang)}</td><td>{_fmt(b['factors'][k], unit)}</td>"
                    f"<td>{_fmt(a['factors'][k], unit)}</td><td>{contrib}</td></tr>")
    rows.append(f"<tr><td><b>{t('new_sales', lang)}</b></td><td>{_fmt(b['sales'], 'money')}</td>"
                f"<td>{_fmt(a['sales'], 'money')}</td><td>{_fmt(dec['total_change'] if dec else None, 'money')}</td>"
                f"</tr>")
    if dec:
        chart = svg.waterfall(
            (t("before", lang), b["sales"]),
            [(t(k, lang), dec["contributions"][k]) for k in FACTOR_UNITS],
            (t("after", lang), a["sales"]),
        )
    else:
        chart = svg.empty(f"{t('no_data', lang)}: {f['note']}", "waterfall")
    return (f"<h2>{t('funnel', lang)}</h2><p class='note'>{escape(t('funnel_note', lang))}</p>"
            f"<div class='row'><table>{head}{''.join(rows)}</table><div class='card'>{chart}</div></div>")


def _staff(data: dict[str, Any], lang: str) -> str:
    rows = data["staff"]
    chart = svg.intervals([f"{r['name'] or r['staff_id']} ({r['friends']})" for r in rows],
                          [r["rate"] for r in rows], [r["low"] for r in rows], [r["high"] for r in rows],
                          rows[0]["team"] if rows else None, [r["flag"] for r in rows], t("no_data", lang))
    return (f"<h2>{t('staff', lang)}</h2><p class='note'>{escape(t('staff_note', lang))}</p>"
            f"<div class='card'>{chart}</div>")


def _script(data: dict[str, Any], lang: str) -> str:
    def chart(rows: list[dict[str, Any]]) -> str:
        drops = [r["drop"] or 0.0 for r in rows]
        worst = drops.index(max(drops)) if rows and max(drops) > 0 else None
        return svg.bars([r["script_line_id"] for r in rows], [r["rate"] for r in rows], "rate",
                        t("no_data", lang), worst)

    who = t("script_of", lang, staff=data["script_staff"] or "–")
    return (f"<h2>{t('script', lang)}</h2><div class='grid'>"
            f"<div class='card'><h3>{escape(who)}</h3>{chart(data['script'])}</div>"
            f"<div class='card'><h3>{t('team', lang)}</h3>{chart(data['team_script'])}</div></div>")


def _cohort(data: dict[str, Any], lang: str) -> str:
    rows = sorted({str(c["cohort"])[:7] for c in data["cohorts"]})
    months = sorted({int(c["month"]) for c in data["cohorts"]})
    cols = [f"{t('month', lang)}{m}" for m in months]
    cells = {(str(c["cohort"])[:7], f"{t('month', lang)}{c['month']}"): float(c["rate"]) for c in data["cohorts"]}
    return f"<h2>{t('cohort', lang)}</h2><div class='card'>{svg.heatmap(rows, cols, cells, t('no_data', lang))}</div>"


def render_report(data: dict[str, Any], lang: str = "zh", brand: str = "", health_days: int = 365) -> str:
    """The whole page; `data` comes from `siyu.metrics.collect`."""
    if lang not in ("zh", "en"):
        raise UserError(f"--lang must be 'zh' or 'en', not {lang!r}")
    warn = "" if data["person_map"] else f"<p class='note warn'>{escape(t('fallback', lang))}</p>"
    title = f"{brand} · {t('title', lang)}" if brand else t("title", lang)
    body = "".join([
        f"<h1>{escape(title)}</h1><p class='note'>{t('as_of', lang)} {data['as_of']}</p>{warn}",
        _health(data, lang, health_days), _funnel(data, lang), _staff(data, lang), _script(data, lang),
        _cohort(data, lang), _trends(data, lang),
    ])
    html_lang = "zh-CN" if lang == "zh" else "en"
    return (f"<!doctype html><html lang='{html_lang}'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width,initial-scale=1'><title>{escape(title)}</title>"
            f"<style>{CSS}</style></head><body>{body}</body></html>")


def write_report(path: Path, html: str) -> None:
    """Write atomically: a half-written report never replaces a good one."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)
