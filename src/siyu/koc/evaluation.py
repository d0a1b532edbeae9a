"""The monthly evaluation of KOCs and rotation suggestions.

Per KOC with groups: their groups' speakers, customer messages and exits in the month, the KOC's own speech
there, their content tasks (the staff tasks of `[koc] content_journeys` on the KOC, counted by
siyu.journeys.tasks.task_counts: due in the month, and done in it), and the net purchases of the groups'
members (members at the month's end, the KOC excluded); ranked by member sales, then messages, then content
tasks done. Rotation: an active KOC silent in every group for `inactive_months` months up to
this one goes to standby; as many standby KOCs as leave, the most vocal last month, are suggested back.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import sqlalchemy as sa

from siyu.domain.orders import purchase_sql
from siyu.domain.persons import person_sql
from siyu.engine import Engine
from siyu.engine.quote import literal
from siyu.guides.periods import month_bounds
from siyu.guides.persons import person_map_sql
from siyu.guides.scratch import scratch_arrow
from siyu.journeys.tasks import TaskCounts, task_counts
from siyu.koc.candidates import members_sql
from siyu.koc.groups import assignments
from siyu.koc.roster import roster
from siyu.koc.settings import KocSettings

ASSIGN_TABLE = "koc_assignment_scratch"


def _bounds(d0: dt.date, d1: dt.date) -> tuple[str, str]:
    return (literal(dt.datetime.combine(d0, dt.time())),
            literal(dt.datetime.combine(d1 + dt.timedelta(days=1), dt.time())))


def evaluate_period(engine: Engine, store: sa.Engine, d0: dt.date, d1: dt.date,
                    cfg: KocSettings | None = None) -> list[dict[str, Any]]:
    """One row per KOC holding groups, for [d0, d1], best first (rank 1)."""
    cfg = cfg or KocSettings()
    held = assignments(store)
    if not held:
        return []
    scratch_arrow(engine, ASSIGN_TABLE, pa.table({"group_id": list(held), "person_id": list(held.values())}))
    start, stop = _bounds(d0, d1)
    pm = person_map_sql(engine)
    try:
        rows = engine.query(f"""
            WITH talk AS (
                SELECT m.group_id, {person_sql("'wecom'", 'm.customer_id', 'pm.person_id')} AS speaker
                FROM messages AS m LEFT JOIN ({pm}) AS pm ON pm.channel = 'wecom' AND pm.channel_uid = m.customer_id
                WHERE m.kind = 'group' AND m.sender_type = 'customer' AND m.customer_id IS NOT NULL
                  AND m.sent_at >= {start} AND m.sent_at < {stop}
            ),
            speech AS (
                SELECT a.person_id, count(DISTINCT t.speaker) AS speakers, count(t.speaker) AS messages,
                       count(*) FILTER (WHERE t.speaker = a.person_id) AS own_messages
                FROM {ASSIGN_TABLE} AS a JOIN talk AS t ON t.group_id = a.group_id GROUP BY a.person_id
            ),
            exits AS (
                SELECT a.person_id, count(*) AS exits
                FROM {ASSIGN_TABLE} AS a JOIN group_events AS e ON e.group_id = a.group_id
                WHERE e.event = 'leave' AND e.event_at >= {start} AND e.event_at < {stop} GROUP BY a.person_id
            ),
            members AS (
                SELECT DISTINCT a.person_id AS koc_id, g.person_id
                FROM {ASSIGN_TABLE} AS a JOIN ({members_sql(engine, d1)}) AS g ON g.group_id = a.group_id
                WHERE g.person_id <> a.person_id
            ),
            buys AS (
                SELECT {person_sql('o.channel', 'o.channel_uid', 'pm.person_id')} AS person_id,
                       CAST(sum(o.net_amount) AS DECIMAL(18,2)) AS net
                FROM orders AS o LEFT JOIN ({pm}) AS pm ON pm.channel = o.channel AND pm.channel_uid = o.channel_uid
                WHERE {purchase_sql('o')} AND o.order_date BETWEEN {literal(d0)} AND {literal(d1)}
                GROUP BY 1
            ),
            sales AS (
                SELECT mb.koc_id AS person_id, count(*) AS members, CAST(coalesce(sum(b.net), 0) AS DECIMAL(18,2))
                    AS member_sales
                FROM members AS mb LEFT JOIN buys AS b ON b.person_id = mb.person_id GROUP BY mb.koc_id
            ),
            kocs AS (SELECT person_id, count(*) AS groups FROM {ASSIGN_TABLE} GROUP BY person_id)
            SELECT k.person_id, k.groups, coalesce(s.members, 0) AS members,
                   coalesce(sp.speakers, 0) AS speakers, coalesce(sp.messages, 0) AS messages,
                   coalesce(sp.own_messages, 0) AS own_messages, coalesce(x.exits, 0) AS exits,
                   coalesce(s.member_sales, CAST(0 AS DECIMAL(18,2))) AS member_sales
            FROM kocs AS k LEFT JOIN speech AS sp ON sp.person_id = k.person_id
            LEFT JOIN exits AS x ON x.person_id = k.person_id LEFT JOIN sales AS s ON s.person_id = k.person_id
            ORDER BY member_sales DESC, messages DESC, k.person_id
        """).to_pylist()
    finally:
        engine.drop_table(ASSIGN_TABLE)
    tasks = task_counts(store, cfg.content_journeys, [r["person_id"] for r in rows], d0, d1)
    for r in rows:
        c = tasks.get(r["person_id"], TaskCounts(0, 0))
        r["content_tasks"], r["content_done"] = c.due, c.done
    rows.sort(key=lambda r: (-r["member_sales"], -r["messages"], -r["content_done"], r["person_id"]))
    for i, r in enumerate(rows, 1):
        r["rank"] = i
    return rows


def evaluate_month(engine: Engine, store: sa.Engine, month: str, cfg: KocSettings | None = None
                   ) -> list[dict[str, Any]]:
    return evaluate_period(engine, store, *month_bounds(month), cfg)


def top_of_year(engine: Engine, store: sa.Engine, year: int, n: int = 10,
                cfg: KocSettings | None = None) -> list[dict[str, Any]]:
    """The year's top `n` KOCs by the same ranking over the whole year."""
    return evaluate_period(engine, store, dt.date(year, 1, 1), dt.date(year, 12, 31), cfg)[:n]


@dataclass(frozen=True)
class Rotation:
    person_id: str
    action: str  # standby | promote
    reason: str


def _months_back(month: str, n: int) -> list[str]:
    first, _ = month_bounds(month)
    out = []
    for _ in range(n):
        out.append(first.strftime("%Y-%m"))
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return out


def _speech_by_month(engine: Engine, months: list[str]) -> dict[tuple[str, str], int]:
    d0, d1 = month_bounds(months[-1])[0], month_bounds(months[0])[1]
    start, stop = _bounds(d0, d1)
    rows = engine.query(f"""
        SELECT {person_sql("'wecom'", 'm.customer_id', 'pm.person_id')} AS person_id,
               strftime(m.sent_at, '%Y-%m') AS month, count(*) AS n
        FROM messages AS m LEFT JOIN ({person_map_sql(engine)}) AS pm
          ON pm.channel = 'wecom' AND pm.channel_uid = m.customer_id
        WHERE m.kind = 'group' AND m.sender_type = 'customer' AND m.customer_id IS NOT NULL
          AND m.sent_at >= {start} AND m.sent_at < {stop}
        GROUP BY 1, 2
    """).to_pylist()
    return {(r["person_id"], r["month"]): int(r["n"]) for r in rows}


def rotation(engine: Engine, store: sa.Engine, cfg: KocSettings, month: str) -> list[Rotation]:
    """Suggestions only: people decide, and each change goes through the roster with its reason."""
    months = _months_back(month, cfg.inactive_months)
    speech = _speech_by_month(engine, months)
    people = roster(store)
    out = [Rotation(p, "standby", f"no group speech in {', '.join(sorted(months))}")
           for p, s in people.items() if s == "active" and all(speech.get((p, m), 0) == 0 for m in months)]
    pool = sorted(((speech.get((p, month), 0), p) for p, s in people.items() if s == "standby"),
                  key=lambda x: (-x[0], x[1]))
    out += [Rotation(p, "promote", f"{n} group messages in {month}, most vocal of the standby pool")
            for n, p in pool[:len(out)] if n > 0]
    return out
