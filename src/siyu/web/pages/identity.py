"""Identity review: the uncertain pairs with both sides' evidence, merge / keep apart / undo (through the API)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from siyu.api.routes import identity
from siyu.web.pages.serve import serve
from siyu.web.render import Viewer, attempt, page

router = APIRouter()


@router.get("/identity")
def review(request: Request, offset: Annotated[int, Query(ge=0)] = 0) -> Response:
    def body(who: Viewer) -> Response:
        queue = attempt(identity.queue, request, low=None, high=None, limit=20, offset=offset)
        taken = attempt(identity.list_decisions, request, limit=20, offset=0)
        return page(request, "identity.html", {"queue": queue, "decisions": taken, "offset": offset,
                                               "may_decide": who.may("identity:decide")}, who)

    return serve(request, "identity:read", body)
