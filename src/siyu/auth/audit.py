"""The audit log: who did what, when and why. Every unmask and every export writes a row before data leaves."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from siyu.auth.roles import User
from siyu.store.tables import audit


def record(store: sa.Engine | sa.Connection, user: User, action: str, target: str = "", reason: str = "") -> None:
    """Write the row in its own transaction, or in the caller's when given a connection inside one (so the row
    commits with the change it describes, or not at all)."""
    row = {"at": dt.datetime.now(dt.UTC).replace(tzinfo=None), "user_name": user.name, "action": action,
           "target": target[:255], "reason": reason}
    if isinstance(store, sa.Connection):
        store.execute(_INSERT, row)
        return
    with store.begin() as con:
        con.execute(_INSERT, row)


_INSERT = audit.insert()  # one statement, the row as parameters: compiled once, not rebuilt per row


def _conditions(action: str | None, user_name: str | None) -> list[sa.ColumnElement[bool]]:
    conds = []
    if action:
        conds.append(audit.c.action == action)
    if user_name:
        conds.append(audit.c.user_name == user_name)
    return conds


def entries(store: sa.Engine, limit: int = 100, offset: int = 0, action: str | None = None,
            user_name: str | None = None) -> list[dict[str, object]]:
    """A page of entries, newest first."""
    q = (sa.select(audit).where(*_conditions(action, user_name)).order_by(audit.c.id.desc())
         .limit(limit).offset(offset))
    with store.connect() as con:
        return [dict(r._mapping) for r in con.execute(q)]


def count_entries(store: sa.Engine, action: str | None = None, user_name: str | None = None) -> int:
    q = sa.select(sa.func.count()).select_from(audit).where(*_conditions(action, user_name))
    with store.connect() as con:
        return int(con.execute(q).scalar_one())
