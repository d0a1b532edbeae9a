"""Customers: search (phone, masked phone, name, channel id) and the 360 page, masked unless unmasked with a
reason by a role that may (the API's own route functions, so the same scope, masking and audit apply)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from siyu.api.routes import journeys, loyalty, persons
from siyu.web.pages.serve import serve
from siyu.web.render import PageFailed, Viewer, attempt, page

router = APIRouter()
KINDS = ("phone", "name", "channel_uid", "person_id")
PAGE = 20
TASKS = 20  # a customer's tasks on the 360 page, soonest due first


@router.get("/customers")
def customers(request: Request, q: Annotated[str, Query(max_length=255)] = "",
              kind: Literal["phone", "name", "channel_uid", "person_id"] = "phone",
              channel: Annotated[str, Query(max_length=40)] = "", offset: Annotated[int, Query(ge=0)] = 0
              ) -> Response:
    def body(who: Viewer) -> Response:
        result: Any = None
        if q.strip():
            term = {k: (q.strip() if k == kind else None) for k in KINDS}
            result = attempt(persons.person_page, request, **term, channel=channel or None, limit=PAGE,
                             offset=offset, unmask=False, reason=None)
        return page(request, "customers.html", {"q": q, "kind": kind, "kinds": KINDS, "channel": channel,
                                                "result": result, "offset": offset, "size": PAGE}, who)

    return serve(request, "persons:read", body)


@router.get("/customers/{person_id}")
def customer(request: Request, person_id: str, unmask: bool = False,
             reason: Annotated[str | None, Query(max_length=500)] = None) -> Response:
    def body(who: Viewer) -> Response:
        try:
            found = attempt(persons.person_document, request, person_id, unmask=unmask, reason=reason)
        except PageFailed as exc:
            if exc.status == 404:
                raise PageFailed(404, who.t("no_customer", person_id=person_id)) from None
            raise
        timeline = sorted(found["orders"], key=lambda o: str(o["created_at"] or ""), reverse=True)
        wallet = attempt(loyalty.balances, request, person_id) if who.may("loyalty:read") else None
        todo = attempt(journeys.list_tasks, request, status=None, owner=None, overdue=False, person_id=person_id,
                       limit=TASKS, offset=0) if who.may("tasks:read") else None
        return page(request, "customer.html", {"p": found, "profile": found["profile"], "timeline": timeline,
                                               "wallet": wallet, "tasks": todo,
                                               "unmasked": unmask, "may_unmask": who.may("pii:unmask")}, who)

    return serve(request, "persons:read", body)
