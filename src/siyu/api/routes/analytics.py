"""Tags, metrics and the funnel: what `siyu run` computed, as the report shows it."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request

from siyu.api.pages import Limit, Offset, Page
from siyu.api.security import config, guarded

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
) -> Page:
    """Metric values by period and slice (the report's rows: metric, grain, period, slice, slice_value,
    numerator, denominator, value)."""
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
        items = eng.query(f"SELECT metric, grain, period, slice, slice_value, numerator, denominator, value "
                          f"FROM metric_value WHERE {where} ORDER BY metric, grain, slice, slice_value, period "
                          f"LIMIT {limit} OFFSET {offset}", params).to_pylist()
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
