"""Write transactions that serialise on what they touch: BEGIN IMMEDIATE on SQLite (the whole database, which is
what SQLite offers), row locks (SELECT … FOR UPDATE on a member's accounts) on PostgreSQL.

A balance check and the posting it allows must see the same state; these make that true under concurrency.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError

from siyu.loyalty.tables import PERSON, PERSON_KINDS, account

ACCOUNTS = "siyu.loyalty.accounts"
BEGIN_TRIES = 12  # × the store's busy timeout (5 s): a minute before a writer gives up


@contextmanager
def write(engine: Engine) -> Iterator[Connection]:
    """One transaction that commits on success and rolls back on any error; on SQLite it holds the write lock
    from its first statement, so what it reads cannot change before it writes."""
    with engine.connect() as conn:
        conn.info[ACCOUNTS] = {}  # account ids seen in this transaction (a rollback may undo ones created)
        try:
            if conn.dialect.name != "sqlite":
                with conn.begin():
                    yield conn
                return
            raw: Any = conn.connection.driver_connection
            before = raw.isolation_level
            raw.isolation_level = None  # pysqlite must not open its own deferred transaction
            try:
                _begin_immediate(conn)
                try:
                    yield conn
                except BaseException:
                    conn.rollback()
                    raise
                conn.commit()
            finally:
                raw.isolation_level = before
        finally:
            conn.info.pop(ACCOUNTS, None)


def _begin_immediate(conn: Connection) -> None:
    """BEGIN IMMEDIATE, tried again while another writer holds the database past the busy timeout: SQLite's busy
    handler is not fair, so under many writers one can wait longer than the timeout. Nothing has been done in the
    transaction yet, so trying again is safe."""
    for attempt in range(BEGIN_TRIES):
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            return
        except OperationalError as exc:
            conn.rollback()
            if "locked" not in str(exc) or attempt == BEGIN_TRIES - 1:
                raise


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def utc(value: dt.datetime) -> dt.datetime:
    """A stored timestamp as aware UTC (SQLite hands them back naive)."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def insert_ignore(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    """INSERT … ON CONFLICT DO NOTHING in the connection's dialect."""
    if not rows:
        return
    mod: Any = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(mod.insert(table).on_conflict_do_nothing(), rows)


def ensure_accounts(conn: Connection, keys: Iterable[tuple[str, str, str]], at: dt.datetime) -> dict[
        tuple[str, str, str], int]:
    """Account ids for (owner_type, owner, kind), creating the missing ones."""
    wanted = sorted(set(keys))
    known: dict[tuple[str, str, str], int] = conn.info.get(ACCOUNTS, {})
    missing = [k for k in wanted if k not in known]
    if missing:
        insert_ignore(conn, account, [{"owner_type": t, "owner": o, "kind": k, "created_at": at}
                                      for t, o, k in missing])
        owners = {o for _, o, _ in missing}
        rows = conn.execute(select(account.c.id, account.c.owner_type, account.c.owner, account.c.kind)
                            .where(account.c.owner.in_(owners))).all()
        known.update({(r.owner_type, r.owner, r.kind): r.id for r in rows})
    return {k: known[k] for k in wanted}


def lock_persons(conn: Connection, person_ids: Iterable[str], at: dt.datetime) -> None:
    """Hold the members' accounts until the transaction ends (PostgreSQL; SQLite already holds the database).

    Locks are taken in id order so two transactions locking the same members cannot deadlock."""
    persons = sorted(set(person_ids))
    ids = ensure_accounts(conn, [(PERSON, p, k) for p in persons for k in PERSON_KINDS], at)
    if conn.dialect.name == "postgresql" and ids:
        conn.execute(select(account.c.id).where(account.c.id.in_(list(ids.values())))
                     .order_by(account.c.id).with_for_update())
