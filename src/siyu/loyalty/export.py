"""What the ledger tells the warehouse: one small table, `loyalty_facts`, kept current by every `loyalty` step, so
segments, tag rules and metrics read the ledger without reaching into the operational store:

- `points`: a member's usable points by expiry date (positive lots summed per date),
- `coupon`: each issued coupon still valid, its value in fen and its last day,
- `stored_value`: every member who ever topped up, with what they hold now in fen and `since` their first
  top-up (UTC): the ledger's holders for the stored-value rate (siyu.metrics).

The segment helpers `points_expiring()` and `coupon_expiring()` and the stored-value rate read it.

A run rewrites only the members touched since the last export (siyu.loyalty.touched): every write that changes
a member's entries or coupons notes them in its own transaction. Time alone changes none of these rows, because
the step exports right after it has expired the lots past their date and the coupons past their validity at the
same `as_of` and `at` (postings and updates that touch their members): what is left is every positive lot from
`as_of` on and every issued coupon valid at `at`, facts that stay true until the next write. The dates a segment
counts from ("expiring within 30 days") are applied when it reads the table. Every member is written again on the
first run over a store, when the table is missing, or when asked (`siyu run --full-facts`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pyarrow as pa
import sqlalchemy as sa

from siyu.engine import Engine
from siyu.loyalty import coupons, lots, touched, wallet
from siyu.loyalty.db import seek_members

FACTS = "loyalty_facts"
SCHEMA = pa.schema([("person_id", pa.string()), ("kind", pa.string()), ("amount", pa.int64()),
                    ("expires_on", pa.date32()), ("since", pa.timestamp("us"))])
CHUNK = 5_000  # members per read of the ledger (SQLite: an IN list each)
PG_CHUNK = 100_000  # on PostgreSQL (one bound array each): a day's touched members in one read
_MEMBERS, _NEW = "loyalty_facts_members", "loyalty_facts_new"  # scratch tables of an incremental export


@dataclass(frozen=True)
class Exported:
    full: bool  # every member written, else only those touched since the last export
    members: int  # members written (full: those with facts)
    rows: int
    seen: dict[str, int]  # the touches read before the ledger (siyu.loyalty.touched.pending)


def ensure_facts(engine: Engine) -> None:
    """The table, empty when there is no programme, so a segment naming the helpers still runs."""
    engine.ensure_table(FACTS, SCHEMA)


def export_facts(engine: Engine, store: sa.Engine, as_of: dt.date, at: dt.datetime, *,
                 full: bool = False) -> Exported:
    """Bring `loyalty_facts` to the ledger as of `as_of` (coupons still valid at `at`; the caller has run expiry
    for both): `write_facts`, then forget the touches it wrote. They are cleared only after the warehouse has
    committed the rows, so a crash in between exports those members again next time, never loses them."""
    done = write_facts(engine, store, as_of, at, full=full)
    touched.clear(store, done.seen)
    return done


def write_facts(engine: Engine, store: sa.Engine, as_of: dt.date, at: dt.datetime, *,
                full: bool = False) -> Exported:
    """Write `loyalty_facts` in one warehouse transaction: every member's when `full` or the table is missing,
    else the members touched since the last export (their rows replaced); the touches stay."""
    seen = touched.pending(store)  # before the ledger is read: a change after this keeps its touch
    if full or not engine.table_exists(FACTS):
        table = facts(store, as_of, at)
        with engine.transaction():
            engine.write_arrow(FACTS, table, mode="replace")
        return Exported(True, len(set(table.column("person_id").to_pylist())), table.num_rows, seen)
    persons = sorted(seen)
    chunk = PG_CHUNK if store.dialect.name == "postgresql" else CHUNK
    table = pa.concat_tables([facts(store, as_of, at, persons[i:i + chunk])
                              for i in range(0, len(persons), chunk)] or [SCHEMA.empty_table()])
    if persons:
        _replace_members(engine, persons, table)
    return Exported(False, len(persons), table.num_rows, seen)


def facts(store: sa.Engine, as_of: dt.date, at: dt.datetime, persons: list[str] | None = None) -> pa.Table:
    """The facts rows of every member (or of these members) as of `as_of`, coupons valid at `at`."""
    with store.connect() as conn:
        if persons is not None:  # a few members' rows: read through the indexes from them
            seek_members(conn)
        dated = lots.dated_balances(conn, as_of, persons)
        valid = coupons.usable(conn, at, persons)
        held = wallet.holdings(conn, persons)
    rows = ([{"person_id": p, "kind": "points", "amount": n, "expires_on": d, "since": None} for p, d, n in dated]
            + [{"person_id": c.person_id, "kind": "coupon", "amount": c.value_fen,
                "expires_on": c.valid_until.astimezone(dt.UTC).date(), "since": None} for c in valid]
            + [{"person_id": p, "kind": "stored_value", "amount": n, "expires_on": None,
                "since": first.astimezone(dt.UTC).replace(tzinfo=None)} for p, (first, n) in sorted(held.items())])
    return pa.Table.from_pylist(rows, schema=SCHEMA)


def _replace_members(engine: Engine, persons: list[str], table: pa.Table) -> None:
    """In one warehouse transaction: the members' rows of `loyalty_facts` replaced by `table` (theirs alone)."""
    columns = ", ".join(SCHEMA.names)
    with engine.transaction():
        engine.create_temp_table(_MEMBERS, pa.schema([("person_id", pa.string())]))
        engine.write_arrow(_MEMBERS, pa.table({"person_id": pa.array(persons, pa.string())}))
        engine.create_temp_table(_NEW, SCHEMA)
        engine.write_arrow(_NEW, table)
        engine.create_table_as(FACTS, f"""
            SELECT {columns} FROM {FACTS} WHERE person_id NOT IN (SELECT person_id FROM {_MEMBERS})
            UNION ALL SELECT {columns} FROM {_NEW}""")
        engine.drop_table(_MEMBERS)
        engine.drop_table(_NEW)
