"""Journeys and staff tasks. Thin: each route parses, calls siyu.journeys and answers.

A guide lists and acts on only the tasks of customers they own or their store owns; anyone else's task is 404,
as in the persons API. Defining a journey and acting on a task are audited."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request
from pydantic import BaseModel, Field

from siyu.api.pages import Limit, Offset, Page
from siyu.api.security import config, guarded, scope_of, user_of
from siyu.api.warehouse import serving_path
from siyu.auth import audit
from siyu.journeys import catalogue, measure, tasks
from siyu.journeys.definition import Journey
from siyu.journeys.settings import journey_settings, journeys_file

router = APIRouter(tags=["journeys"])

TaskId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Name = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]


class Skip(BaseModel):
    reason: str = Field(min_length=1, max_length=500, pattern=r"\S", description="why it was not done")


class Definition(BaseModel):
    toml: str = Field(min_length=1, max_length=100_000,
                      description="one or more [journeys.NAME] tables in the format of docs/journeys.md")


def _journeys(request: Request) -> dict[str, Journey]:
    cfg = config(request)
    return {j.name: j for j in catalogue.all_journeys(cfg.store, journeys_file(cfg.settings))}


def journey_json(j: Journey) -> dict[str, Any]:
    return {"name": j.name, "description": j.description, "trigger": {"kind": j.trigger, **j.params},
            "holdout": j.holdout, "exits": list(j.exits), "enabled": j.enabled,
            "steps": [{"name": s.name, "wait_days": s.wait_days, "until": s.until, "condition": s.condition,
                       "action": s.action.kind if s.action else None} for s in j.steps]}


@router.get("/tasks", response_model=Page, **guarded("tasks:read"))
def list_tasks(request: Request, status: Annotated[str | None, Query(pattern="^(open|done|skipped)$")] = None,
               owner: Annotated[str | None, Query(max_length=120)] = None, overdue: bool = False,
               person_id: Annotated[str | None, Query(max_length=64, description="one customer's")] = None,
               limit: Limit = 100, offset: Offset = 0) -> Page:
    """Staff tasks, soonest due first: the drafted message, whether it is overdue, and whether the customer
    replied or bought after it."""
    items, total = tasks.list_tasks(config(request).store, scope_of(user_of(request)), status=status, owner=owner,
                                    overdue=overdue, person=person_id, limit=limit, offset=offset)
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.get("/tasks/{task_id}", **guarded("tasks:read"))
def one_task(request: Request, task_id: TaskId) -> dict[str, Any]:
    """One task with its drafted message; a task the caller may not see is 404, as if it did not exist."""
    try:
        return tasks.get_task(config(request).store, task_id, scope_of(user_of(request)))
    except tasks.NoTask:
        raise HTTPException(404, "no such task") from None


def _act(request: Request, task_id: int, outcome: str, reason: str | None) -> dict[str, Any]:
    cfg, user = config(request), user_of(request)
    try:
        before = tasks.get_task(cfg.store, task_id, scope_of(user))
        done = tasks.act(cfg.store, task_id, scope_of(user), outcome, user.name, reason)
    except tasks.NoTask:
        raise HTTPException(404, "no such task") from None
    if before["status"] != done["status"]:
        audit.record(cfg.store, user, f"task.{outcome}", f"task {task_id} ({done['person_id']})", reason or "")
    return done


@router.post("/tasks/{task_id}/done", **guarded("tasks:act"))
def task_done(request: Request, task_id: TaskId) -> dict[str, Any]:
    """Mark a task done (again: no change)."""
    return _act(request, task_id, "done", None)


@router.post("/tasks/{task_id}/skip", **guarded("tasks:act"))
def task_skip(request: Request, task_id: TaskId, body: Skip) -> dict[str, Any]:
    """Skip a task, with the reason."""
    return _act(request, task_id, "skipped", body.reason)


@router.get("/journeys", **guarded("journeys:read"))
def list_journeys(request: Request) -> dict[str, Any]:
    """The journeys this brand runs: the file's (or siyu's defaults) and those defined through the API."""
    return {"journeys": [journey_json(j) for j in _journeys(request).values()]}


@router.post("/journeys", status_code=201, **guarded("journeys:write"))
def define_journeys(request: Request, body: Definition) -> dict[str, Any]:
    """Define (or replace) journeys from TOML; a mistake is 400 naming the key, as is a template field or a
    predicate the published profile lacks."""
    cfg, user = config(request), user_of(request)
    if not serving_path(cfg.serving.warehouse).exists():  # nothing published yet: checked at the first run instead
        found = catalogue.define(cfg.store, body.toml, user.name)
    else:
        with cfg.serving.reader() as eng:
            found = catalogue.define(cfg.store, body.toml, user.name, warehouse=eng)
    audit.record(cfg.store, user, "journeys.define", ", ".join(j.name for j in found), "")
    return {"journeys": [journey_json(j) for j in found]}


def _known(request: Request, name: str) -> None:
    if name not in _journeys(request):
        raise HTTPException(404, "no such journey")


@router.get("/journeys/{name}/funnel", **guarded("journeys:read"))
def funnel(request: Request, name: Name) -> dict[str, Any]:
    """Per step: entries, tasks created, done, replied, bought; what the holdout would have been given."""
    _known(request, name)
    return measure.funnel(config(request).store, name)


@router.get("/journeys/{name}/uplift", **guarded("journeys:read"))
def uplift(request: Request, name: Name) -> dict[str, Any]:
    """Repurchase rate and revenue per person within the window after entry, treatment minus holdout, with a
    95% confidence interval (entries whose window has passed)."""
    _known(request, name)
    cfg = config(request)
    return measure.uplift(cfg.store, name, journey_settings(cfg.settings).window_days)
