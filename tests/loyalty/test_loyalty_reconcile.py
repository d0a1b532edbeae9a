"""Reconcile lists each way the ledger can differ from the orders under the rules, and nothing for a clean one."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.engine import Engine

from siyu.loyalty import earning
from siyu.loyalty.orders import OrderRow
from siyu.loyalty.reconcile import reconcile
from siyu.loyalty.rules import LoyaltySettings

RULES = LoyaltySettings(return_window_days=15)
PAID = dt.date(2026, 3, 1)


def test_reconcile_finds_what_the_ledger_has_not_caught_up_with(ledger_db: Engine) -> None:
    posted = [OrderRow("P1", "jd", "A", 1, "paid", 10_000, PAID), OrderRow("P1", "jd", "B", 1, "paid", 5_000, PAID)]
    earning.sync(ledger_db, posted, RULES, PAID)
    with ledger_db.connect() as conn:
        assert reconcile(conn, posted, RULES, PAID) == []
    now = [OrderRow("P1", "jd", "A", 2, "partially_refunded", 4_000, PAID),  # refunded since: 60 too many
           OrderRow("P2", "jd", "B", 1, "paid", 5_000, PAID),  # OneID gave B to P2
           OrderRow("P1", "jd", "C", 1, "paid", 800, PAID)]  # never posted
    with ledger_db.connect() as conn:
        found = {(d.order_id, d.what, d.expected, d.found) for d in reconcile(conn, now, RULES, PAID)}
        late = {(d.order_id, d.what) for d in reconcile(conn, posted, RULES, PAID + dt.timedelta(days=15))}
    assert found == {("A", "points issued", 40, 100), ("B", "points_pending held by another person", 0, 50),
                     ("C", "order not posted", "posted", "missing")}
    assert late == {("A", "pending after the return window"), ("B", "pending after the return window")}
    earning.sync(ledger_db, now, RULES, PAID + dt.timedelta(days=15))
    with ledger_db.connect() as conn:
        assert reconcile(conn, now, RULES, PAID + dt.timedelta(days=15)) == []
    strict = LoyaltySettings(return_window_days=15, points_per_yuan=2)  # the rules changed under the ledger
    with ledger_db.connect() as conn:
        assert {d.what for d in reconcile(conn, now, strict, PAID + dt.timedelta(days=15))} == {
            "rate not allowed by the rules"}
