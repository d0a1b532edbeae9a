"""Home: the health score with its worst components in words, the headline measures and their trends."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from siyu.api.routes import analytics
from siyu.metrics.periods import unfinished
from siyu.web import charts
from siyu.web.pages.serve import redirect, serve
from siyu.web.render import Viewer, attempt, page

router = APIRouter()
HEADLINE = ("private_domain_size", "acquisition_rate", "first_order_conversion", "repurchase_rate",
            "activity_rate", "churn_rate", "private_domain_contribution")
TREND_CHOICES = (*HEADLINE, "average_order_value", "stored_value_rate", "staff_reply_minutes_median",
                 "group_active_members")
SLICES = ("all", "channel", "staff", "store", "add_source", "group")


def _rows(request: Request, metric: str, grain: str, slice_name: str) -> list[dict[str, Any]]:
    """Every row of one metric, grain and slice, page by page (a slice's values × months pass one page)."""
    rows: list[dict[str, Any]] = []
    while True:
        result = attempt(analytics.metric_page, request, metric=metric, grain=grain, slice=slice_name,
                         period_from=None, period_to=None, limit=500, offset=len(rows))
        rows += result.items
        if not result.items or len(rows) >= result.total:
            return rows


def _headline(request: Request, metric: str, cut: dt.date | None) -> dict[str, Any]:
    """The last finished month's value and its change from the month before."""
    rows = [r for r in _rows(request, metric, "month", "all") if r["period"] != cut]
    rows.sort(key=lambda r: r["period"])
    last = rows[-1] if rows else None
    prev = rows[-2] if len(rows) > 1 else None
    change = (float(last["value"]) - float(prev["value"])) if last and prev and last["value"] is not None \
        and prev["value"] is not None else None
    unit = charts.metric_unit(metric)
    return {"metric": metric, "value": charts.fmt(last["value"] if last else None, unit),
            "period": str(last["period"])[:7] if last else "",
            "change": None if change is None else ("+" if change >= 0 else "") + charts.fmt(change, unit)}


def _slice_charts(request: Request, who: Viewer, rows: list[dict[str, Any]], chosen: str, cut: dt.date | None,
                  value: str) -> dict[str, Any]:
    """A slice's bars for its last finished month, and one value's trend (the picked one, else the largest)
    beside the team's; the unfinished period is left out of both, as the team's trend leaves it out."""
    unit, no_data = charts.metric_unit(chosen), who.t("no_data")
    finished = [r for r in rows if r["period"] != cut]
    latest = max((r["period"] for r in finished), default=None)
    values = charts.slice_sizes(finished, latest)
    picked = value if value in values else (values[0] if values else "")
    mine = [r for r in finished if str(r["slice_value"]) == picked]
    team = [r for r in _rows(request, chosen, "month", "all") if r["period"] != cut]
    names = (picked, who.t("slice_all"))
    return {"chart": charts.slice_bars([r for r in finished if r["period"] == latest], unit, no_data),
            "values": values, "value": picked,
            "value_chart": charts.slice_trend(mine, team, names, unit, no_data) if picked else None}


@router.get("/")
def home(request: Request, metric: Annotated[str, Query(max_length=60)] = "private_domain_size",
         grain: Literal["week", "month"] = "month", slice: Annotated[str, Query(max_length=20)] = "all",
         value: Annotated[str, Query(max_length=200)] = "") -> Response:
    def body(who: Viewer) -> Response:
        health = attempt(analytics.health_score, request)
        as_of: dt.date = health["as_of"]
        chosen = metric if metric in TREND_CHOICES else "private_domain_size"
        by = slice if slice in SLICES else "all"
        g = "month" if by != "all" else grain  # slices are kept by month
        cut = unfinished(g, as_of)
        rows = _rows(request, chosen, g, by)
        no_data = who.t("no_data")
        if by == "all":
            shown = [r for r in rows if r["period"] != cut]
            sliced: dict[str, Any] = {"chart": charts.trend(shown, charts.metric_unit(chosen), no_data),
                                      "values": [], "value": "", "value_chart": None}
        else:
            sliced = _slice_charts(request, who, rows, chosen, cut, value)
        comps = health["components"]
        values = {
            "health": health, "summary": health["summary"][who.lang], "as_of": as_of,
            "gauge": charts.gauge(health["score"], who.t("health"), no_data),
            "components": charts.components([who.t("health_" + c["name"]) for c in comps],
                                            [c["score"] for c in comps], no_data),
            "headline": [_headline(request, m, unfinished("month", as_of)) for m in HEADLINE],
            "growth": charts.fmt(next((c["value"] for c in comps if c["name"] == "growth"), None), "rate"),
            "metric": chosen, "grain": g, "slice": by, "cut": cut, **sliced,
            "choices": [(m, charts.metric_words(m, who.lang)) for m in TREND_CHOICES], "slices": SLICES,
            "words": lambda m: charts.metric_words(m, who.lang),
        }
        return page(request, "home.html", values, who)

    def landing(who: Viewer) -> Response:
        if who.may("metrics:read"):
            return body(who)
        nav = who.nav()  # a guide lands on the first page their role may open
        if nav:
            return redirect(nav[0][0])
        return page(request, "error.html", {"status": 403, "detail": who.t("forbidden", role=who.user.role)}, who)

    return serve(request, None, landing)
