"""Tags, metrics and the funnel: what `siyu run` computed, as the report shows it."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response

from siyu.api.fastjson import fast_json
from siyu.api.pages import Limit, Offset, Page
from siyu.api.security import config, guarded
from siyu.metrics.health import stored_health
from siyu.metrics.settings import metrics_config

router = APIRouter(tags=["analytics"])


@router.get("/tags", response_model=Page, **guarded("tags:read"))
def tags(request: Request, family: Annotated[str | None, Query(max_length=60)] = None,
         limit: Limit = 100, offset: Offset = 0) -> Page:
    """Tags with how many persons carry each now."""
    where, params = ("WHERE family = $family", {"family": family}) if family else ("", {})
    with config(request).serving.reader() as eng:
        total = int(eng.scalar(f"SELECT count(DISTINCT tag) FROM person_tag {where}", params) or 0)
        items = eng.query(f"SELECT tag, family, any_value(source) AS source, count(*) AS persons FROM person_tag "
                          f"{where} GROUP BY tag, family ORDER BY family, tag LIMIT {limit} OFFSET {offset}",
                          params).to_pylist()
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.get("/metrics", response_model=Page, **guarded("metrics:read"))
def metrics(
    request: Request,
    metric: Annotated[str | None, Query(max_length=80, description="e.g. acquisition_rate")] = None,
    grain: Annotated[Literal["day", "week", "month"] | None, Query()] = None,
    slice: Annotated[str | None, Query(max_length=40, description="all, channel, staff, store …")] = None,
    period_from: Annotated[str | None, Query(alias="from", pattern=r"^\d{4}-\d{2}-\d{2}$")] = None,
    period_to: Annotated[str | None, Query(alias="to", pattern=r"^\d{4}-\d{2}-\d{2}$")] = None,
    limit: Limit = 100, offset: Offset = 0,
) -> Response:
    """Metric values by period and slice (the report's rows: metric, grain, period, slice, slice_value,
    numerator, denominator, value)."""
    return fast_json(metric_page(request, metric, grain, slice, period_from, period_to, limit, offset))


def metric_page(request: Request, metric: str | None = None, grain: str | None = None, slice: str | None = None,
                period_from: str | None = None, period_to: str | None = None, limit: int = 100,
                offset: int = 0) -> Page:
    """What GET /metrics answers, as a Page (the console's home reads it too)."""
    conds, params = ["TRUE"], {}
    for col, value in (("metric", metric), ("grain", grain), ("slice", slice)):
        if value:
            conds.append(f"{col} = ${col}")
            params[col] = value
    if period_from:
        conds.append("period >= CAST($pfrom AS DATE)")
        params["pfrom"] = period_from
    if period_to:
        conds.append("period <= CAST($pto AS DATE)")
        params["pto"] = period_to
    where = " AND ".join(conds)
    with config(request).serving.reader() as eng:
        try:
            total = int(eng.scalar(f"SELECT count(*) FROM metric_value WHERE {where}", params) or 0)
        except Exception as exc:  # an impossible date (2026-02-31)
            if "date" in str(exc).lower() and (period_from or period_to):
                raise HTTPException(422, "from/to must be real dates (YYYY-MM-DD)") from None
            raise
        items = eng.rows(f"SELECT metric, grain, period, slice, slice_value, numerator, denominator, value "
                         f"FROM metric_value WHERE {where} ORDER BY metric, grain, slice, slice_value, period "
                         f"LIMIT {int(limit)} OFFSET {int(offset)}", params)
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.get("/funnel", **guarded("metrics:read"))
def funnel(request: Request) -> dict[str, Any]:
    """The funnel decomposition of the last run: parcels → friends → first orders → sales, before and after,
    and how much each factor contributed to the change."""
    with config(request).serving.reader() as eng:
        rows = eng.query("SELECT as_of, funnel FROM metric_funnel ORDER BY as_of DESC LIMIT 1").to_pylist()
    if not rows:
        raise HTTPException(404, "no funnel yet: run `siyu run`")
    return {"as_of": rows[0]["as_of"], **json.loads(rows[0]["funnel"])}


def _as_of(request: Request) -> dt.date:
    with config(request).serving.reader() as eng:
        as_of = eng.scalar("SELECT max(as_of) FROM metric_funnel") if eng.table_exists("metric_funnel") else None
    if not isinstance(as_of, dt.date):
        raise HTTPException(404, "no metrics yet: run `siyu run`")
    return as_of


@router.get("/metrics/health", **guarded("metrics:read"))
def health_score(request: Request) -> dict[str, Any]:
    """The health score of the last run: each component against its target, the three worst in words."""
    as_of = _as_of(request)
    days = metrics_config(config(request).settings).settings.health_days
    with config(request).serving.reader() as eng:
        rows = eng.query("SELECT name, value, target, score, weight FROM metric_health").to_pylist()
    h = stored_health(rows, as_of - dt.timedelta(days=days - 1), as_of)
    return {"as_of": as_of, "days": days, **h.as_dict()}


@router.get("/funnel/staff", **guarded("metrics:read"))
def funnel_staff(request: Request) -> dict[str, Any]:
    """First-order conversion of each staff member against the team's, with 95 % intervals (last run's
    comparison period), lowest first; `flag` is below/above only when the team lies outside the interval."""
    with config(request).serving.reader() as eng:
        items = eng.query("SELECT * FROM metric_staff_conversion ORDER BY rate, staff_id").to_pylist()
    return {"items": items}


@router.get("/funnel/script", **guarded("metrics:read"))
def funnel_script(request: Request,
                  staff_id: Annotated[str | None, Query(max_length=40, description="one staff member")] = None
                  ) -> dict[str, Any]:
    """The reply rate after each script line, for one staff member or the whole team, with the team's beside."""
    with config(request).serving.reader() as eng:
        team = eng.query("SELECT * FROM metric_script_dropoff ORDER BY script_line_id").to_pylist()
        mine: list[dict[str, Any]] = []
        if staff_id and eng.table_exists("metric_script_staff"):
            mine = eng.query("SELECT script_line_id, sent, replied, rate, drop FROM metric_script_staff "
                             "WHERE staff_id = $staff ORDER BY script_line_id", {"staff": staff_id}).to_pylist()
    return {"staff_id": staff_id, "items": mine if staff_id else team, "team": team}
