"""Runs (start one, follow its steps, the history) and imports (upload an export and see its mapping, the import
log, quarantined rows with their reasons)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from siyu.api.routes import imports, runs
from siyu.ingest.mapping import list_sources
from siyu.web.pages.serve import serve
from siyu.web.render import PageFailed, Viewer, attempt, page

router = APIRouter()


@router.get("/runs")
def run_page(request: Request) -> Response:
    def body(who: Viewer) -> Response:
        history = attempt(runs.history, request, limit=20, offset=0)
        try:
            current = attempt(runs.current_run, request)
        except PageFailed:  # this server has not started a run
            current = None
        return page(request, "runs.html", {"history": history, "run_now": current,
                                           "may_start": who.may("runs:start")}, who)

    return serve(request, "runs:read", body)


@router.get("/imports")
def import_page(request: Request, source: Annotated[str, Query(max_length=60)] = "") -> Response:
    def body(who: Viewer) -> Response:
        log = attempt(imports.import_log, request, limit=20, offset=0)
        held = attempt(imports.quarantine, request, source=source or None, unmask=False, reason=None, limit=50,
                       offset=0)
        return page(request, "imports.html", {"log": log, "quarantine": held, "source": source,
                                              "sources": sorted(s.name for s in list_sources())}, who)

    return serve(request, "imports:write", body)
