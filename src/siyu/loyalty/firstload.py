"""The first sync of a ledger on PostgreSQL, set-based in the server: when no order was ever posted, every order
is streamed into the server with one COPY (Arrow → CSV, no Python per row) and its lot, `loyalty_order` row,
`earn_pending` posting and, its return window closed, `release` posting with their entries are computed and
written with one `INSERT … SELECT` each. The ledger's indexes (but the postings' primary key) are dropped for the
load and built again after it (one sort each instead of tens of millions of row-by-row index insertions).

The ledger it writes is the ordinary path's (siyu.loyalty.earning with siyu.loyalty.staged) entry for entry; only
ids differ. The rules keep one home: what each channel's rate is, whether a status and the sign of its amount make
a purchase, and when an order's points expire are asked of siyu.loyalty.rules and siyu.loyalty.orders for each
distinct channel, status and paid date, and joined in as small tables; the server only applies `rules.points`'
integer arithmetic.

Everything is one transaction that holds the ledger's order, lot, posting and entry tables exclusively (the API
waits for it): a kill anywhere rolls it all back, indexes included (PostgreSQL's DDL is transactional), and a rerun
starts over. `load` declines (None: the caller takes the ordinary path) when the store is not PostgreSQL, when any
order was posted before or any member has a tier (a first load only), and when an order appears twice in the
input (the ordinary path posts its versions in turn).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.types import Date, DateTime

from siyu.loyalty.db import write
from siyu.loyalty.orders import OrderRow, basis_fen
from siyu.loyalty.rules import FEN_PER_YUAN, PPM, LoyaltySettings
from siyu.loyalty.tables import PERSON, PERSON_KINDS, SYSTEM, account, entry, lot, order, posting, tier_history
from siyu.loyalty.tables import touched as touched_table

log = logging.getLogger(__name__)

STAGE = "loyalty_first_load"  # unlogged, created and dropped in the load's transaction
COPY_ROWS = 200_000  # orders per CSV chunk sent to COPY
# the tables the load writes, locked in this order, their indexes dropped and rebuilt
LEDGER = (account.name, order.name, lot.name, posting.name, entry.name)
COLUMNS = ("seq", "person_id", "channel", "order_id", "version", "status", "net_fen", "paid_on", "excluded_fen")


class _Declined(Exception):
    """Not a first load after all (found under the locks): roll back, take the ordinary path."""


def load(engine: Engine, orders: pa.Table, rules: LoyaltySettings, as_of: dt.date,
         at: dt.datetime) -> dict[str, int] | None:
    """Post every order of `orders` (the OrderRow columns) on an empty PostgreSQL ledger in one transaction;
    returns the postings made by type, or None when this is not such a load (nothing was written)."""
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as conn:  # without locks first: every later sync passes here
        if conn.execute(text(f"SELECT EXISTS (SELECT 1 FROM {order.name})")).scalar_one():
            return None
    table = _normalised(orders)
    if table is None:
        return None
    try:
        with write(engine) as conn:
            return _load(conn, table, rules, as_of, at)
    except _Declined:
        return None
    except IntegrityError as exc:  # an order twice in the input: its primary key could not be built
        if f"pk_{order.name}" not in str(exc.orig):
            raise
        log.info("first load declined: an order appears more than once")
        return None


def _load(conn: Connection, orders: pa.Table, rules: LoyaltySettings, as_of: dt.date,
          at: dt.datetime) -> dict[str, int]:
    with _timed("lock and check"):
        for name in LEDGER:
            conn.exec_driver_sql(f"LOCK TABLE {name} IN ACCESS EXCLUSIVE MODE")
        if conn.execute(text(f"SELECT EXISTS (SELECT 1 FROM {order.name}) OR EXISTS "
                             f"(SELECT 1 FROM {tier_history.name})")).scalar_one():
            raise _Declined
        conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '1GB'")
        conn.exec_driver_sql("SET LOCAL work_mem = '256MB'")
    with _timed(f"COPY {orders.num_rows:,} orders"):
        _stage(conn, orders)
    with _timed("rules per channel, status and date"):
        _rule_tables(conn, orders, rules)
    with _timed("drop secondary indexes"):
        saved = _drop_indexes(conn)
    n = orders.num_rows
    ids = {name: _reserve(conn, name, n * per) for name, per in ((lot.name, 1), (posting.name, 2), (entry.name, 4))}
    params = {"at": at, "last_paid": rules.released_paid_by(as_of), "div": FEN_PER_YUAN * PPM,
              "lot0": ids[lot.name], "post0": ids[posting.name], "entry0": ids[entry.name], "n": n,
              "person": PERSON}
    for label, sql in _STATEMENTS:
        with _timed(label):
            conn.execute(_sql(sql), params)
        if label.startswith("orders"):
            with _timed("order primary key (an order twice fails here)"):
                conn.exec_driver_sql(saved.pop(f"pk_{order.name}"))
    counts = {r[0]: int(r[1]) for r in conn.execute(text(f"SELECT type, count(*) FROM {posting.name} "
                                                         f"WHERE id > :p GROUP BY type"), {"p": ids[posting.name]})}
    for name, definition in saved.items():
        with _timed(f"index {name}"):
            conn.exec_driver_sql(definition)
    conn.exec_driver_sql(f"DROP TABLE {STAGE}, {STAGE}_rate, {STAGE}_status, {STAGE}_day, {STAGE}_account")
    with _timed("analyze"):  # the planner's statistics were of near-empty tables: the next day's plans need these
        conn.exec_driver_sql(f"ANALYZE {', '.join((*LEDGER, touched_table.name))}")
    return counts


@contextmanager
def _timed(what: str) -> Iterator[None]:
    start = time.perf_counter()
    yield
    log.info("first load: %s %.1f s", what, time.perf_counter() - start)


def _normalised(orders: pa.Table) -> pa.Table | None:
    """The orders as COPY takes them: the OrderRow columns typed, `seq` 1.. (the rows' ids are drawn from it), a
    missing version as 1 (a first-seen order's), a missing amount as 0. None for a paid time with a time zone
    (its day is the zone's: the ordinary path decides it)."""
    n = orders.num_rows
    names = set(orders.column_names)
    paid = orders.column("paid_on")
    if pa.types.is_timestamp(paid.type):
        if paid.type.tz is not None:
            return None
        paid = pc.cast(paid, pa.date32())
    elif not pa.types.is_date32(paid.type):
        paid = pc.cast(paid, pa.date32())

    def whole(name: str, default: int) -> pa.ChunkedArray | pa.Array:
        if name not in names:
            return pa.array(np.full(n, default, dtype=np.int64))
        return pc.fill_null(pc.cast(orders.column(name), pa.int64()), default)

    return pa.table({
        "seq": pa.array(np.arange(1, n + 1, dtype=np.int64)),
        "person_id": pc.cast(orders.column("person_id"), pa.string()),
        "channel": pc.cast(orders.column("channel"), pa.string()),
        "order_id": pc.cast(orders.column("order_id"), pa.string()),
        "version": whole("version", 1),
        "status": pc.cast(orders.column("status"), pa.string()),
        "net_fen": whole("net_fen", 0),
        "paid_on": paid,
        "excluded_fen": whole("excluded_fen", 0),
    })


def _stage(conn: Connection, orders: pa.Table) -> None:
    """The orders into an unlogged table of the transaction, COPY of CSV written by Arrow a chunk at a time."""
    conn.exec_driver_sql(f"""
        CREATE UNLOGGED TABLE {STAGE} (seq bigint NOT NULL, person_id varchar(64) NOT NULL,
            channel varchar(32) NOT NULL, order_id varchar(128) NOT NULL, version bigint NOT NULL,
            status varchar(32) NOT NULL, net_fen bigint NOT NULL, paid_on date NOT NULL, excluded_fen bigint NOT NULL)
        WITH (autovacuum_enabled = false)""")
    raw: Any = conn.connection.driver_connection
    options = pacsv.WriteOptions(include_header=False)
    with raw.cursor() as cur, cur.copy(f"COPY {STAGE} ({', '.join(COLUMNS)}) FROM STDIN (FORMAT csv)") as copy:
        for batch in orders.to_batches(max_chunksize=COPY_ROWS):
            sink = pa.BufferOutputStream()
            pacsv.write_csv(batch, sink, options)
            copy.write(memoryview(sink.getvalue()))
    conn.exec_driver_sql(f"ANALYZE {STAGE}")


def _rule_tables(conn: Connection, orders: pa.Table, rules: LoyaltySettings) -> None:
    """What the rules say for each distinct channel (rate, no tier: a first load has none), status and sign of
    the amount (does it earn), and paid date (expiry), as three small tables of the transaction."""
    conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {STAGE}_rate (channel varchar(32) PRIMARY KEY, rate_ppm bigint) "
                         "ON COMMIT DROP")
    conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {STAGE}_status (status varchar(32), sign int, earns boolean, "
                         "PRIMARY KEY (status, sign)) ON COMMIT DROP")
    conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {STAGE}_day (paid_on date PRIMARY KEY, expires_on date) "
                         "ON COMMIT DROP")
    channels = pc.unique(orders.column("channel")).to_pylist()
    statuses = pc.unique(orders.column("status")).to_pylist()
    days = pc.unique(orders.column("paid_on")).to_pylist()
    conn.execute(text(f"INSERT INTO {STAGE}_rate VALUES (:c, :r)"),
                 [{"c": c, "r": rules.rate_ppm(c, None)} for c in channels])
    conn.execute(text(f"INSERT INTO {STAGE}_status VALUES (:s, :g, :e)"),
                 [{"s": s, "g": g, "e": _earns(s, g, rules)} for s in statuses for g in (-1, 0, 1)])
    conn.execute(text(f"INSERT INTO {STAGE}_day VALUES (:d, :e)").bindparams(
        bindparam("d", type_=Date), bindparam("e", type_=Date)),
        [{"d": d, "e": rules.expires_on(d)} for d in days])


def _earns(status: str, sign: int, rules: LoyaltySettings) -> bool:
    """Whether an order of this status earns on an amount of this sign (`orders.basis_fen`, asked of a probe
    order whose amount is the sign: its basis is then the amount, or 0)."""
    return basis_fen(OrderRow("", "", "", 1, status, sign, dt.date.min), rules) > 0


def _drop_indexes(conn: Connection) -> dict[str, str]:
    """Drop every index of the rebuilt tables, the `id` primary keys too (kept, the entries' alone would cost tens of
    millions of index insertions and their WAL at 10M orders; one sorted build after is cheaper), but the
    postings' (a foreign key of `loyalty_review` needs it); returns how to build each again (the constraint's or
    index's own definition, as the catalogue has it)."""
    rows = conn.execute(text("""
        SELECT i.indexrelid::regclass::text AS name, c.conname, pg_get_constraintdef(c.oid) AS condef,
               pg_get_indexdef(i.indexrelid) AS indexdef, i.indrelid::regclass::text AS tab
        FROM pg_index i LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid
        WHERE i.indrelid = ANY(CAST(:tables AS regclass[]))
        ORDER BY i.indexrelid"""), {"tables": list(LEDGER)}).all()
    saved: dict[str, str] = {}
    quote = conn.dialect.identifier_preparer
    for r in rows:
        if r.conname is not None and r.conname.startswith("pk_") and r.tab in _KEPT:
            continue  # referenced by a foreign key: it stays
        if r.conname is not None:
            saved[r.conname] = f"ALTER TABLE {r.tab} ADD CONSTRAINT {quote.quote(r.conname)} {r.condef}"
            conn.exec_driver_sql(f"ALTER TABLE {r.tab} DROP CONSTRAINT {quote.quote(r.conname)}")
        else:
            saved[r.name] = r.indexdef
            conn.exec_driver_sql(f"DROP INDEX {r.name}")
    return saved


_KEPT = {posting.name}


def _reserve(conn: Connection, table: str, n: int) -> int:
    """The id before `n` new ids of `table` (its sequence moved past them; nobody else can take ids of a table
    this transaction holds exclusively)."""
    seq = conn.execute(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table}).scalar_one()
    top = conn.execute(text(f"SELECT coalesce(max(id), 0) FROM {table}")).scalar_one()
    base = max(int(top), int(conn.execute(text("SELECT nextval(CAST(:s AS regclass))"), {"s": seq}).scalar_one()))
    conn.execute(text("SELECT setval(CAST(:s AS regclass), :v)"), {"s": seq, "v": base + n})
    return base


def _sql(sql: str) -> Any:
    types: dict[str, Any] = {"at": DateTime(timezone=True), "last_paid": Date()}
    return text(sql).bindparams(*(bindparam(k, type_=t) for k, t in types.items() if f":{k}" in sql))


# what each staged order earns (one home: the rule tables above; `rules.points` is basis × rate // div), with its
# ids: lot lot0+seq, earning posting post0+seq, release post0+n+seq, entries entry0+4·seq-3 … entry0+4·seq
_EARNED = f"""
    SELECT s.seq, s.person_id, s.channel, s.order_id, s.version, s.paid_on, d.expires_on, r.rate_ppm, e.basis_fen,
           e.basis_fen * r.rate_ppm / :div AS points, s.paid_on <= :last_paid AS due
    FROM {STAGE} AS s
    JOIN {STAGE}_rate AS r ON r.channel = s.channel
    JOIN {STAGE}_day AS d ON d.paid_on = s.paid_on
    JOIN {STAGE}_status AS t ON t.status = s.status AND t.sign = sign(s.net_fen)
    CROSS JOIN LATERAL (SELECT CASE WHEN t.earns THEN greatest(s.net_fen - s.excluded_fen, 0) ELSE 0 END
                        AS basis_fen) AS e"""

_STATEMENTS: tuple[tuple[str, str], ...] = (
    ("accounts", f"""
        INSERT INTO {account.name} (owner_type, owner, kind, created_at)
        SELECT n.* FROM (
            SELECT CAST(:person AS varchar) AS owner_type, p.person_id AS owner, k.kind, CAST(:at AS timestamptz)
            FROM (SELECT DISTINCT person_id FROM {STAGE}) AS p
                 CROSS JOIN unnest(ARRAY[{', '.join(repr(k) for k in PERSON_KINDS)}]) AS k(kind)
            UNION ALL SELECT '{SYSTEM}', 'points_issued', 'points_issued', :at) AS n
        WHERE NOT EXISTS (SELECT 1 FROM {account.name} AS a  -- its unique index is rebuilt: no conflict to catch
                          WHERE a.owner_type = n.owner_type AND a.owner = n.owner AND a.kind = n.kind)"""),
    ("account ids", f"""
        CREATE TEMPORARY TABLE {STAGE}_account ON COMMIT DROP AS
        SELECT a.owner AS person_id, max(a.id) FILTER (WHERE a.kind = 'points_pending') AS pending,
               max(a.id) FILTER (WHERE a.kind = 'points') AS points
        FROM {account.name} AS a WHERE a.owner_type = :person  -- every member's (the entries join the staged ones)
        GROUP BY a.owner"""),
    ("analyze", f"ANALYZE {STAGE}_account"),
    ("lots", f"""
        INSERT INTO {lot.name} (id, key, origin, expires_on, created_at, channel, order_id)
        SELECT :lot0 + seq, 'order:' || channel || ':' || order_id, 'order', expires_on, :at, channel, order_id
        FROM ({_EARNED}) AS o"""),
    ("orders", f"""
        INSERT INTO {order.name} (channel, order_id, person_id, version, rate_ppm, basis_fen, points, paid_on,
                                  released, lot_id, moves)
        SELECT channel, order_id, person_id, version, rate_ppm, basis_fen, points, paid_on, due, :lot0 + seq, 0
        FROM ({_EARNED}) AS o"""),
    ("postings", f"""
        INSERT INTO {posting.name} (id, key, type, person_id, reason, posted_at, channel, order_id, order_version)
        SELECT :post0 + seq, 'earn:' || channel || ':' || order_id || '\\:v' || version, 'earn_pending', person_id,
               NULL, :at, channel, order_id, version
        FROM ({_EARNED}) AS o WHERE points <> 0
        UNION ALL
        SELECT :post0 + :n + seq, 'release:' || channel || ':' || order_id, 'release', person_id, NULL, :at,
               channel, order_id, NULL
        FROM ({_EARNED}) AS o WHERE points <> 0 AND due"""),
    ("entries", f"""
        INSERT INTO {entry.name} (id, posting_id, leg, account_id, amount, lot_id)
        SELECT :entry0 + 4 * o.seq - 3 + x.i, x.posting_id, x.leg, x.account_id, x.amount, x.lot_id
        FROM ({_EARNED}) AS o JOIN {STAGE}_account AS a ON a.person_id = o.person_id
             CROSS JOIN LATERAL (VALUES
                 (0, :post0 + o.seq, 0, a.pending, o.points, :lot0 + o.seq),
                 (1, :post0 + o.seq, 1, (SELECT id FROM {account.name} WHERE owner_type = '{SYSTEM}'
                                           AND owner = 'points_issued' AND kind = 'points_issued'),
                  -o.points, NULL),
                 (2, :post0 + :n + o.seq, 0, a.pending, -o.points, :lot0 + o.seq),
                 (3, :post0 + :n + o.seq, 1, a.points, o.points, :lot0 + o.seq))
                 AS x(i, posting_id, leg, account_id, amount, lot_id)
        WHERE o.points <> 0 AND (x.i < 2 OR o.due)"""),
    ("touched", f"""
        INSERT INTO {touched_table.name} (person_id, seq) SELECT DISTINCT person_id, 1 FROM {STAGE}
        ON CONFLICT (person_id) DO UPDATE SET seq = {touched_table.name}.seq + 1"""),
)
