"""Operators' merge/split decisions taken in the service: kept in the operational store, copied into the
warehouse's `identity_override` by the next run's identity step (siyu.identity.overrides applies them)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from siyu.auth.roles import User
from siyu.config.settings import Settings
from siyu.engine import Engine
from siyu.errors import UserError
from siyu.identity.overrides import record_override
from siyu.store import existing_store, run_warehouse
from siyu.store.tables import identity_decisions


def decide(store: sa.Engine, user: User, kind: str, a: str, b: str | None, note: str = "") -> int:
    """Record a decision for the next run; the same checks as `siyu identity merge/split`. Returns its id."""
    if kind not in ("merge", "split"):
        raise UserError(f"kind must be 'merge' or 'split', not {kind!r}")
    if kind == "merge" and not b:
        raise UserError("a merge needs two identities")
    if b is not None and a == b:
        raise UserError(f"cannot {kind} {a} with itself")
    for ref in (a, b):
        if ref is not None and ":" not in ref:
            raise UserError(f"'{ref}' is not an identity: expected channel:channel_uid")
    with store.begin() as con:
        result = con.execute(identity_decisions.insert().values(
            kind=kind, a=a, b=b, note=note, user_name=user.name, at=dt.datetime.now(dt.UTC).replace(tzinfo=None)))
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])


def undo(store: sa.Engine, decision_id: int) -> dict[str, object]:
    """Withdraw a decision no run has applied yet; returns it. One already applied is undone by the opposite
    decision (a split after a merge), so the warehouse's history stays true."""
    with store.begin() as con:
        row = con.execute(sa.select(identity_decisions).where(identity_decisions.c.id == decision_id)).first()
        if row is None:
            raise UserError(f"no identity decision #{decision_id}")
        if row.applied_run is not None:
            raise UserError(f"decision #{decision_id} was applied by run {row.applied_run}; "
                            f"record the opposite decision instead")
        con.execute(identity_decisions.delete().where(identity_decisions.c.id == decision_id))
        return dict(row._mapping)


def decisions(store: sa.Engine, limit: int = 100, offset: int = 0) -> tuple[list[dict[str, object]], int]:
    """(a page of decisions, newest first; how many in all)."""
    q = sa.select(identity_decisions).order_by(identity_decisions.c.id.desc()).limit(limit).offset(offset)
    with store.connect() as con:
        total = con.execute(sa.select(sa.func.count()).select_from(identity_decisions)).scalar_one()
        return [dict(r._mapping) for r in con.execute(q)], int(total)


def _store_for(engine: Engine, settings: Settings) -> sa.Engine | None:
    """The operational store of this warehouse, None when there is none yet (nobody ever served it)."""
    return existing_store(settings, run_warehouse(engine, settings))


def import_decisions(engine: Engine, settings: Settings, run_id: str = "") -> int:
    """Copy decisions not yet applied into `identity_override`, oldest first; returns how many."""
    store = _store_for(engine, settings)
    if store is None:
        return 0
    try:
        with store.begin() as con:
            pending = con.execute(sa.select(identity_decisions).where(identity_decisions.c.applied_run.is_(None))
                                  .order_by(identity_decisions.c.id)).all()
            for d in pending:
                record_override(engine, d.kind, d.a, d.b, f"{d.note} (by {d.user_name} in siyu serve)".strip())
            ids = [d.id for d in pending]
            if ids:
                con.execute(identity_decisions.update().where(identity_decisions.c.id.in_(ids))
                            .values(applied_run=run_id or "run"))
        return len(pending)
    finally:
        store.dispose()
