"""The identity review queue and operators' merge/split decisions (honoured by the next run)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from siyu.api.pages import Limit, Offset, Page
from siyu.api.security import config, guarded, user_of
from siyu.auth import audit
from siyu.identity.decisions import decide, decisions, undo
from siyu.identity.queue import review_queue
from siyu.identity.settings import identity_settings

router = APIRouter(tags=["identity"])


class Decision(BaseModel):
    kind: Literal["merge", "split"]
    a: str = Field(min_length=3, max_length=255, pattern=r"^[a-z_]+:.+$", examples=["tmall:tb123"])
    b: str | None = Field(default=None, min_length=3, max_length=255, pattern=r"^[a-z_]+:.+$")
    note: str = Field(default="", max_length=1000)


@router.get("/identity/queue", response_model=Page, **guarded("identity:read"))
def queue(request: Request, low: Annotated[float | None, Query(ge=0, le=1)] = None,
          high: Annotated[float | None, Query(ge=0, le=1)] = None, limit: Limit = 50, offset: Offset = 0) -> Page:
    """Pairs Splink scored with low <= probability < high, most uncertain first, with what they share. The band
    defaults to [match_threshold - 0.1, match_threshold + 0.09) of [identity] in siyu.toml."""
    cfg = config(request)
    threshold = identity_settings(cfg.settings).match_threshold
    low = max(0.0, threshold - 0.1) if low is None else low
    high = min(1.0, threshold + 0.09) if high is None else high
    with cfg.serving.reader() as eng:
        items, total = review_queue(eng, low, high, limit, offset)
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.post("/identity/decisions", status_code=201, **guarded("identity:decide"))
def make_decision(body: Decision, request: Request) -> dict[str, object]:
    """Merge two identities or split one off; the next `siyu run` applies it."""
    cfg, user = config(request), user_of(request)
    decision_id = decide(cfg.store, user, body.kind, body.a, body.b, body.note)
    audit.record(cfg.store, user, f"identity-{body.kind}", f"{body.a} {body.b or ''}".strip(), body.note)
    return {"id": decision_id, "status": "pending: applied by the next run"}


@router.delete("/identity/decisions/{decision_id}", **guarded("identity:decide"))
def withdraw_decision(decision_id: int, request: Request) -> dict[str, object]:
    """Undo a decision the next run has not applied yet (400 once applied: record the opposite one)."""
    cfg, user = config(request), user_of(request)
    row = undo(cfg.store, decision_id)
    audit.record(cfg.store, user, "identity-undo", f"#{decision_id} {row['kind']} {row['a']} {row['b'] or ''}".strip(),
                 "")
    return {"id": decision_id, "status": "withdrawn"}


@router.get("/identity/decisions", response_model=Page, **guarded("identity:read"))
def list_decisions(request: Request, limit: Limit = 50, offset: Offset = 0) -> Page:
    """Decisions taken in the service, newest first, with the run that applied each."""
    items, total = decisions(config(request).store, limit, offset)
    return Page(items=items, total=total, limit=limit, offset=offset)
