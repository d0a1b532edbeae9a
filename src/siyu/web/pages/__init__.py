"""The console's pages, one module per area; `router` holds them all under /console."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import RedirectResponse

from siyu.web.pages import customers, diagnose, engage, frame, guides, home, identity, koc, operations, segments
from siyu.web.render import BASE

router = APIRouter(prefix=BASE, include_in_schema=False)
for module in (frame, home, diagnose, customers, segments, identity, operations, engage, guides, koc):
    router.include_router(module.router)


@router.get("")
def bare() -> RedirectResponse:
    return RedirectResponse(BASE + "/", status_code=303)
