"""The KOC programme: candidates with their evidence, the roster with states, a state changed with a reason
(through the API, audited there)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from siyu.api.routes import koc
from siyu.koc.roster import PATHS
from siyu.web.pages.dataday import data_month
from siyu.web.pages.serve import serve
from siyu.web.render import Viewer, attempt, page

router = APIRouter()


@router.get("/koc")
def koc_page(request: Request) -> Response:
    def body(who: Viewer) -> Response:
        day, _ = data_month(request)
        found = attempt(koc.candidates, request, day)
        members = attempt(koc.roster, request, None)["members"]
        on_roster = {m["person_id"] for m in members}
        return page(request, "koc.html", {"candidates": found, "members": members, "on_roster": on_roster,
                                          "paths": PATHS, "may_write": who.may("koc:write")}, who)

    return serve(request, "koc:read", body)
