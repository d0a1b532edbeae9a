"""Staff tasks: what each owner has to do, due and overdue, and marking them done or skipped with a reason.

A guide sees and acts on only the tasks of customers they own or their store owns (siyu.persons's scope);
anyone else's task is "not found" to them, never "forbidden"."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import select, update

from siyu.errors import UserError
from siyu.journeys.tables import task
from siyu.loyalty.db import utc
from siyu.persons.scope import Scope

STAFF_STATUSES = ("open", "done", "skipped")


class NoTask(UserError):
    """No such task, or not one this reader may see."""


def _visible(scope: Scope) -> Any:
    cond: Any = task.c.status.in_(STAFF_STATUSES)
    if scope.limited:
        mine = [task.c.owner_staff_id == scope.staff_id] if scope.staff_id else []
        mine += [task.c.owner_store_id == scope.store_id] if scope.store_id else []
        cond = cond & (sa.or_(*mine) if mine else sa.false())  # a limited scope with neither sees no one
    return cond


def task_json(r: Any, now: dt.datetime) -> dict[str, Any]:
    due = utc(r.due_at)
    return {"task_id": r.id, "journey": r.journey, "step": r.step, "kind": r.kind, "person_id": r.person_id,
            "owner_staff_id": r.owner_staff_id, "owner_store_id": r.owner_store_id, "title": r.title,
            "draft": r.draft, "created_at": utc(r.created_at).isoformat(), "due_at": due.isoformat(),
            "status": r.status, "overdue": r.status == "open" and due < now, "reason": r.reason,
            "acted_at": utc(r.acted_at).isoformat() if r.acted_at else None, "acted_by": r.acted_by,
            "replied": r.replied_at is not None, "bought": r.bought_on is not None}


def list_tasks(store: sa.Engine, scope: Scope, *, status: str | None = None, owner: str | None = None,
               overdue: bool = False, person: str | None = None, limit: int = 100, offset: int = 0,
               now: dt.datetime | None = None) -> tuple[list[dict[str, Any]], int]:
    """Tasks the reader may see (of one customer when `person` is given), soonest due first, with the total."""
    now = now or dt.datetime.now(dt.UTC)
    cond = _visible(scope)
    if status:
        cond = cond & (task.c.status == status)
    if owner:
        cond = cond & (task.c.owner_staff_id == owner)
    if person:
        cond = cond & (task.c.person_id == person)
    if overdue:
        cond = cond & (task.c.status == "open") & (task.c.due_at < now)
    with store.connect() as conn:
        total = conn.execute(select(sa.func.count()).select_from(task).where(cond)).scalar_one()
        rows = conn.execute(select(task).where(cond).order_by(task.c.due_at, task.c.id).limit(limit)
                            .offset(offset)).all()
    return [task_json(r, now) for r in rows], int(total)


def get_task(store: sa.Engine, task_id: int, scope: Scope, now: dt.datetime | None = None) -> dict[str, Any]:
    with store.connect() as conn:
        row = conn.execute(select(task).where(task.c.id == task_id, _visible(scope))).one_or_none()
    if row is None:
        raise NoTask(f"no task {task_id}")
    return task_json(row, now or dt.datetime.now(dt.UTC))


def act(store: sa.Engine, task_id: int, scope: Scope, outcome: str, by: str, reason: str | None = None,
        now: dt.datetime | None = None) -> dict[str, Any]:
    """Mark a task done or skipped (a skip needs a reason). Doing it again with the same outcome changes
    nothing; changing a closed task's outcome is refused."""
    if outcome not in ("done", "skipped"):
        raise UserError(f"a task is marked done or skipped, not {outcome!r}")
    if outcome == "skipped" and not (reason and reason.strip()):
        raise UserError("skipping a task needs a reason")
    now = now or dt.datetime.now(dt.UTC)
    current = get_task(store, task_id, scope, now)
    if current["status"] == outcome:
        return current
    if current["status"] != "open":
        raise UserError(f"task {task_id} is already {current['status']}")
    with store.begin() as conn:
        conn.execute(update(task).where(task.c.id == task_id, task.c.status == "open").values(
            status=outcome, reason=reason, acted_at=now, acted_by=by))
    return get_task(store, task_id, scope, now)


@dataclass(frozen=True)
class TaskCounts:
    """A person's staff tasks of some journeys in a period."""

    due: int  # staff tasks (open, done or skipped) due in the period
    done: int  # tasks marked done in the period, whenever they were due


def _period(d0: dt.date, d1: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return (dt.datetime.combine(d0, dt.time(), dt.UTC),
            dt.datetime.combine(d1 + dt.timedelta(days=1), dt.time(), dt.UTC))


def task_counts(store: sa.Engine, journeys: Collection[str], people: Collection[str], d0: dt.date,
                  d1: dt.date) -> dict[str, TaskCounts]:
    """person_id → their staff tasks of `journeys` due in [d0, d1] and done in it, for the `people` with any (the
    others have none): what the KOC evaluation counts as content tasks (siyu.koc.evaluation)."""
    if not journeys or not people:
        return {}
    start, stop = _period(d0, d1)
    mine = task.c.journey.in_(sorted(journeys)) & task.c.status.in_(STAFF_STATUSES)
    due = sa.func.count().filter((task.c.due_at >= start) & (task.c.due_at < stop))
    done = sa.func.count().filter((task.c.status == "done") & (task.c.acted_at >= start) & (task.c.acted_at < stop))
    out: dict[str, TaskCounts] = {}
    wanted = sorted(set(people))
    with store.connect() as conn:
        for i in range(0, len(wanted), 500):  # bound parameters per statement stay within every dialect's limit
            q = (sa.select(task.c.person_id, due, done).where(mine & task.c.person_id.in_(wanted[i:i + 500]))
                 .group_by(task.c.person_id))
            for person, n_due, n_done in conn.execute(q):
                if n_due or n_done:
                    out[str(person)] = TaskCounts(int(n_due), int(n_done))
    return out
