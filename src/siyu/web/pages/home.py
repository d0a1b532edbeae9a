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
    result = attempt(analytics.metric_page, request, metric=metric, grain=grain, slice=slice_name, period_from=None,
                     period_to=None, limit=500, offset=0)
    return result.items


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


@router.get("/")
def home(request: Request, metric: Annotated[str, Query(max_length=60)] = "private_domain_size",
         grain: Literal["week", "month"] = "month", slice: Annotated[str, Query(max_length=20)] = "all") -> Response:
    def body(who: Viewer) -> Response:
        health = attempt(analytics.health_score, request)
        as_of: dt.date = health["as_of"]
        chosen = metric if metric in TREND_CHOICES else "private_domain_size"
        by = slice if slice in SLICES else "all"
        g = "month" if by != "all" else grain  # slices are kept by month
        cut = unfinished(g, as_of)
        rows = _rows(request, chosen, g, by)
        no_data = who.t("no_data")
        unit = charts.metric_unit(chosen)
        if by == "all":
            shown = [r for r in rows if r["period"] != cut]
            chart = charts.trend(shown, unit, no_data)
        else:
            periods = sorted({r["period"] for r in rows if r["period"] != cut})
            latest = periods[-1] if periods else None
            shown = [r for r in rows if r["period"] == latest]
            chart = charts.slice_bars(shown, unit, no_data)
        comps = health["components"]
        values = {
            "health": health, "summary": health["summary"][who.lang], "as_of": as_of,
            "gauge": charts.gauge(health["score"], who.t("health"), no_data),
            "components": charts.components([who.t("health_" + c["name"]) for c in comps],
                                            [c["score"] for c in comps], no_data),
            "headline": [_headline(request, m, unfinished("month", as_of)) for m in HEADLINE],
            "growth": charts.fmt(next((c["value"] for c in comps if c["name"] == "growth"), None), "rate"),
            "metric": chosen, "grain": g, "slice": by, "chart": chart, "cut": cut,
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
