"""One evaluation of every journey for a day: enter triggered persons, take the steps that are due, score what
happened after tasks and entries. Run by the `journeys` step of `siyu run` and by `siyu journeys run`.

A day reads only what can have changed (docs/journeys.md, "What a day's evaluation reads"): the entries due by
its day (`due_on`) and those a new event of their person can end or move on; outcomes of persons with new events.

Reruns create nothing new: entries are unique per (journey, person, entry key), tasks and coupons carry
idempotency keys (journey:person:entry:step), and a state moves past a step in the same transaction that
records its task. Coupons are issued first, each under its key, so a crash between the two reissues nothing.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy import select, update

from siyu.domain.masking import mask_profile
from siyu.engine import Engine
from siyu.errors import UserError
from siyu.journeys import events, rails
from siyu.journeys.definition import Journey, Step, placeholders
from siyu.journeys.settings import JourneySettings
from siyu.journeys.tables import optout, state, task, watermark
from siyu.loyalty import coupons
from siyu.loyalty.db import insert_ignore, one_of, utc
from siyu.segment.errors import SegmentError
from siyu.segment.language import segment_sql
from siyu.segment.vocabulary import vocabulary

COUNTED = ("open", "done", "skipped")  # tasks that reached staff: what the contact caps count
CHUNK = 5000  # persons per IN list read from the store


@dataclass
class Outcome:
    entered: int = 0
    tasks: int = 0
    held_out: int = 0
    coupons: int = 0
    deferred: int = 0  # steps put off by a contact cap
    barred: int = 0  # staff tasks not made: the person is on the do-not-contact list or a removed friend
    exited: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def detail(self) -> str:
        exits = ", ".join(f"{k} {v}" for k, v in sorted(self.exited.items())) or "none"
        return (f"entered {self.entered:,}, tasks {self.tasks:,}, held out {self.held_out:,}, coupons "
                f"{self.coupons:,}, deferred by caps {self.deferred:,}, barred by the rails {self.barred:,}; "
                f"exits: {exits}")


@dataclass
class _Context:
    engine: Engine
    store: sa.Engine
    rules: JourneySettings
    timezone: str
    as_of: dt.date
    now: dt.datetime
    removed: set[str]
    opted_out: set[str]
    bought: dict[str, list[tuple[dt.date, int]]]
    replied: dict[str, list[dt.datetime]]
    joined: dict[str, list[dt.date]]
    recent: dict[str, list[dt.datetime]]  # tasks per person in the last week (for the caps)
    profile: dict[str, dict[str, Any]] = field(default_factory=dict)
    predicates: dict[str, set[str]] = field(default_factory=dict)
    coupons: dict[str, tuple[str, int, int]] = field(default_factory=dict)  # to issue: key → person, fen, days


def evaluate(engine: Engine, store: sa.Engine, journeys: list[Journey], rules: JourneySettings, timezone: str,
             as_of: dt.date, now: dt.datetime | None = None) -> Outcome:
    """Evaluate `journeys` for `as_of` with the clock at `now` (aware; default the real clock)."""
    now = utc(now) if now else dt.datetime.now(dt.UTC)
    out = Outcome()
    enabled = [j for j in journeys if j.enabled]
    by_name = {j.name: j for j in enabled}
    check(engine, enabled)  # a bad field or predicate stops the evaluation before it enters anyone
    with store.begin() as conn:
        marks = {r[0]: r[1] for r in conn.execute(select(watermark.c.journey, watermark.c.evaluated_on))}
        for j in enabled:
            out.entered += _enter(conn, engine, j, rules, as_of, now)
        opted = {r[0] for r in conn.execute(select(optout.c.person_id))} | set(rules.do_not_contact)
    # events on a day not yet evaluated (the last evaluated day again: a rerun sees late rows) can end an entry
    # or end its wait for an event; a wait counts events from its start, up to `longest` days before that day
    since = min((marks.get(j.name) or as_of - dt.timedelta(days=rules.lookback_days) for j in enabled),
                default=as_of)
    longest = max((s.wait_days for j in enabled for s in j.steps if s.until), default=0)
    start = since - dt.timedelta(days=longest)
    seen = _events(engine, enabled, start, as_of)
    removed = events.removed_friends(engine, as_of)
    woken = {"bought": set(seen[0]), "replied": set(seen[1]), "joined_group": set(seen[2]),
             "friend_removed": events.removed_friends(engine, as_of, since), "opted_out": opted}
    with store.begin() as conn:
        active = _due(conn, enabled, as_of, woken)
        recent = _of(conn, select(task.c.person_id, task.c.created_at).where(
            task.c.status.in_(COUNTED), task.c.created_at > now - rails.WEEK), task.c.person_id,
            sorted({r["person_id"] for r in active}))
    first = min((r["step_since"] for r in active if _until(by_name[r["journey"]], r["step"])), default=start)
    if first < start:
        seen = _events(engine, enabled, first, as_of)
    ctx = _Context(engine, store, rules, timezone, as_of, now, removed, opted, *seen, defaultdict(list))
    for person, at in recent:
        ctx.recent[person].append(utc(at))
    fields = {f for j in enabled for s in j.steps if s.action
              for f in placeholders(s.action.template + s.action.group, "", "")}
    ctx.profile = events.profiles(engine, {str(r["person_id"]) for r in active}, fields)
    if active:
        ctx.predicates = _conditions(engine, enabled)
    changes: list[dict[str, Any]] = []
    new_tasks: list[dict[str, Any]] = []
    for row in sorted(active, key=lambda r: (r["entered_on"], r["id"])):
        j = by_name[row["journey"]]
        moved = _advance(ctx, j, dict(row), new_tasks, out)
        moved["due_on"] = _due_on(j, moved)
        if any(moved[k] != row[k] for k in ("step", "step_since", "status", "due_on")):
            changes.append(moved)
    ids = coupons.issue_many(store, ctx.coupons, at=now)  # committed first: a crash after it reissues nothing
    for t in new_tasks:
        t["coupon_id"] = ids.get(f"journey:{t['key']}") if t["status"] == "issued" else None
    with store.begin() as conn:
        insert_ignore(conn, task, new_tasks)
        _update_many(conn, state, [{"step": c["step"], "step_since": c["step_since"], "status": c["status"],
                                    "due_on": c["due_on"], "exit_reason": c["exit_reason"], "updated_at": now,
                                    "_id": c["id"]} for c in changes])
    score(engine, store, rules, as_of, timezone, since)
    return out


def _due(conn: sa.Connection, journeys: list[Journey], as_of: dt.date, woken: dict[str, set[str]]) -> list[Any]:
    """Active entries with a step due by `as_of`, and those an event of their person may end (an exit) or
    move on (a wait for it): `woken` maps an event (a name of EXITS or EVENTS) to the persons who had one."""
    cols = [c for c in state.c if c.name not in ("bought_on", "orders", "revenue_fen", "updated_at")]
    active = (state.c.status == "active") & state.c.journey.in_([j.name for j in journeys])
    rows = {r["id"]: r for r in conn.execute(select(*cols).where(active, state.c.due_on <= as_of)).mappings()}
    for event, persons in woken.items():
        moved = _moved_by(journeys, event)
        ids = sorted(persons)
        for i in range(0, len(ids) if moved is not None else 0, CHUNK):
            for r in conn.execute(select(*cols).where(active, moved, state.c.due_on > as_of,
                                                      one_of(conn, state.c.person_id, ids[i:i + CHUNK]))).mappings():
                rows[r["id"]] = r
    return list(rows.values())


def _moved_by(journeys: list[Journey], event: str) -> Any:
    """Which entries an event can change: all of a journey it exits, else those at a step waiting for it."""
    parts = []
    for j in journeys:
        waiting = [i for i, s in enumerate(j.steps) if s.until == event]
        if event in j.exits:
            parts.append(state.c.journey == j.name)
        elif waiting:
            parts.append((state.c.journey == j.name) & state.c.step.in_(waiting))
    return sa.or_(*parts) if parts else None


def _events(engine: Engine, journeys: list[Journey], since: dt.date, until: dt.date) -> tuple[
        dict[str, list[tuple[dt.date, int]]], dict[str, list[dt.datetime]], dict[str, list[dt.date]]]:
    """Purchases, replies and group joins in [since, until] (the last two only when a wait needs them)."""
    needs = {s.until for j in journeys for s in j.steps}
    return (events.purchases(engine, since, until),
            events.replies(engine, since, until) if "replied" in needs else {},
            events.group_joins(engine, since, until) if "joined_group" in needs else {})


def _until(j: Journey, step: int) -> bool:
    return step < len(j.steps) and j.steps[step].until is not None


def _due_on(j: Journey, row: dict[str, Any]) -> dt.date | None:
    """The first day the entry's next step may be taken without an event (a wait for one ends earlier only
    with an event, and its person is then read as woken); None once it is done or exited."""
    if row["status"] != "active" or row["step"] >= len(j.steps):
        return None
    return row["step_since"] + _wait(j.steps[row["step"]])


def _wait(s: Step) -> dt.timedelta:
    return dt.timedelta(days=max(s.wait_days, s.within_days) if s.until else s.wait_days)


def _update_many(conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """One executemany UPDATE … WHERE id = :_id for rows that all set the same columns (not one statement
    each: at 50k persons the row-by-row updates were half the day's time)."""
    if not rows:
        return
    cols = [k for k in rows[0] if k != "_id"]
    conn.execute(update(table).where(table.c.id == sa.bindparam("_id")).values(
        {c: sa.bindparam(c) for c in cols}), rows)


def check(engine: Engine, journeys: list[Journey]) -> None:
    """What the journeys name in the published profile, checked before anything is written: every template field
    is a profile column, every step condition and `segment` trigger compiles. A mistake is one UserError naming the
    journey and key. Without a profile there is nothing to check against (no one can enter either)."""
    if not engine.table_exists("person_profile"):
        return
    have = set(engine.table_schema("person_profile").names)
    predicates: list[tuple[str, str]] = []  # (key, predicate)
    for j in journeys:
        for i, s in enumerate(j.steps):
            for key in ("template", "group"):
                named = placeholders(getattr(s.action, key), "", "") if s.action else []
                unknown = [f for f in named if f not in have]
                if unknown:
                    raise UserError(f"journeys.{j.name}.steps[{i}].action.{key}: {{{unknown[0]}}} is not a profile "
                                    f"column")
            if s.condition:
                predicates.append((f"journeys.{j.name}.steps[{i}].condition", s.condition))
        if j.trigger == "segment_entered" and "segment" in j.params:
            predicates.append((f"journeys.{j.name}.trigger.segment", str(j.params["segment"])))
    if not predicates:
        return
    vocab = vocabulary(engine)  # read only when there is a predicate (it scans the profile's as-of day)
    for key, predicate in predicates:
        try:
            segment_sql(predicate, vocab)
        except SegmentError as exc:
            raise UserError(f"{key}: {str(exc).splitlines()[0]}") from None


def _enter(conn: sa.Connection, engine: Engine, j: Journey, rules: JourneySettings, as_of: dt.date,
           now: dt.datetime) -> int:
    """Persons who entered the trigger since the journey's watermark; one active entry per person."""
    since = conn.execute(select(watermark.c.evaluated_on).where(watermark.c.journey == j.name)).scalar()
    since = since or as_of - dt.timedelta(days=rules.lookback_days)
    if since >= as_of:
        return 0
    try:
        found = events.triggered(engine, j, since, as_of)
    except SegmentError as exc:
        raise UserError(f"journeys.{j.name}.trigger.segment: {str(exc).splitlines()[0]}") from None
    persons = sorted({str(r["person_id"]) for r in found})
    active: set[str] = set()
    for i in range(0, len(persons), CHUNK):
        active |= {r[0] for r in conn.execute(select(state.c.person_id).where(
            state.c.journey == j.name, state.c.status == "active",
            one_of(conn, state.c.person_id, persons[i:i + CHUNK])))}
    first_wait = _wait(j.steps[0]) if j.steps else dt.timedelta()
    rows = [{"journey": j.name, "person_id": str(r["person_id"]), "entry_key": str(r["entry_key"]),
             "arm": rails.arm(j.name, str(r["person_id"]), j.holdout), "entered_on": r["day"], "step": 0,
             "step_since": r["day"], "status": "active",
             "due_on": r["day"] + first_wait, "orders": 0, "revenue_fen": 0, "updated_at": now}
            for r in sorted(found, key=lambda r: (r["day"], str(r["person_id"])))
            if str(r["person_id"]) not in active]
    seen: set[str] = set()
    rows = [r for r in rows if not (r["person_id"] in seen or seen.add(r["person_id"]))]  # type: ignore[func-returns-value]
    before = conn.execute(select(sa.func.count()).select_from(state).where(state.c.journey == j.name)).scalar_one()
    insert_ignore(conn, state, rows)
    after = conn.execute(select(sa.func.count()).select_from(state).where(state.c.journey == j.name)).scalar_one()
    done = conn.execute(update(watermark).where(watermark.c.journey == j.name).values(evaluated_on=as_of))
    if done.rowcount == 0:
        conn.execute(watermark.insert().values(journey=j.name, evaluated_on=as_of))
    return int(after - before)


def _exit_reason(ctx: _Context, j: Journey, row: dict[str, Any]) -> str | None:
    person = row["person_id"]
    if "opted_out" in j.exits and person in ctx.opted_out:
        return "opted_out"
    if "friend_removed" in j.exits and person in ctx.removed:
        return "friend_removed"
    if "bought" in j.exits and any(d > row["entered_on"] for d, _ in ctx.bought.get(person, [])):
        return "bought"
    return None


def _barred(ctx: _Context, person: str) -> bool:
    """No staff task, in any journey, for a person on the do-not-contact list or a removed friend: a journey
    without those exits keeps such a person (its coupons still come) but never puts them in front of staff."""
    return person in ctx.opted_out or person in ctx.removed


def _ready(ctx: _Context, s: Step, person: str, since: dt.date) -> bool:
    if ctx.as_of < since + dt.timedelta(days=s.wait_days):
        return False
    if s.until is None or ctx.as_of >= since + dt.timedelta(days=s.within_days):
        return True
    if s.until == "replied":
        return any(t.date() >= since for t in ctx.replied.get(person, []))
    if s.until == "bought":
        return any(d >= since for d, _ in ctx.bought.get(person, []))
    return any(d >= since for d in ctx.joined.get(person, []))


def _conditions(engine: Engine, journeys: list[Journey]) -> dict[str, set[str]]:
    """Who satisfies each step condition now: one query per distinct predicate; a bad one names its key."""
    out: dict[str, set[str]] = {}
    for j in journeys:
        for i, s in enumerate(j.steps):
            if s.condition and s.condition not in out:
                try:
                    out[s.condition] = events.matching(engine, s.condition)
                except SegmentError as exc:
                    raise UserError(f"journeys.{j.name}.steps[{i}].condition: {str(exc).splitlines()[0]}") from None
    return out


def _holds(ctx: _Context, predicate: str, person: str) -> bool:
    return person in ctx.predicates.get(predicate, set())


def _advance(ctx: _Context, j: Journey, row: dict[str, Any], new_tasks: list[dict[str, Any]],
             out: Outcome) -> dict[str, Any]:
    """Take every step of one entry that is due today; stop at the first that is not (or is capped)."""
    person = row["person_id"]
    reason = _exit_reason(ctx, j, row)
    while reason is None and row["step"] < len(j.steps):
        s = j.steps[row["step"]]
        if not _ready(ctx, s, person, row["step_since"]):
            break
        act = s.action is not None
        if s.condition and not _holds(ctx, s.condition, person):
            if s.otherwise == "exit":
                reason = "condition"
                break
            act = False
        if act and s.action is not None and s.action.kind != "coupon" and _barred(ctx, person):
            act = False  # the guard rails hold whatever the journey's exits (a coupon contacts nobody)
            out.barred += 1
        if act and s.action is not None and not _act(ctx, j, s, row, new_tasks, out):
            out.deferred += 1
            break
        row["step"] += 1
        row["step_since"] = ctx.as_of
    if reason:
        row["status"], row["exit_reason"] = "exited", reason
        out.exited[reason] += 1
    elif row["step"] >= len(j.steps):
        row["status"] = "done"
    return row


def _act(ctx: _Context, j: Journey, s: Step, row: dict[str, Any], new_tasks: list[dict[str, Any]],
         out: Outcome) -> bool:
    """Record the step's action; False when a contact cap puts it off to a later day."""
    assert s.action is not None
    person, a = row["person_id"], s.action
    key = f"{j.name}:{person}:{row['entry_key']}:{s.name}"
    prof = ctx.profile.get(person, {})
    base = {"key": key, "journey": j.name, "person_id": person, "entry_key": row["entry_key"], "step": s.name,
            "kind": a.kind, "owner_staff_id": prof.get("owner_staff_id"), "owner_store_id": prof.get("owner_store_id"),
            "created_at": ctx.now, "revenue_fen": 0, "coupon_id": None}
    if row["arm"] == rails.HOLDOUT:
        new_tasks.append({**base, "title": a.title or f"coupon ¥{a.value_fen / 100:g}", "draft": "",
                          "due_at": ctx.now, "status": "holdout"})
        out.held_out += 1
        return True
    if a.kind == "coupon":  # issued in bulk before the tasks are written (_issue)
        ctx.coupons[f"journey:{key}"] = (person, a.value_fen, a.valid_days)
        new_tasks.append({**base, "title": f"coupon ¥{a.value_fen / 100:g}, {a.valid_days} days", "draft": "",
                          "due_at": ctx.now, "status": "issued"})
        out.coupons += 1
        return True
    since = prof.get("private_since")
    since_day = since.date() if isinstance(since, dt.datetime) else since
    if not rails.within_cap(ctx.recent[person], ctx.now, rails.weekly_cap(ctx.rules, since_day, ctx.as_of)):
        return False
    start = rails.allowed(ctx.now, ctx.rules, ctx.timezone)
    title = f"{a.title} → {_draft(a.group, prof)}" if a.kind == "invite" else a.title  # which group to invite to
    new_tasks.append({**base, "title": title[:200], "draft": _draft(a.template, prof),
                      "due_at": start + dt.timedelta(days=a.due_days), "status": "open"})
    ctx.recent[person].append(ctx.now)
    out.tasks += 1
    return True


def _draft(template: str, prof: dict[str, Any]) -> str:
    values = {k: ("" if v is None else v) for k, v in mask_profile(prof).items()}  # staff read drafts: no PII
    return template.format_map(defaultdict(str, values))


def score(engine: Engine, store: sa.Engine, rules: JourneySettings, as_of: dt.date, timezone: str,
          since: dt.date | None = None) -> None:
    """Replies and purchases after recent tasks, and purchases within the window after recent entries.

    With `since`, only the tasks and entries of persons who bought, replied or had an order refunded on a day
    from `since` on are scored: an outcome changes only with a new event (new tasks and entries count events
    from their own day, which is after the day last evaluated)."""
    horizon = max(rules.reply_days, rules.buy_days, rules.window_days)
    start = as_of - dt.timedelta(days=horizon)
    tz = zoneinfo.ZoneInfo(timezone)
    persons: list[str] | None = None
    among = events.changed_sql(engine, since, as_of) if since is not None else None
    if since is not None:  # the horizon's events of only these persons are read, never the whole base's
        persons = sorted({str(r["person_id"]) for r in engine.query(among).to_pylist()}) if among else []
    bought, replied = events.purchases(engine, start, as_of, among), events.replies(engine, start, as_of, among)
    with store.begin() as conn:
        tasks = _of(conn, select(task.c.id, task.c.person_id, task.c.created_at, task.c.replied_at,
                                 task.c.bought_on, task.c.revenue_fen).where(
            task.c.created_at >= dt.datetime.combine(start, dt.time(), dt.UTC)), task.c.person_id, persons)
        task_rows: list[dict[str, Any]] = []
        entry_rows: list[dict[str, Any]] = []
        for t in tasks:  # only rows whose outcome changed are written
            at = utc(t.created_at)
            reply = min((r for r in replied.get(t.person_id, []) if _after(r, at, rules.reply_days)), default=None)
            buys = [(d, f) for d, f in bought.get(t.person_id, [])
                    if at.date() < d <= at.date() + dt.timedelta(days=rules.buy_days)]
            new = {"replied_at": reply.replace(tzinfo=tz).astimezone(dt.UTC) if reply else None,
                   "bought_on": min((d for d, _ in buys), default=None), "revenue_fen": sum(f for _, f in buys)}
            old = {"replied_at": utc(t.replied_at) if t.replied_at else None, "bought_on": t.bought_on,
                   "revenue_fen": int(t.revenue_fen or 0)}
            if new != old:
                task_rows.append({**new, "_id": t.id})
        entries = _of(conn, select(state.c.id, state.c.person_id, state.c.entered_on, state.c.bought_on,
                                   state.c.orders, state.c.revenue_fen).where(
            state.c.entered_on >= as_of - dt.timedelta(days=rules.window_days)), state.c.person_id, persons)
        for e in entries:
            buys = [(d, f) for d, f in bought.get(e.person_id, [])
                    if e.entered_on < d <= e.entered_on + dt.timedelta(days=rules.window_days)]
            new = {"bought_on": min((d for d, _ in buys), default=None), "orders": len(buys),
                   "revenue_fen": sum(f for _, f in buys)}
            if new != {"bought_on": e.bought_on, "orders": int(e.orders or 0), "revenue_fen": int(e.revenue_fen or 0)}:
                entry_rows.append({**new, "_id": e.id})
        _update_many(conn, task, task_rows)
        _update_many(conn, state, entry_rows)


def _of(conn: sa.Connection, query: sa.Select[Any], column: Any, persons: list[str] | None) -> list[Any]:
    """The query's rows, of only these persons (read in chunks) unless None."""
    if persons is None:
        return list(conn.execute(query))
    return [r for i in range(0, len(persons), CHUNK)
            for r in conn.execute(query.where(one_of(conn, column, persons[i:i + CHUNK])))]


def _after(sent: dt.datetime, at: dt.datetime, days: int) -> bool:
    """Message times are brand wall-clock without a zone, tasks UTC: compared by day (a reply on the task's
    day counts)."""
    return at.date() <= sent.date() <= at.date() + dt.timedelta(days=days)
