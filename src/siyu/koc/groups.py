"""Which KOC looks after which group: one KOC per premium group, or `normal_groups_min`–`normal_groups_max`
normal groups each. Suggestions come from activity and persona: where each active KOC is a member and speaks
most, a group counting `persona_weight` messages more for each persona match (its members' commonest preferred
category, and commonest city, in person_profile being the KOC's own). People edit them, and an edit is checked
against the same limits."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from siyu.domain.persons import person_sql
from siyu.engine import Engine
from siyu.engine.quote import literal, literal_list
from siyu.errors import UserError
from siyu.guides.periods import check_day
from siyu.guides.persons import person_map_sql
from siyu.koc.candidates import members_sql
from siyu.koc.roster import HOLDING, roster
from siyu.koc.settings import KocSettings
from siyu.koc.tables import assignment

ACTIVITY_DAYS = 90


@dataclass(frozen=True)
class Suggestion:
    group_id: str
    person_id: str
    premium: bool
    messages: int  # the KOC's speech in the group over the last 90 days
    persona: int = 0  # persona matches with the group's members (preferred category, city): 0–2


def assignments(store: sa.Engine) -> dict[str, str]:
    """group_id → person_id."""
    with store.connect() as conn:
        return dict(conn.execute(sa.select(assignment.c.group_id, assignment.c.person_id)).all())


def _group_types(engine: Engine) -> dict[str, str | None]:
    return {r["group_id"]: r["group_type"] for r in
            engine.query("SELECT group_id, group_type FROM chat_groups").to_pylist()}


def _activity(engine: Engine, as_of: dt.date) -> list[dict[str, Any]]:
    """(group_id, person_id, messages) of every member at `as_of` with their speech there in the last 90 days."""
    start = dt.datetime.combine(as_of - dt.timedelta(days=ACTIVITY_DAYS - 1), dt.time())
    stop = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time())
    return engine.query(f"""
        WITH talk AS (
            SELECT m.group_id, {person_sql("'wecom'", 'm.customer_id', 'pm.person_id')} AS person_id,
                   count(*) AS messages
            FROM messages AS m LEFT JOIN ({person_map_sql(engine)}) AS pm
              ON pm.channel = 'wecom' AND pm.channel_uid = m.customer_id
            WHERE m.kind = 'group' AND m.sender_type = 'customer' AND m.customer_id IS NOT NULL
              AND m.sent_at >= {literal(start)} AND m.sent_at < {literal(stop)}
            GROUP BY 1, 2
        )
        SELECT g.group_id, g.person_id, coalesce(t.messages, 0) AS messages
        FROM ({members_sql(engine, as_of)}) AS g
        LEFT JOIN talk AS t ON t.group_id = g.group_id AND t.person_id = g.person_id
        ORDER BY messages DESC, g.group_id, g.person_id
    """).to_pylist()


def _commonest(engine: Engine, as_of: dt.date, column: str) -> str:
    """(group_id, value): the value of person_profile's `column` most of the group's members have (ties: the
    smallest), members without one not counted."""
    return f"""
        SELECT group_id, v FROM (
            SELECT g.group_id, p.{column} AS v, row_number() OVER (PARTITION BY g.group_id
                                                                   ORDER BY count(*) DESC, p.{column}) AS rk
            FROM ({members_sql(engine, as_of)}) AS g JOIN person_profile AS p ON p.person_id = g.person_id
            WHERE p.{column} IS NOT NULL GROUP BY g.group_id, p.{column}
        ) AS c WHERE rk = 1
    """


def _persona(engine: Engine, as_of: dt.date, people: set[str]) -> dict[tuple[str, str], int]:
    """(group_id, person_id) → how many of the person's preferred category and city are their group's commonest;
    empty without profiles (the suggestion is then by activity alone)."""
    if not people or not engine.table_exists("person_profile"):
        return {}
    rows = engine.query(f"""
        WITH cat AS ({_commonest(engine, as_of, 'preferred_category')}), city AS ({_commonest(engine, as_of, 'city')})
        SELECT g.group_id, g.person_id,
               CAST(coalesce(p.preferred_category = cat.v, false) AS INTEGER)
               + CAST(coalesce(p.city = city.v, false) AS INTEGER) AS matches
        FROM ({members_sql(engine, as_of)}) AS g JOIN person_profile AS p ON p.person_id = g.person_id
        LEFT JOIN cat ON cat.group_id = g.group_id LEFT JOIN city ON city.group_id = g.group_id
        WHERE g.person_id IN {literal_list(sorted(people))}
    """).to_pylist()
    return {(str(r["group_id"]), str(r["person_id"])): int(r["matches"]) for r in rows if r["matches"]}


def suggest(engine: Engine, store: sa.Engine, cfg: KocSettings, as_of: dt.date) -> list[Suggestion]:
    """Assignments for the groups nobody looks after yet: premium groups first (their most vocal active KOC not
    yet holding a group), then each active KOC without a premium group takes the normal groups they speak in
    most, up to the maximum. Existing assignments stay as they are."""
    check_day(as_of, "as_of")
    active = set(roster(store, "active"))
    held = assignments(store)
    types = _group_types(engine)
    load: dict[str, list[str]] = {}
    for g, p in held.items():
        load.setdefault(p, []).append(g)

    def premium(group: str) -> bool:
        return types.get(group) in cfg.premium_group_types

    out: list[Suggestion] = []
    rows = [r for r in _activity(engine, as_of) if r["person_id"] in active and r["group_id"] not in held]
    match = _persona(engine, as_of, {str(r["person_id"]) for r in rows})
    for r in rows:
        r["persona"] = match.get((str(r["group_id"]), str(r["person_id"])), 0)
    rows.sort(key=lambda r: (-(int(r["messages"]) + cfg.persona_weight * r["persona"]), -r["persona"],
                             str(r["group_id"]), str(r["person_id"])))
    for r in rows:  # best fit first
        g, p = str(r["group_id"]), str(r["person_id"])
        if not premium(g) or g in held or load.get(p):
            continue
        held[g] = p
        load[p] = [g]
        out.append(Suggestion(g, p, True, int(r["messages"]), r["persona"]))
    for r in rows:
        g, p = str(r["group_id"]), str(r["person_id"])
        mine = load.get(p, [])
        if premium(g) or g in held or any(premium(x) for x in mine) or len(mine) >= cfg.normal_groups_max:
            continue
        held[g] = p
        load[p] = [*mine, g]
        out.append(Suggestion(g, p, False, int(r["messages"]), r["persona"]))
    return out


def below_minimum(engine: Engine, store: sa.Engine, cfg: KocSettings, suggested: list[Suggestion]) -> dict[str, int]:
    """person_id → normal groups held, for the KOCs who would hold fewer than `normal_groups_min` (but some) once
    `suggested` is taken: the suggestion never gives a KOC a group they are not in, so people fill these up."""
    types = _group_types(engine)
    load: dict[str, list[str]] = {}
    for g, p in [*assignments(store).items(), *((s.group_id, s.person_id) for s in suggested)]:
        load.setdefault(p, []).append(g)
    return {p: len(gs) for p, gs in sorted(load.items())
            if len(gs) < cfg.normal_groups_min and not any(types.get(g) in cfg.premium_group_types for g in gs)}


def assign(engine: Engine, store: sa.Engine, cfg: KocSettings, group_id: str, person_id: str, user_name: str, *,
           at: dt.datetime | None = None) -> None:
    """Give `group_id` to `person_id` (replacing whoever had it) within the programme's limits."""
    state = roster(store).get(person_id)
    if state not in HOLDING:
        raise UserError(f"{person_id} is {state or 'not on the KOC roster'}: only an approved or active KOC "
                        "looks after groups")
    types = _group_types(engine)
    if group_id not in types:
        raise UserError(f"no group {group_id!r} in the warehouse's chat_groups")
    mine = [g for g, p in assignments(store).items() if p == person_id and g != group_id]
    if types[group_id] in cfg.premium_group_types and mine:
        raise UserError(f"{group_id} is a premium group: its KOC looks after it alone, and {person_id} already "
                        f"has {', '.join(sorted(mine))}")
    if any(types.get(g) in cfg.premium_group_types for g in mine):
        raise UserError(f"{person_id} looks after a premium group and takes no other")
    if len(mine) >= cfg.normal_groups_max:
        raise UserError(f"{person_id} already looks after {len(mine)} groups (at most {cfg.normal_groups_max})")
    at = at or dt.datetime.now(dt.UTC)
    with store.begin() as conn:
        conn.execute(assignment.delete().where(assignment.c.group_id == group_id))
        conn.execute(assignment.insert().values(group_id=group_id, person_id=person_id, user_name=user_name, at=at))


def unassign(store: sa.Engine, group_id: str) -> bool:
    with store.begin() as conn:
        return bool(conn.execute(assignment.delete().where(assignment.c.group_id == group_id)).rowcount)
