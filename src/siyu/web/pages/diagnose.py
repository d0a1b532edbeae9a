"""Diagnose (DOMAIN.md §5): the funnel decomposition, then the staff members against the team with intervals,
then one member's script lines with the reply rate after each."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from siyu.api.routes import analytics
from siyu.web import charts
from siyu.web.pages.serve import serve
from siyu.web.render import Viewer, attempt, page

router = APIRouter()
FACTORS = {"parcels": "count", "acquisition_rate": "rate", "first_order_conversion": "rate",
           "first_order_value": "money"}


def _rows(funnel: dict[str, Any]) -> list[dict[str, Any]]:
    b, a, dec = funnel["before"], funnel["after"], funnel.get("decomposition")
    return [{"factor": k, "before": charts.fmt(b["factors"][k], unit), "after": charts.fmt(a["factors"][k], unit),
             "contribution": charts.fmt(dec["contributions"][k], "money") if dec else "–"}
            for k, unit in FACTORS.items()]


@router.get("/diagnose")
def diagnose(request: Request, factor: Annotated[str, Query(max_length=40)] = "",
             staff: Annotated[str, Query(max_length=40)] = "") -> Response:
    def body(who: Viewer) -> Response:
        funnel = attempt(analytics.funnel, request)
        dec = funnel.get("decomposition")
        no_data = who.t("no_data")
        b, a = funnel["before"], funnel["after"]
        chart = charts.waterfall((who.t("before"), b["sales"]),
                                 [(who.t(k), dec["contributions"][k]) for k in FACTORS],
                                 (who.t("after"), a["sales"])) if dec else None
        chosen = factor if factor in FACTORS else ""
        people: list[dict[str, Any]] = attempt(analytics.funnel_staff, request)["items"] if chosen else []
        script = attempt(analytics.funnel_script, request, staff_id=staff or None) if chosen and staff else None
        return page(request, "diagnose.html", {
            "funnel": funnel, "rows": _rows(funnel), "chart": chart, "factor": chosen, "staff": staff,
            "people": people, "people_chart": charts.staff_intervals(people, no_data) if chosen else None,
            "script": script,
            "script_chart": charts.script_bars(script["items"], no_data) if script else None,
            "team_chart": charts.script_bars(script["team"], no_data) if script else None,
            "sales_before": charts.fmt(b["sales"], "money"), "sales_after": charts.fmt(a["sales"], "money"),
            "total_change": charts.fmt(dec["total_change"] if dec else None, "money")}, who)

    return serve(request, "metrics:read", body)
