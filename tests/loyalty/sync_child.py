"""A sync run as its own process, to be killed with SIGKILL by test_loyalty_crash: `python sync_child.py URL`.
Its orders are fixed by a seed so the test can run the same sync cleanly in its own process. `python
sync_child.py URL arrow`: the first orders alone (one row per order) as an Arrow table, which an empty
PostgreSQL ledger posts in one set-based load (siyu.loyalty.firstload; test_loyalty_firstload kills that)."""

from __future__ import annotations

import datetime as dt
import random
import sys

import pyarrow as pa

from siyu.loyalty import earning
from siyu.loyalty.orders import OrderRow
from siyu.loyalty.rules import LoyaltySettings
from siyu.store import open_store

RULES = LoyaltySettings()
AS_OF = dt.date(2026, 6, 30)
BATCH = 100  # small transactions, so a kill lands between and inside many of them


def orders(n: int = 2_000, seed: int = 11) -> list[OrderRow]:
    """n orders of n/8 members over 60 days, then a refund (a second version) of every tenth."""
    rnd = random.Random(seed)
    first = [OrderRow(f"P{rnd.randrange(n // 8):05d}", rnd.choice(("tmall", "jd", "store")), f"O{i}", 1, "paid",
                      rnd.randrange(100, 50_000), AS_OF - dt.timedelta(days=rnd.randrange(60))) for i in range(n)]
    refunds = [OrderRow(o.person_id, o.channel, o.order_id, 2, "partially_refunded", o.net_fen // 3, o.paid_on)
               for o in first[::10]]
    return first + refunds


ARROW_ORDERS = 20_000


def run(url: str, arrow: bool = False) -> None:
    engine = open_store(url)
    rows = (pa.Table.from_pylist([r.__dict__ for r in orders(ARROW_ORDERS)[:ARROW_ORDERS]]) if arrow
            else orders())
    try:
        earning.sync(engine, rows, RULES, AS_OF, at=dt.datetime(2026, 6, 30, tzinfo=dt.UTC), batch_size=BATCH)
    finally:
        engine.dispose()


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:] == ["arrow"])
