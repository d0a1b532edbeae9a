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
            user_name: str | None = None) -> tuple[list[dict[str, object]], int]:
    """(a page of entries, newest first; how many match in all)."""
    conds = [c for c in (audit.c.action == action if action else None,
                         audit.c.user_name == user_name if user_name else None) if c is not None]
    q = sa.select(audit).where(*conds).order_by(audit.c.id.desc()).limit(limit).offset(offset)
    with store.connect() as con:
        total = con.execute(sa.select(sa.func.count()).select_from(audit).where(*conds)).scalar_one()
        return [dict(r._mapping) for r in con.execute(q)], int(total)
