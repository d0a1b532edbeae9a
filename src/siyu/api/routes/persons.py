"""Person search and the 360 view."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, Response

from siyu.api.fastjson import fast_json
from siyu.api.pages import Limit, Offset, Page
from siyu.api.security import config, guarded, scope_of, unmasking, user_of
from siyu.auth import audit
from siyu.persons import Query as PersonQuery
from siyu.persons import person_360, search

router = APIRouter(tags=["persons"])

Unmask = Annotated[bool, Query(description="show names, phones, addresses and chat text in full (needs pii:unmask)")]
Reason = Annotated[str | None, Query(max_length=500, description="why you unmask (audited); required to unmask")]


@router.get("/persons", response_model=Page, **guarded("persons:read"))
def find_persons(
    request: Request,
    phone: Annotated[str | None, Query(max_length=40, description="full 13812345678 or masked 138****5678")] = None,
    name: Annotated[str | None, Query(max_length=120)] = None,
    channel_uid: Annotated[str | None, Query(max_length=255)] = None,
    channel: Annotated[str | None, Query(max_length=40)] = None,
    person_id: Annotated[str | None, Query(max_length=40)] = None,
    limit: Limit = 20, offset: Offset = 0, unmask: Unmask = False, reason: Reason = None,
) -> Response:
    """Find persons; a guide finds only their own or their store's customers."""
    return fast_json(person_page(request, phone, name, channel_uid, channel, person_id, limit, offset, unmask,
                                 reason))


def person_page(request: Request, phone: str | None = None, name: str | None = None, channel_uid: str | None = None,
                channel: str | None = None, person_id: str | None = None, limit: int = 20, offset: int = 0,
                unmask: bool = False, reason: str | None = None) -> Page:
    """What GET /persons answers, as a Page (the console's search reads it too)."""
    cfg, user = config(request), user_of(request)
    full = unmasking(request, unmask, reason)
    query = PersonQuery(phone or None, name or None, channel_uid or None, channel or None, person_id or None)
    with cfg.serving.reader() as eng:
        items, total = search(eng, query, scope_of(user), limit, offset, full)
    if full:
        audit.record(cfg.store, user, "unmask", f"search: {len(items)} persons", reason or "")
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.get("/persons/{person_id}", response_model=dict[str, Any], **guarded("persons:read"))
def view_person(request: Request, person_id: str, unmask: Unmask = False, reason: Reason = None) -> Response:
    """The 360 view: identities, orders, messages, groups, tags with history, CLV, owner staff and store.
    404 for an unknown person and for one outside a guide's scope alike."""
    return fast_json(person_document(request, person_id, unmask, reason))


def person_document(request: Request, person_id: str, unmask: bool = False, reason: str | None = None
                    ) -> dict[str, Any]:
    """What GET /persons/{person_id} answers (the console's 360 page reads it too)."""
    cfg, user = config(request), user_of(request)
    full = unmasking(request, unmask, reason)
    with cfg.serving.reader() as eng:
        found = person_360(eng, person_id, scope_of(user), full)
    if found is None:
        raise HTTPException(404, "no such person")
    if full:
        audit.record(cfg.store, user, "unmask", person_id, reason or "")
    return found
