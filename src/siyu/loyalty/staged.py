"""Set-based posting of many orders at once: a batch's first-seen orders and a batch of due releases are written
with a few INSERT … SELECT statements from a staging table (a temporary table of the transaction's connection,
loaded by COPY on PostgreSQL, executemany on SQLite), not planned posting by posting in Python.

What each new order earns is still decided by siyu.loyalty.orders and siyu.loyalty.rules (one home of the
rules); here only its rows are written. Ids are drawn in the staging table (the sequences on PostgreSQL; after
the largest on SQLite, whose write lock `db.write` holds), so lots, orders, postings and entries are inserted with
their ids and nothing just written is read back. Callers hold the members' locks (`db.lock_persons`) inside one
`db.write` transaction: a batch commits whole or not at all.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    func,
    select,
    text,
)
from sqlalchemy.engine import Connection
from sqlalchemy.schema import CreateTable

from siyu.loyalty import touched
from siyu.loyalty.db import bulk_insert, ensure_accounts
from siyu.loyalty.ledger import EARN_KEY_SQL, RELEASE_KEY_SQL, reopen
from siyu.loyalty.tables import PERSON, SYSTEM, account, lot, order, posting

_temp = MetaData()

# one first-seen order: what it earns, decided in Python; ids drawn in SQL
new_order = Table(
    "loyalty_stage_new_order", _temp,
    Column("seq", Integer, nullable=False),  # 1.. in the batch: the SQLite ids' offsets
    Column("person_id", String(64), nullable=False),
    Column("channel", String(32), nullable=False),
    Column("order_id", String(128), nullable=False),
    Column("version", BigInteger, nullable=False),
    Column("rate_ppm", BigInteger, nullable=False),
    Column("basis_fen", BigInteger, nullable=False),
    Column("points", BigInteger, nullable=False),
    Column("paid_on", Date, nullable=False),
    Column("expires_on", Date),
    Column("account_id", Integer, nullable=False),  # the member's points_pending account
    Column("points_account_id", Integer, nullable=False),  # and points account
    Column("due", Boolean, nullable=False),  # its return window has closed: released at once
    Column("lot_id", Integer),
    Column("posting_id", Integer),
    Column("release_id", Integer),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DROP",
)

# one due order to release
due_order = Table(
    "loyalty_stage_release", _temp,
    Column("seq", Integer, nullable=False),
    Column("person_id", String(64), nullable=False),
    Column("channel", String(32), nullable=False),
    Column("order_id", String(128), nullable=False),
    Column("points", BigInteger, nullable=False),
    Column("lot_id", Integer, nullable=False),
    Column("posting_id", Integer),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DROP",
)


# the id columns of each staging table and the table whose ids they are
_IDS = {"loyalty_stage_new_order": {"lot_id": lot, "posting_id": posting, "release_id": posting},
        "loyalty_stage_release": {"posting_id": posting}}


def _fresh(conn: Connection, table: Table) -> None:
    """The staging table, empty. On SQLite it lives as long as the connection. On PostgreSQL its id columns
    default to the ledger tables' sequences, so COPY draws the ids as it loads (gaps are harmless), and it is
    dropped at commit: a temporary table kept with the session would hold a dependency on those sequences for as
    long as a pooled connection lives (a migration or a DROP SCHEMA would wait on it, or deadlock with the
    session's exit dropping it)."""
    if conn.dialect.name != "postgresql":
        conn.execute(CreateTable(table, if_not_exists=True))
        conn.execute(table.delete())
        return
    if conn.execute(text("SELECT to_regclass(:t)"), {"t": f"pg_temp.{table.name}"}).scalar() is not None:
        conn.execute(table.delete())  # made earlier in this transaction
        return
    conn.execute(CreateTable(table))
    for column, target in _IDS[table.name].items():
        seq = conn.execute(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": target.name}).scalar_one()
        name = String().literal_processor(conn.dialect)(seq)  # SQLAlchemy's quoting
        quote = conn.dialect.identifier_preparer
        conn.exec_driver_sql(f"ALTER TABLE {quote.format_table(table)} ALTER COLUMN {quote.quote(column)} "
                             f"SET DEFAULT nextval({name}::regclass)")


def _draw_ids(conn: Connection, table: Table, column: str, where: str = "", offset: int = 0) -> None:
    """On SQLite, fill `table.column` with new ids for the staged rows (matching `where`), after the largest id
    of its table (which no one else can take while `db.write` holds the write lock); `offset` skips the ids an
    earlier draw of the same batch took. PostgreSQL drew them while loading (`_fresh`)."""
    if conn.dialect.name == "postgresql":
        return
    target = _IDS[table.name][column]
    cond = f" WHERE {where}" if where else ""
    top = int(conn.execute(select(func.coalesce(func.max(target.c.id), 0))).scalar_one())
    conn.execute(text(f"UPDATE {table.name} SET {column} = :top + seq{cond}"), {"top": top + offset})


def _at(sql: str) -> Any:
    return text(sql).bindparams(bindparam("at", type_=DateTime(timezone=True)))


def post_new_orders(conn: Connection, rows: list[dict[str, Any]], at: dt.datetime) -> int:
    """Write first-seen orders (dicts of `new_order`'s columns but the ids and accounts): each order's lot and
    `loyalty_order` row, and for those earning points their `earn_pending` posting (key
    `earn:{channel}:{order_id}:v{version}`, never posted before: an order's postings commit with its row); those
    `due` (their window closed) are released at once, as `release_orders` would next (key
    `release:{channel}:{order_id}`), not written unreleased to be read back. Returns the releases posted."""
    if not rows:
        return 0
    persons = {r["person_id"] for r in rows}
    ids = ensure_accounts(conn, [(PERSON, p, k) for p in persons for k in ("points_pending", "points")] +
                          [(SYSTEM, "points_issued", "points_issued")], at)
    issued = ids[(SYSTEM, "points_issued", "points_issued")]
    _fresh(conn, new_order)
    drawn = {} if conn.dialect.name == "postgresql" else {"lot_id": None, "posting_id": None, "release_id": None}
    bulk_insert(conn, new_order, [{**r, "seq": i, "account_id": ids[(PERSON, r["person_id"], "points_pending")],
                                   "points_account_id": ids[(PERSON, r["person_id"], "points")], **drawn}
                                  for i, r in enumerate(rows, 1)])
    _draw_ids(conn, new_order, "lot_id")
    _draw_ids(conn, new_order, "posting_id", "points <> 0")
    released = sum(1 for r in rows if r["due"] and r["points"])
    if released:  # after every earning posting: as if released by the next statement
        _draw_ids(conn, new_order, "release_id", "points <> 0 AND due", offset=len(rows))
    s = new_order.name
    conn.execute(_at(f"""
        INSERT INTO loyalty_lot (id, key, origin, expires_on, created_at, channel, order_id)
        SELECT lot_id, 'order:' || channel || ':' || order_id, 'order', expires_on, :at, channel, order_id
        FROM {s}"""), {"at": at})
    conn.execute(text(f"""
        INSERT INTO loyalty_order (channel, order_id, person_id, version, rate_ppm, basis_fen, points, paid_on,
                                   released, lot_id, moves)
        SELECT channel, order_id, person_id, version, rate_ppm, basis_fen, points, paid_on, due, lot_id, 0
        FROM {s}"""))
    conn.execute(_at(f"""
        INSERT INTO loyalty_posting (id, key, type, person_id, reason, posted_at, channel, order_id, order_version)
        SELECT posting_id, {EARN_KEY_SQL}, 'earn_pending', person_id, NULL, :at, channel, order_id, version
        FROM {s} WHERE points <> 0
        UNION ALL
        SELECT release_id, {RELEASE_KEY_SQL}, 'release', person_id, NULL, :at, channel, order_id, NULL
        FROM {s} WHERE points <> 0 AND due"""), {"at": at})
    conn.execute(text(f"""
        INSERT INTO loyalty_entry (posting_id, leg, account_id, amount, lot_id)
        SELECT posting_id, 0, account_id, points, lot_id FROM {s} WHERE points <> 0
        UNION ALL
        SELECT posting_id, 1, :issued, -points, NULL FROM {s} WHERE points <> 0
        UNION ALL
        SELECT release_id, 0, account_id, -points, lot_id FROM {s} WHERE points <> 0 AND due
        UNION ALL
        SELECT release_id, 1, points_account_id, points, lot_id FROM {s} WHERE points <> 0 AND due"""),
                 {"issued": issued})
    touched.touch(conn, persons)  # their lots are new: none to reopen
    return released


def release_orders(conn: Connection, due: Any, at: dt.datetime) -> int:
    """Release the pending points of the orders `due` selects (a condition on `loyalty_order`) with `release`
    postings (key `release:{channel}:{order_id}`, unused while an order is unreleased: its release commits with
    the flag), pending → available in the order's lot, and flag them released. Returns the postings made. The
    members' points accounts exist: `db.lock_persons` made them."""
    _fresh(conn, due_order)
    conn.execute(due_order.insert().from_select(
        ["seq", "person_id", "channel", "order_id", "points", "lot_id"],
        select(func.row_number().over(order_by=(order.c.channel, order.c.order_id)), order.c.person_id,
               order.c.channel, order.c.order_id, order.c.points, order.c.lot_id)
        .where(due & (order.c.points != 0))))
    _draw_ids(conn, due_order, "posting_id")
    s = due_order.name
    made = conn.execute(_at(f"""
        INSERT INTO loyalty_posting (id, key, type, person_id, reason, posted_at, channel, order_id, order_version)
        SELECT posting_id, {RELEASE_KEY_SQL}, 'release', person_id, NULL, :at, channel, order_id, NULL
        FROM {s}"""), {"at": at}).rowcount
    conn.execute(text(f"""
        INSERT INTO loyalty_entry (posting_id, leg, account_id, amount, lot_id)
        SELECT r.posting_id, 0, a.id, -r.points, r.lot_id
        FROM {s} AS r JOIN {account.name} AS a
             ON a.owner_type = :person AND a.owner = r.person_id AND a.kind = 'points_pending'
        UNION ALL
        SELECT r.posting_id, 1, a.id, r.points, r.lot_id
        FROM {s} AS r JOIN {account.name} AS a
             ON a.owner_type = :person AND a.owner = r.person_id AND a.kind = 'points'"""), {"person": PERSON})
    conn.execute(order.update().where(due).values(released=True))
    touched.touch(conn, conn.execute(select(due_order.c.person_id).distinct()).scalars())
    reopen(conn, set(conn.execute(select(due_order.c.lot_id)).scalars()))
    return int(made)
