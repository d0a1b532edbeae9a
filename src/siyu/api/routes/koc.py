"""The KOC programme and referral invitations. Thin: each route parses, calls one siyu.koc or siyu.referrals
function and answers; every change is audited with its reason."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request
from pydantic import BaseModel, Field

from siyu.api.security import config, guarded, user_of
from siyu.auth import audit
from siyu.koc import roster as koc_roster
from siyu.koc.candidates import candidates as find_candidates
from siyu.koc.evaluation import evaluate_month, rotation, top_of_year
from siyu.koc.groups import assign, below_minimum, suggest
from siyu.koc.settings import koc_settings
from siyu.referrals.invites import invitations, review

router = APIRouter(tags=["koc"])

PersonId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$", examples=["P0000000002"])]
GroupId = Annotated[str, Path(min_length=1, max_length=255, examples=["G000001"])]
Month = Annotated[str, Query(pattern=r"^\d{4}-\d{2}$", examples=["2026-03"], description="YYYY-MM")]
Reason = Annotated[str, Field(min_length=1, max_length=500, pattern=r"\S", description="why (audited)")]


def _json(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in row.items()}  # money as decimal strings


@router.get("/koc/candidates", **guarded("koc:read"))
def candidates(request: Request, as_of: dt.date | None = None) -> dict[str, Any]:
    """Persons passing the `[koc]` rule on `as_of` (today by default) with their evidence."""
    cfg = config(request)
    day = as_of or cfg.settings.brand.today()
    with cfg.serving.reader() as eng:
        rows = find_candidates(eng, koc_settings(cfg.settings), day)
    return {"as_of": day.isoformat(), "candidates": [_json(r) for r in rows]}


@router.get("/koc/roster", **guarded("koc:read"))
def roster(request: Request, state: Annotated[str | None, Query(max_length=20)] = None) -> dict[str, Any]:
    found = koc_roster.roster(config(request).store, state)
    return {"members": [{"person_id": p, "state": s} for p, s in found.items()]}


@router.get("/koc/{person_id}/history", **guarded("koc:read"))
def history(request: Request, person_id: PersonId) -> dict[str, Any]:
    """Every state change of the person, oldest first, with who and why."""
    try:
        changes = koc_roster.history_of(config(request).store, person_id)
    except koc_roster.NotFound:
        raise HTTPException(404, "no such KOC") from None
    return {"person_id": person_id, "history": [
        {"from": c.from_state, "to": c.to_state, "user": c.user_name, "reason": c.reason, "at": c.at.isoformat()}
        for c in changes]}


class StateChange(BaseModel):
    state: str = Field(min_length=1, max_length=20)
    reason: Reason


@router.post("/koc/{person_id}/state", **guarded("koc:write"))
def change_state(request: Request, person_id: PersonId, body: StateChange) -> dict[str, Any]:
    """Move a person along the programme (candidate → approved → active ⇄ standby; anyone → retired). A KOC going
    to standby or retired gives up their groups (`released_groups`)."""
    cfg, user = config(request), user_of(request)
    c = koc_roster.change(cfg.store, person_id, body.state, user.name, body.reason)
    gave_up = f" (gave up {', '.join(c.released)})" if c.released else ""
    audit.record(cfg.store, user, "koc.state", f"{person_id}: {c.from_state} → {c.to_state}{gave_up}", body.reason)
    return {"person_id": person_id, "from": c.from_state, "to": c.to_state, "released_groups": list(c.released)}


@router.get("/koc/groups/suggestions", **guarded("koc:read"))
def suggestions(request: Request, as_of: dt.date | None = None) -> dict[str, Any]:
    cfg = config(request)
    kcfg = koc_settings(cfg.settings)
    with cfg.serving.reader() as eng:
        found = suggest(eng, cfg.store, kcfg, as_of or cfg.settings.brand.today())
        short = below_minimum(eng, cfg.store, kcfg, found)
    return {"suggestions": [{"group_id": s.group_id, "person_id": s.person_id, "premium": s.premium,
                             "messages": s.messages, "persona": s.persona} for s in found],
            "below_minimum": [{"person_id": p, "groups": n} for p, n in short.items()]}


class Assignment(BaseModel):
    person_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")


@router.put("/koc/groups/{group_id}", **guarded("koc:write"))
def put_assignment(request: Request, group_id: GroupId, body: Assignment) -> dict[str, Any]:
    """Give the group to a KOC (replacing whoever had it), within the premium/normal limits."""
    cfg, user = config(request), user_of(request)
    with cfg.serving.reader() as eng:
        assign(eng, cfg.store, koc_settings(cfg.settings), group_id, body.person_id, user.name)
    audit.record(cfg.store, user, "koc.assign", f"{group_id} → {body.person_id}")
    return {"group_id": group_id, "person_id": body.person_id}


@router.get("/koc/evaluation", **guarded("koc:read"))
def evaluation(request: Request, month: Month) -> dict[str, Any]:
    """Each KOC's groups in the month (speakers, messages, exits, members' sales) and content tasks, ranked, with
    rotation suggestions."""
    cfg = config(request)
    kcfg = koc_settings(cfg.settings)
    with cfg.serving.reader() as eng:
        rows = evaluate_month(eng, cfg.store, month, kcfg)
        moves = rotation(eng, cfg.store, kcfg, month)
    return {"month": month, "kocs": [_json(r) for r in rows],
            "rotation": [{"person_id": m.person_id, "action": m.action, "reason": m.reason} for m in moves]}


@router.get("/koc/top", **guarded("koc:read"))
def top(request: Request, year: Annotated[int, Query(ge=1900, le=2999, examples=[2026])],
        n: Annotated[int, Query(ge=1, le=100)] = 10) -> dict[str, Any]:
    """The year's top `n` KOCs (10 by default): the monthly evaluation's ranking over the whole year, for the KOCs
    holding groups now."""
    cfg = config(request)
    with cfg.serving.reader() as eng:
        rows = top_of_year(eng, cfg.store, year, n, koc_settings(cfg.settings))
    return {"year": year, "kocs": [_json(r) for r in rows]}


@router.get("/referrals", **guarded("referrals:read"))
def referrals(request: Request, status: Annotated[str | None, Query(max_length=20)] = None,
              inviter: Annotated[str | None, Query(max_length=64)] = None) -> dict[str, Any]:
    rows = invitations(config(request).store, inviter, status)
    return {"invitations": [{k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in r.items()}
                            for r in rows]}


class Review(BaseModel):
    clear: bool
    reason: Reason


@router.post("/referrals/{person_id}/review", **guarded("referrals:review"))
def review_invitation(request: Request, person_id: PersonId, body: Review) -> dict[str, Any]:
    """Clear a held invitation (rewarded at the next sync) or reject it."""
    cfg, user = config(request), user_of(request)
    status = review(cfg.store, person_id, body.clear, user.name, body.reason)
    audit.record(cfg.store, user, "referrals.review", f"{person_id}: {status}", body.reason)
    return {"invitee_id": person_id, "status": status}
