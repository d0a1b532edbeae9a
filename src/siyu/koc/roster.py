"""The KOC roster in the operational store: a state per person, changed only along the programme's paths, each
change recorded with who made it and why.

candidate → approved → active ⇄ standby; anyone → retired; a retired person may be nominated again. Only an
approved or active KOC looks after groups: one going to standby or retired gives theirs up in the same change (the
change names them), so the groups are free for the next suggestion and the month's evaluation ranks only KOCs
at work.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from siyu.errors import UserError
from siyu.koc.tables import assignment, history, member

STATES = ("candidate", "approved", "active", "standby", "retired")
HOLDING = ("approved", "active")  # the states that look after groups
PATHS: dict[str | None, tuple[str, ...]] = {
    None: ("candidate",),
    "candidate": ("approved", "retired"),
    "approved": ("active", "retired"),
    "active": ("standby", "retired"),
    "standby": ("active", "retired"),
    "retired": ("candidate",),
}


class NotFound(UserError):
    """No such person on the roster."""


@dataclass(frozen=True)
class Change:
    person_id: str
    from_state: str | None
    to_state: str
    user_name: str
    reason: str
    at: dt.datetime
    released: tuple[str, ...] = ()  # groups given up by leaving approved/active


def state_of(conn: sa.Connection, person_id: str) -> str | None:
    return conn.execute(sa.select(member.c.state).where(member.c.person_id == person_id)).scalar_one_or_none()


def change(store: sa.Engine, person_id: str, to_state: str, user_name: str, reason: str, *,
           at: dt.datetime | None = None) -> Change:
    """Move a person to `to_state`; a UserError naming the allowed moves when the path does not exist."""
    if to_state not in STATES:
        raise UserError(f"unknown KOC state {to_state!r} (one of {', '.join(STATES)})")
    if not reason.strip():
        raise UserError("a KOC state change needs a reason")
    at = at or dt.datetime.now(dt.UTC)
    with store.begin() as conn:
        current = state_of(conn, person_id)
        if to_state not in PATHS[current]:
            allowed = ", ".join(PATHS[current])
            raise UserError(f"{person_id} is {current or 'not on the roster'}: it can become {allowed}, "
                            f"not {to_state}")
        if current is None:
            conn.execute(member.insert().values(person_id=person_id, state=to_state, updated_at=at))
        else:
            conn.execute(member.update().where(member.c.person_id == person_id)
                         .values(state=to_state, updated_at=at))
        conn.execute(history.insert().values(person_id=person_id, from_state=current, to_state=to_state,
                                              user_name=user_name, reason=reason, at=at))
        released: tuple[str, ...] = ()
        if to_state not in HOLDING:
            released = tuple(conn.execute(sa.select(assignment.c.group_id).where(assignment.c.person_id == person_id)
                                          .order_by(assignment.c.group_id)).scalars())
            conn.execute(assignment.delete().where(assignment.c.person_id == person_id))
    return Change(person_id, current, to_state, user_name, reason, at, released)


def nominate(store: sa.Engine, person_ids: list[str], user_name: str, reason: str) -> list[str]:
    """Add as candidates the persons not yet on the roster (or retired); returns those added."""
    added = []
    with store.connect() as conn:
        states = dict(conn.execute(sa.select(member.c.person_id, member.c.state)).all())
    for p in person_ids:
        if states.get(p) in (None, "retired"):
            change(store, p, "candidate", user_name, reason)
            added.append(p)
    return added


def roster(store: sa.Engine, state: str | None = None) -> dict[str, str]:
    """person_id → state, for one state or all."""
    q = sa.select(member.c.person_id, member.c.state).order_by(member.c.person_id)
    if state is not None:
        q = q.where(member.c.state == state)
    with store.connect() as conn:
        return dict(conn.execute(q).all())


def history_of(store: sa.Engine, person_id: str) -> list[Change]:
    with store.connect() as conn:
        rows = conn.execute(sa.select(history).where(history.c.person_id == person_id)
                            .order_by(history.c.id)).all()
    if not rows:
        raise NotFound(f"{person_id} has never been on the KOC roster")
    return [Change(r.person_id, r.from_state, r.to_state, r.user_name, r.reason, r.at) for r in rows]
