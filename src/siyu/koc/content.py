"""A KOC's content tasks: the staff tasks of the journeys named in `[koc] content_journeys` whose person is the
KOC (a try-on post, a group topic, a livestream warm-up …), counted per KOC for a period.

The journeys layer has no query by journey, person and period (its `list_tasks` pages through one reader's
tasks), so this reads its published `journey_task` table definition, statuses as siyu.journeys.tasks names them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

import sqlalchemy as sa

from siyu.journeys.tables import task
from siyu.journeys.tasks import STAFF_STATUSES


@dataclass(frozen=True)
class ContentTasks:
    due: int  # staff tasks (open, done or skipped) due in the period
    done: int  # tasks marked done in the period, whenever they were due


def _period(d0: dt.date, d1: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return (dt.datetime.combine(d0, dt.time(), dt.UTC),
            dt.datetime.combine(d1 + dt.timedelta(days=1), dt.time(), dt.UTC))


def content_tasks(store: sa.Engine, journeys: Collection[str], people: Collection[str], d0: dt.date,
                  d1: dt.date) -> dict[str, ContentTasks]:
    """person_id → their content tasks in [d0, d1], for the `people` with any (the others have none)."""
    if not journeys or not people:
        return {}
    start, stop = _period(d0, d1)
    mine = task.c.journey.in_(sorted(journeys)) & task.c.status.in_(STAFF_STATUSES)
    due = sa.func.count().filter((task.c.due_at >= start) & (task.c.due_at < stop))
    done = sa.func.count().filter((task.c.status == "done") & (task.c.acted_at >= start) & (task.c.acted_at < stop))
    out: dict[str, ContentTasks] = {}
    wanted = sorted(set(people))
    with store.connect() as conn:
        for i in range(0, len(wanted), 500):  # bound parameters per statement stay within every dialect's limit
            q = (sa.select(task.c.person_id, due, done).where(mine & task.c.person_id.in_(wanted[i:i + 500]))
                 .group_by(task.c.person_id))
            for person, n_due, n_done in conn.execute(q):
                if n_due or n_done:
                    out[str(person)] = ContentTasks(int(n_due), int(n_done))
    return out
