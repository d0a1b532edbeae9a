"""Store guides: attribution and its revenue share, the leaderboard, monthly statements, handovers. Thin: each
route parses, calls one siyu.guides function on the serving warehouse and answers. A guide reads only their own
statement: any other guide's is 404, as if it did not exist."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request
from pydantic import BaseModel, Field

from siyu.api.security import config, guarded, user_of
from siyu.auth import audit
from siyu.guides.attribution import attribute, revenue_share
from siyu.guides.commission import Statement, statements
from siyu.guides.leaderboard import leaderboard
from siyu.guides.owners import hand_over
from siyu.guides.periods import month_bounds
from siyu.guides.settings import guide_settings
from siyu.metrics.settings import metrics_config

router = APIRouter(prefix="/guides", tags=["guides"])

StaffId = Annotated[str, Path(min_length=1, max_length=120, pattern=r"^[A-Za-z0-9_.:-]+$", examples=["S0001"])]
Month = Annotated[str, Query(pattern=r"^\d{4}-\d{2}$", examples=["2026-03"], description="YYYY-MM")]


def _yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def statement_json(st: Statement) -> dict[str, Any]:
    return {"guide_id": st.guide_id, "month": st.month, "earned": _yuan(st.earned_fen),
            "clawback": _yuan(st.clawback_fen), "total": _yuan(st.total_fen),
            "lines": [{"channel": ln.channel, "order_id": ln.order_id, "rule": ln.rule, "reason": ln.reason,
                       "kind": ln.kind, "basis": _yuan(ln.basis_fen), "commission": _yuan(ln.commission_fen)}
                      for ln in st.lines]}


@router.get("/attribution", **guarded("guides:read"))
def attribution(request: Request, start: dt.date, end: dt.date) -> dict[str, Any]:
    """Orders of [start, end] attributed to guides (direct: share or till; indirect: after a 1:1 conversation),
    and their share of net sales."""
    if end < start:
        raise HTTPException(422, "end is before start")
    cfg = config(request)
    rules = guide_settings(cfg.settings)
    with cfg.serving.reader() as eng:
        n = attribute(eng, rules, start, end)
        return {"start": start.isoformat(), "end": end.isoformat(), "orders": n,
                **revenue_share(eng, rules, start, end)}


@router.get("/leaderboard", **guarded("guides:read"))
def board(request: Request, month: Month) -> dict[str, Any]:
    """Friends added, first-order conversion, repurchase and attributed sales per guide, best sales first."""
    cfg = config(request)
    with cfg.serving.reader() as eng:
        rows = leaderboard(eng, guide_settings(cfg.settings), *month_bounds(month),
                           metrics_config(cfg.settings).settings)
    return {"month": month, "guides": [{**r, "attributed_sales": str(r["attributed_sales"])} for r in rows]}


@router.get("/{staff_id}/statement", **guarded("guides:statement"))
def statement(request: Request, staff_id: StaffId, month: Month) -> dict[str, Any]:
    """The guide's commission for the month: each attributed order's commission and each refund's clawback."""
    user = user_of(request)
    if user.scoped and user.staff_id != staff_id:
        raise HTTPException(404, "no such guide")
    cfg = config(request)
    with cfg.serving.reader() as eng:
        found = statements(eng, guide_settings(cfg.settings), month, staff_id)
    return statement_json(found.get(staff_id, Statement(staff_id, month)))


@router.get("/{staff_id}/summary", **guarded("guides:statement"))
def summary(request: Request, staff_id: StaffId, month: Month) -> dict[str, Any]:
    """The guide's own leaderboard row for the month (friends added, conversion, repurchase, attributed sales)
    and their place on it; a guide reads only their own (anyone else's is 404)."""
    user = user_of(request)
    if user.scoped and user.staff_id != staff_id:
        raise HTTPException(404, "no such guide")
    cfg = config(request)
    with cfg.serving.reader() as eng:
        rows = leaderboard(eng, guide_settings(cfg.settings), *month_bounds(month),
                           metrics_config(cfg.settings).settings)
    place = next((i for i, r in enumerate(rows, 1) if r["guide_id"] == staff_id), None)
    row = rows[place - 1] if place else {"guide_id": staff_id, "friends_added": 0, "first_order_conversion": None,
                                         "repurchase": None, "attributed_sales": 0}
    return {"month": month, "rank": place, "guides": len(rows),
            **{**row, "attributed_sales": str(row["attributed_sales"])}}


class Handover(BaseModel):
    to_staff_id: str = Field(min_length=1, max_length=120, pattern=r"^[A-Za-z0-9_.:-]+$")
    reason: str = Field(min_length=1, max_length=500, pattern=r"\S")


@router.post("/{staff_id}/handover", status_code=201, **guarded("guides:handover"))
def handover(request: Request, staff_id: StaffId, body: Handover) -> dict[str, Any]:
    """Move every customer the guide owns to a colleague (audited); the old friendships stay on record."""
    cfg = config(request)
    user = user_of(request)
    with cfg.serving.reader() as eng:
        hid = hand_over(eng, cfg.store, staff_id, body.to_staff_id, user.name, body.reason)
    audit.record(cfg.store, user, "guides.handover", f"{staff_id} → {body.to_staff_id} (handover {hid})",
                 body.reason)
    return {"handover_id": hid}
