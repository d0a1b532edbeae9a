"""OneID and the ledger: a merge moves everything to the survivor (the worked example of docs/loyalty.md), a
split sends each order's points after the identity that placed it, manual entries stay and are flagged."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.engine import Engine

from siyu.loyalty import coupons, earning, ledger, lots, merges, wallet
from siyu.loyalty.orders import OrderRow
from siyu.loyalty.rules import LoyaltySettings

RULES = LoyaltySettings(channel_multipliers={"tmall": 2}, return_window_days=15)
DAY = dt.date(2026, 5, 1)


def held(engine: Engine, person: str) -> dict[str, int]:
    with engine.connect() as conn:
        return {k: v for k, v in ledger.balances(conn, person).items() if v}


def test_an_order_refunded_after_a_merge(ledger_db: Engine) -> None:
    """docs/loyalty.md, worked example: P7 (Tmall buyer) merges into P3 (mini-program member)."""
    earning.sync(ledger_db, [OrderRow("P3", "miniprogram", "M1", 1, "paid", 20_000, DAY)], RULES,
                 DAY + dt.timedelta(days=15))  # 200 points, released
    earning.sync(ledger_db, [OrderRow("P7", "tmall", "T9", 1, "paid", 29_900, DAY + dt.timedelta(days=10))],
                 RULES, DAY + dt.timedelta(days=15))  # ¥299 × 2 = 598, still pending
    wallet.topup(ledger_db, "P7", 10_000, 1_000, "topup-P7-1")
    coupon = coupons.issue(ledger_db, "P7", 1_000, 30, "welcome-P7")
    assert merges.merge(ledger_db, "P7", "P3", "run-42") == 6  # three accounts of P7, two entries each
    assert held(ledger_db, "P7") == {}
    assert held(ledger_db, "P3") == {"points": 200, "points_pending": 598, "sv_principal": 10_000, "sv_gift": 1_000}
    assert merges.merge(ledger_db, "P7", "P3", "run-42") == 0  # replayed
    # The buyer returns half of the Tmall order; the warehouse now says the order is P3's.
    earning.sync(ledger_db, [OrderRow("P3", "tmall", "T9", 2, "partially_refunded", 14_950,
                                      DAY + dt.timedelta(days=10))], RULES, DAY + dt.timedelta(days=25))
    assert held(ledger_db, "P3") == {"points": 200 + 299, "sv_principal": 10_000, "sv_gift": 1_000}
    assert coupons.redeem(ledger_db, coupon.id, "tmall", "T10").person_id == "P3"
    with ledger_db.connect() as conn:
        assert ledger.trial_balance(conn) == 0
        kinds = [(h.type, h.kind, h.amount) for h in ledger.history(conn, "P3", limit=2)]
    assert kinds == [("release", "points_pending", -299), ("release", "points", 299)]


def test_a_split_sends_each_orders_points_after_its_buyer(ledger_db: Engine) -> None:
    rows = [OrderRow("P1", "jd", "A", 1, "paid", 10_000, DAY), OrderRow("P1", "jd", "B", 1, "paid", 30_000, DAY)]
    earning.sync(ledger_db, rows, RULES, DAY + dt.timedelta(days=20))
    lots.adjust(ledger_db, "P1", 50, "birthday gift by phone", "adj-1")
    lots.redeem(ledger_db, "P1", 120, "r1")  # takes A's lot (100) then 20 of B's: same expiry, older first
    assert merges.split(ledger_db, "P1", {("jd", "B"): "P2"}, "split-1") == 1
    assert held(ledger_db, "P1") == {"points": 50}  # the manual credit stays
    assert held(ledger_db, "P2") == {"points": 280}  # what is left of B's lot
    with ledger_db.connect() as conn:
        flags = merges.flagged(conn, "P1")
    assert len(flags) == 1 and "split-1" in flags[0][1]
    assert merges.split(ledger_db, "P1", {("jd", "B"): "P2"}, "split-1") == 0
    # B's later refund is taken from P2, who holds it now
    earning.sync(ledger_db, [OrderRow("P2", "jd", "B", 2, "partially_refunded", 20_000, DAY)], RULES,
                 DAY + dt.timedelta(days=21))
    assert held(ledger_db, "P2") == {"points": 180}


def test_a_split_found_by_the_step_flags_manual_entries_once(ledger_db: Engine) -> None:
    lots.adjust(ledger_db, "P1", 30, "compensation agreed by phone", "adj-1")
    merges.flag_split(ledger_db, "P1", "run-7")
    merges.flag_split(ledger_db, "P1", "run-7")
    with ledger_db.connect() as conn:
        assert [note for _, note in merges.flagged(conn, "P1")] == [
            "kept on split run-7: a manual entry has no order to follow"]
