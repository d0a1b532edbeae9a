"""Write transactions that serialise on what they touch: BEGIN IMMEDIATE on SQLite (the whole database, which is
what SQLite offers), row locks (SELECT … FOR UPDATE on a member's accounts) on PostgreSQL.

A balance check and the posting it allows must see the same state; these make that true under concurrency.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import threading
import time
import weakref
from collections import ChainMap
from collections.abc import Iterable, Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import ColumnElement, DateTime, any_, bindparam, func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError

from siyu.errors import SiyuError
from siyu.loyalty.tables import PERSON, PERSON_KINDS, account

ACCOUNTS = "siyu.loyalty.accounts"
LOCKED = "siyu.loyalty.locked"  # members whose accounts this transaction holds (PostgreSQL): not locked twice
# account ids known committed, per store: accounts are never deleted nor renumbered, so a member's ids are looked
# up once per process instead of once per transaction
_COMMITTED: weakref.WeakKeyDictionary[Engine, dict[tuple[str, str, str], int]] = weakref.WeakKeyDictionary()
BEGIN_TRIES = 12  # × the store's busy timeout (5 s): a minute before a writer gives up
# one SQLite writer at a time per store within this process: threads queue on a lock (woken in turn the moment it
# is free) instead of polling SQLite's busy handler, whose sleeps grow to 100 ms and whose order is not fair
_SQLITE_TURN: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()
_TURNS = threading.Lock()
# across processes (`siyu serve --workers N` on one SQLite file), the writer whose process holds the turn waits on
# a lock file beside the database (`<file>-writer`, flock) before BEGIN IMMEDIATE: blocked in the kernel, it is
# woken the moment the holder lets go, where SQLite's busy handler sleeps up to 100 ms between tries and so lost
# every race to the holding process's next writer (a worker starved for seconds: p99 3.8 s at 272/s)
_SQLITE_FILE: weakref.WeakKeyDictionary[Engine, tuple[int, int]] = weakref.WeakKeyDictionary()  # (pid, fd)


class LedgerBusy(SiyuError):
    """Other writers held the store longer than the caller was willing to wait; nothing was done."""


@contextmanager
def write(engine: Engine, *, patience_s: float | None = None) -> Iterator[Connection]:
    """One transaction that commits on success and rolls back on any error; on SQLite it holds the write lock
    from its first statement, so what it reads cannot change before it writes. `patience_s`: give up (LedgerBusy)
    once SQLite's lock has been waited for that long (an HTTP caller answers 503 rather than hang)."""
    committed = _COMMITTED.setdefault(engine, {})
    with engine.connect() as conn:
        # ids seen in this transaction (a rollback may undo ones created) over the committed ones, not a copy of
        # them: a copy costs every transaction time in proportion to the members the process has ever touched
        conn.info[ACCOUNTS] = ChainMap({}, committed)
        conn.info[LOCKED] = set()  # kept only within `write`: the info outlives the transaction with the connection
        try:
            if conn.dialect.name != "sqlite":
                with conn.begin():
                    yield conn
                committed.update(conn.info[ACCOUNTS].maps[0])
                return
            raw: Any = conn.connection.driver_connection
            before = raw.isolation_level
            raw.isolation_level = None  # pysqlite must not open its own deferred transaction
            turn = _sqlite_turn(engine)
            if not turn.acquire(timeout=BEGIN_TRIES * 5.0 if patience_s is None else patience_s):
                raw.isolation_level = before
                raise LedgerBusy("the ledger's store stayed busy with this process's other writes")
            file = None
            try:
                file = _file_turn(engine, BEGIN_TRIES * 5.0 if patience_s is None else patience_s)
                _begin_immediate(conn, patience_s)  # writers that take no file turn still queue on SQLite's lock
                try:
                    yield conn
                except BaseException:
                    conn.rollback()
                    raise
                conn.commit()
                committed.update(conn.info[ACCOUNTS].maps[0])
            finally:
                if file is not None:
                    fcntl.flock(file, fcntl.LOCK_UN)
                turn.release()
                raw.isolation_level = before
        finally:
            conn.info.pop(ACCOUNTS, None)
            conn.info.pop(LOCKED, None)


def _sqlite_turn(engine: Engine) -> threading.Lock:
    with _TURNS:
        return _SQLITE_TURN.setdefault(engine, threading.Lock())


def _file_turn(engine: Engine, patience_s: float) -> int | None:
    """Wait for the store's writer lock file (the caller holds this process's turn, so one thread per process
    waits here) and return its descriptor, held until the caller unlocks it; None for a database in memory.
    LedgerBusy after `patience_s`: the blocking wait runs in a helper thread, which lets go of the lock at once
    should it get it after the caller gave up."""
    fd = _lock_file(engine)
    if fd is None:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return fd
    except BlockingIOError:
        pass
    state = {"got": False, "abandoned": False}
    guard = threading.Lock()

    def wait() -> None:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with guard:
            if state["abandoned"]:
                fcntl.flock(fd, fcntl.LOCK_UN)
            else:
                state["got"] = True

    waiter = threading.Thread(target=wait, daemon=True)
    waiter.start()
    waiter.join(patience_s)
    with guard:
        if state["got"]:
            return fd
        state["abandoned"] = True
    raise LedgerBusy("the ledger's store stayed busy with other processes' writes")


def _lock_file(engine: Engine) -> int | None:
    """This process's descriptor of `<database>-writer` (opened again after a fork: a descriptor shared with the
    parent would share its lock)."""
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    with _TURNS:
        known = _SQLITE_FILE.get(engine)
        if known is not None and known[0] == os.getpid():
            return known[1]
        fd = os.open(f"{database}-writer", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        _SQLITE_FILE[engine] = (os.getpid(), fd)
        weakref.finalize(engine, os.close, fd)
        return fd


@contextmanager
def within(bind: Engine | Connection) -> Iterator[Connection]:
    """The caller's write transaction when given a connection opened by `write` (several steps, one commit: an
    API request's key claim, posting and audit row), else a new `write` transaction of its own."""
    if isinstance(bind, Connection):
        yield bind
        return
    with write(bind) as conn:
        yield conn


def _begin_immediate(conn: Connection, patience_s: float | None = None) -> None:
    """BEGIN IMMEDIATE, tried again while another writer holds the database past the busy timeout: SQLite's busy
    handler is not fair, so under many writers one can wait longer than the timeout. Nothing has been done in the
    transaction yet, so trying again is safe."""
    start = time.monotonic()
    for attempt in range(BEGIN_TRIES):
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            return
        except OperationalError as exc:
            conn.rollback()
            if "locked" not in str(exc):
                raise
            if attempt == BEGIN_TRIES - 1 or (patience_s is not None and time.monotonic() - start >= patience_s):
                raise LedgerBusy(f"the ledger's store stayed locked by other writers for "
                                 f"{time.monotonic() - start:.0f} s") from None


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
    known: MutableMapping[tuple[str, str, str], int] = conn.info.get(ACCOUNTS, {})
    missing = [k for k in wanted if k not in known]
    if missing:
        if conn.dialect.name == "postgresql":  # one statement of three bound arrays, not a row per account
            conn.execute(_NEW_ACCOUNTS_PG, {"types": [t for t, _, _ in missing], "owners": [o for _, o, _ in missing],
                                            "kinds": [k for _, _, k in missing], "at": at})
        else:
            insert_ignore(conn, account, [{"owner_type": t, "owner": o, "kind": k, "created_at": at}
                                          for t, o, k in missing])
        owners = {o for _, o, _ in missing}
        # the owner types too: the unique index leads with them (owners alone scanned every account)
        rows = conn.execute(select(account.c.id, account.c.owner_type, account.c.owner, account.c.kind)
                            .where(one_of(conn, account.c.owner_type, sorted({t for t, _, _ in missing})),
                                   one_of(conn, account.c.owner, owners))).all()
        known.update({(r.owner_type, r.owner, r.kind): r.id for r in rows})
    return {k: known[k] for k in wanted}


_NEW_ACCOUNTS_PG = text("""
    INSERT INTO loyalty_account (owner_type, owner, kind, created_at)
    SELECT t, o, k, :at FROM unnest(CAST(:types AS varchar[]), CAST(:owners AS varchar[]), CAST(:kinds AS varchar[]))
         AS a(t, o, k)
    ON CONFLICT DO NOTHING""").bindparams(bindparam("at", type_=DateTime(timezone=True)))


def reserve_ids(conn: Connection, table: Any, n: int) -> list[int]:
    """`n` new ids of `table`'s integer key, for rows about to be bulk-inserted with their ids given: from its
    sequence on PostgreSQL; on SQLite the ids after the largest, which no one else can take while this
    transaction holds the write lock (`write` takes it at BEGIN)."""
    if n <= 0:
        return []
    if conn.dialect.name == "postgresql":
        return [int(i) for i in conn.execute(
            text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"),
            {"t": table.name, "n": n}).scalars()]
    top = int(conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one())
    return list(range(top + 1, top + n + 1))


def bulk_insert(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    """Insert many rows (all with the same keys): COPY on PostgreSQL, executemany on SQLite."""
    if not rows:
        return
    names = list(rows[0])
    quote = conn.dialect.identifier_preparer  # SQLAlchemy quotes the store's names, as it does everywhere else
    target, columns = quote.format_table(table), ", ".join(quote.quote(n) for n in names)
    if conn.dialect.name != "postgresql":  # the driver's executemany, values converted as SQLAlchemy would
        binds = [table.c[n].type.bind_processor(conn.dialect) for n in names]
        conn.exec_driver_sql(f'INSERT INTO {target} ({columns}) VALUES ({", ".join("?" * len(names))})',
                             [tuple(row[n] if b is None else b(row[n]) for n, b in zip(names, binds, strict=True))
                              for row in rows])
        return
    raw: Any = conn.connection.driver_connection
    with raw.cursor() as cur, cur.copy(f"COPY {target} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[n] for n in names])


def custom_plans(conn: Connection) -> None:
    """PostgreSQL plans this transaction's statements for their values (bulk work): psycopg prepares a statement
    run 5 times, and PostgreSQL's generic plan of `column = ANY(array)` made while a table was still small scans
    it testing each row against every value (the states of a 100k-order first sync took 16 s instead of 0.4 s)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")


def seek_members(conn: Connection) -> None:
    """PostgreSQL: this transaction's reads of some members' rows walk the indexes from those members (nested
    loops), never hash a whole table of the ledger. Given `= ANY(array)` of thousands of members the planner
    hashed every entry against them: the facts of a day's 41k touched members read a 10M-order ledger's 40M
    entries 9 times over (39.5 s), work that grew with the ledger instead of with the day."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL enable_hashjoin = off")
        conn.exec_driver_sql("SET LOCAL enable_mergejoin = off")


def one_of(conn: Connection, column: Any, values: Iterable[Any]) -> ColumnElement[bool]:
    """`column IN (values)`; on PostgreSQL `column = ANY(array)`, one bound array, so a list of thousands
    neither bloats the statement nor slows its planning."""
    items = list(values)
    if conn.dialect.name == "postgresql":
        return column == any_(bindparam(None, items, type_=postgresql.ARRAY(column.type)))
    return column.in_(items)


def lock_persons(conn: Connection, person_ids: Iterable[str], at: dt.datetime) -> None:
    """Hold the members' accounts until the transaction ends (PostgreSQL; SQLite already holds the database).
    Members this transaction already holds are not locked again (no statement).

    Locks are taken in id order so two transactions locking the same members cannot deadlock."""
    persons = sorted(set(person_ids) - conn.info.get(LOCKED, set()))
    ids = person_accounts(conn, persons, at)
    if conn.dialect.name == "postgresql" and ids:
        conn.execute(select(account.c.id).where(one_of(conn, account.c.id, ids))
                     .order_by(account.c.id).with_for_update())
        held_locks(conn, persons)


def person_accounts(conn: Connection, person_ids: Iterable[str], at: dt.datetime) -> list[int]:
    """The ids of the members' accounts of every kind (created when missing), in the order locks are taken."""
    return sorted(ensure_accounts(conn, [(PERSON, p, k) for p in person_ids for k in PERSON_KINDS], at).values())


def held_locks(conn: Connection, person_ids: Iterable[str]) -> None:
    """Note that this transaction now holds the members' accounts (locked by a statement of the caller's). Noted
    only in a `write` transaction, which forgets it at its end; elsewhere every lock_persons locks."""
    held = conn.info.get(LOCKED)
    if held is not None:
        held.update(person_ids)
