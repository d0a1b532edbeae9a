"""Segments: the builder (the expression itself, visible and editable, checked and counted as it is typed by the
page's script through the JSON API), the saved segments and their members."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from siyu.api.routes import analytics, segments
from siyu.api.security import config
from siyu.segment.helpers import HELPERS
from siyu.segment.vocabulary import vocabulary
from siyu.web import charts
from siyu.web.pages.serve import serve
from siyu.web.render import Viewer, attempt, page

router = APIRouter()
EXAMPLE = "orders >= 2 and has_tag('sleeping')"


def _fields(request: Request) -> list[str]:
    """The profile's columns an expression may name (what POST /segments/validate checks against)."""
    def read() -> list[str]:
        with config(request).serving.reader() as eng:
            return sorted(vocabulary(eng).columns)
    return attempt(read)


@router.get("/segments")
def builder(request: Request, expression: Annotated[str, Query(max_length=4000)] = "",
            name: Annotated[str, Query(max_length=64)] = "") -> Response:
    def body(who: Viewer) -> Response:
        saved = attempt(segments.list_segments, request, limit=200, offset=0).items
        tags = attempt(analytics.tags, request, family=None, limit=200, offset=0).items
        runs = attempt(segments.tracked_segments, request)["items"]
        return page(request, "segments.html", {
            "expression": expression or EXAMPLE, "name": name, "fields": _fields(request),
            "helpers": sorted(HELPERS), "tags": tags, "saved": saved, "tracked": runs,
            "may_save": who.may("segments:write"), "may_export": who.may("segments:export")}, who)

    return serve(request, "segments:read", body)


@router.get("/segments/{name}")
def members(request: Request, name: str, offset: Annotated[int, Query(ge=0)] = 0) -> Response:
    def body(who: Viewer) -> Response:
        result = attempt(segments.members, name, request, limit=50, offset=offset)
        saved = next((s for s in attempt(segments.list_segments, request, limit=500, offset=0).items
                      if s["name"] == name), None)
        return page(request, "segment.html", {"name": name, "result": result, "saved": saved, "offset": offset,
                                              "may_export": who.may("segments:export")}, who)

    return serve(request, "segments:read", body)


@router.get("/segments/tracked/{name}")
def size_over_time(request: Request, name: str) -> Response:
    def body(who: Viewer) -> Response:
        found = attempt(segments.tracked_history, name, request)
        sized = [r for r in found["items"] if r["members"] is not None]
        chart = charts.trend([{"period": r["snapshot_at"], "value": r["members"]} for r in sized], "count",
                             who.t("no_data"))
        return page(request, "tracked.html", {"name": name, "history": found["items"], "chart": chart}, who)

    return serve(request, "segments:read", body)
