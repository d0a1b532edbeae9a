"""Staff tasks (due, overdue, done; mark done or skip with a reason) and the journeys' funnels and uplift against
their holdouts, through the journeys API."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from siyu.api.routes import journeys
from siyu.web.pages.serve import serve
from siyu.web.render import Viewer, attempt, page

router = APIRouter()
SHOWN = ("open", "overdue", "done", "skipped")
PER_PAGE = 20


@router.get("/tasks")
def task_list(request: Request, show: Annotated[str, Query(pattern="^(open|overdue|done|skipped)$")] = "open",
              offset: Annotated[int, Query(ge=0)] = 0) -> Response:
    def body(who: Viewer) -> Response:
        status = "open" if show == "overdue" else show
        found = attempt(journeys.list_tasks, request, status=status, owner=None, overdue=show == "overdue",
                        person_id=None, limit=PER_PAGE, offset=offset)
        return page(request, "tasks.html", {"tasks": found, "show": show, "shows": SHOWN, "offset": offset,
                                            "per_page": PER_PAGE, "may_act": who.may("tasks:act")}, who)

    return serve(request, "tasks:read", body)


@router.get("/tasks/{task_id}")
def task_page(request: Request, task_id: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> Response:
    def body(who: Viewer) -> Response:
        found = attempt(journeys.one_task, request, task_id)
        return page(request, "task.html", {"task": found, "may_act": who.may("tasks:act")}, who)

    return serve(request, "tasks:read", body)


def _measured(request: Request, name: str) -> dict[str, Any]:
    return {"funnel": attempt(journeys.funnel, request, name), "uplift": attempt(journeys.uplift, request, name)}


@router.get("/journeys")
def journey_page(request: Request) -> Response:
    def body(who: Viewer) -> Response:
        listed = attempt(journeys.list_journeys, request)["journeys"]
        rows = [{**j, **_measured(request, j["name"])} for j in listed]
        return page(request, "journeys.html", {"journeys": rows}, who)

    return serve(request, "journeys:read", body)
