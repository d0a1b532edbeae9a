"""The audit log: who did what, when and why. Every unmask and every export writes a row before data leaves."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from siyu.auth.roles import User
from siyu.store.tables import audit


def record(store: sa.Engine, user: User, action: str, target: str = "", reason: str = "") -> None:
    with store.begin() as con:
        con.execute(audit.insert().values(at=dt.datetime.now(dt.UTC).replace(tzinfo=None), user_name=user.name,
                                          action=action, target=target[:255], reason=reason))


def entries(store: sa.Engine, limit: int = 100, offset: int = 0, action: str | None = None,
            user_name: str | None = None) -> list[dict[str, object]]:
    q = sa.select(audit).order_by(audit.c.id.desc()).limit(limit).offset(offset)
    if action:
        q = q.where(audit.c.action == action)
    if user_name:
        q = q.where(audit.c.user_name == user_name)
    with store.connect() as con:
        return [dict(r._mapping) for r in con.execute(q)]
