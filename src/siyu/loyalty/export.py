"""What the ledger tells the warehouse: one small table, `loyalty_facts`, rewritten by every `loyalty` step, so
segments, tag rules and metrics read the ledger without reaching into the operational store:

- `points`: a member's usable points by expiry date (positive lots summed per date),
- `coupon`: each issued coupon still valid, its value in fen and its last day,
- `stored_value`: every member who ever topped up, with what they hold now in fen and `since` their first
  top-up (UTC): the ledger's holders for the stored-value rate (siyu.metrics).

The segment helpers `points_expiring()` and `coupon_expiring()` and the stored-value rate read it.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import sqlalchemy as sa

from siyu.engine import Engine
from siyu.loyalty import coupons, lots, wallet

FACTS = "loyalty_facts"
SCHEMA = pa.schema([("person_id", pa.string()), ("kind", pa.string()), ("amount", pa.int64()),
                    ("expires_on", pa.date32()), ("since", pa.timestamp("us"))])


def ensure_facts(engine: Engine) -> None:
    """The table, empty when there is no programme, so a segment naming the helpers still runs."""
    engine.ensure_table(FACTS, SCHEMA)


def export_facts(engine: Engine, store: sa.Engine, as_of: dt.date, at: dt.datetime) -> int:
    """Replace `loyalty_facts` with the ledger as of `as_of` (coupons still valid at `at`); returns its rows."""
    with store.connect() as conn:
        dated = lots.dated_balances(conn, as_of)
        valid = coupons.usable(conn, at)
        held = wallet.holdings(conn)
    rows = ([{"person_id": p, "kind": "points", "amount": n, "expires_on": d, "since": None} for p, d, n in dated]
            + [{"person_id": c.person_id, "kind": "coupon", "amount": c.value_fen,
                "expires_on": c.valid_until.astimezone(dt.UTC).date(), "since": None} for c in valid]
            + [{"person_id": p, "kind": "stored_value", "amount": n, "expires_on": None,
                "since": first.astimezone(dt.UTC).replace(tzinfo=None)} for p, (first, n) in sorted(held.items())])
    return engine.write_arrow(FACTS, pa.Table.from_pylist(rows, schema=SCHEMA), mode="replace")
