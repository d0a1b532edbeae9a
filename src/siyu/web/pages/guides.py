"""Store guides: the leaderboard (operators), a guide's dashboard (their row and attributed sales) and monthly
commission statement; a guide opens only their own (another's is the API's 404)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from siyu.api.routes import guides
from siyu.web.pages.dataday import data_month
from siyu.web.pages.serve import redirect, serve
from siyu.web.render import BASE, PageFailed, Viewer, attempt, page

router = APIRouter()
MonthParam = Annotated[str, Query(pattern=r"^(\d{4}-\d{2})?$")]


@router.get("/guides")
def board_page(request: Request, month: MonthParam = "") -> Response:
    def body(who: Viewer) -> Response:
        chosen = month or data_month(request)[1]
        board = attempt(guides.board, request, chosen)
        return page(request, "guides.html", {"board": board, "month": chosen,
                                             "may_statement": who.may("guides:statement")}, who)

    return serve(request, "guides:read", body)


@router.get("/guides/me")
def my_page(request: Request) -> Response:
    def body(who: Viewer) -> Response:
        if not who.user.staff_id:
            raise PageFailed(404, who.t("no_staff_id"))
        return redirect(f"{BASE}/guides/{who.user.staff_id}")

    return serve(request, "guides:statement", body)


@router.get("/guides/{staff_id}")
def guide_page(request: Request, staff_id: Annotated[str, Path(max_length=120)], month: MonthParam = "") -> Response:
    def body(who: Viewer) -> Response:
        chosen = month or data_month(request)[1]
        row = attempt(guides.summary, request, staff_id, chosen)
        statement = attempt(guides.statement, request, staff_id, chosen)
        return page(request, "guide.html", {"row": row, "statement": statement, "month": chosen,
                                            "staff_id": staff_id}, who)

    return serve(request, "guides:statement", body)
