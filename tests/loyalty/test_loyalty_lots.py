"""Lots: the earliest-expiring points go first, an expiry run takes what is left after the last day, manual
adjustments need a reason and never overdraw, and a refund after spending leaves a debt."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.engine import Engine

from siyu.errors import UserError
from siyu.loyalty import earning, ledger, lots
from siyu.loyalty.orders import OrderRow
from siyu.loyalty.rules import LoyaltySettings

RULES = LoyaltySettings(return_window_days=0)


def earn(engine: Engine, order_id: str, net: int, paid: dt.date, version: int = 1, status: str = "paid") -> None:
    earning.sync(engine, [OrderRow("P1", "jd", order_id, version, status, net, paid)], RULES, paid)


def points(engine: Engine) -> int:
    with engine.connect() as conn:
        return ledger.balance(conn, "P1", "points")


def test_redemption_takes_the_earliest_expiring_lot_first(ledger_db: Engine) -> None:
    earn(ledger_db, "late", 10_000, dt.date(2026, 2, 1))  # 100 points, expiring 2027-12-31
    earn(ledger_db, "early", 10_000, dt.date(2025, 3, 1))  # 100 points, expiring 2026-12-31
    p = lots.redeem(ledger_db, "P1", 150, "r1")
    with ledger_db.connect() as conn:
        left = lots.lot_balances(conn, "P1")
    assert [(b.expires_on, b.amount) for b in left] == [(dt.date(2027, 12, 31), 50)]
    assert sorted(leg.amount for leg in p.legs if leg.owner_type == "person") == [-100, -50]


def test_points_that_never_expire_go_last_and_a_debt_lot_is_not_taken(ledger_db: Engine) -> None:
    """The lots a redemption takes, in the order it takes them, as stored (PostgreSQL picks them in SQL)."""
    earn(ledger_db, "a", 10_000, dt.date(2026, 2, 1))  # 100 points, expiring 2027-12-31
    lots.adjust(ledger_db, "P1", 30, "goodwill", "m1")  # 30 points that never expire
    earn(ledger_db, "b", 5_000, dt.date(2025, 3, 1))  # 50 points, expiring 2026-12-31
    earn(ledger_db, "c", 2_000, dt.date(2025, 6, 1))  # 20 points, expiring 2026-12-31 …
    lots.redeem(ledger_db, "P1", 20, "r0")  # … spent after "b"'s: b keeps 30
    earn(ledger_db, "b", 0, dt.date(2025, 3, 1), version=2, status="refunded")  # b: 30 − 50 = a debt of 20
    p = lots.redeem(ledger_db, "P1", 105, "r1")  # holds 100 + 30 + 20 − 20 = 130
    taken = [leg.amount for leg in p.legs if leg.owner_type == "person"]
    assert taken == [-20, -85]  # c's 20, then a's; the debt and the never-expiring lot untouched
    again = lots.redeem(ledger_db, "P1", 105, "r1")
    assert (again.created, again.legs) == (False, p.legs)  # what was answered is what was stored
    with ledger_db.connect() as conn:
        assert [(b.expires_on, b.amount) for b in lots.lot_balances(conn, "P1")] == [
            (dt.date(2026, 12, 31), -20), (dt.date(2027, 12, 31), 15), (None, 30)]
    with pytest.raises(ledger.InsufficientBalance, match="holds 25 points, cannot redeem 26"):
        lots.redeem(ledger_db, "P1", 26, "r2")
    assert [leg.amount for leg in lots.redeem(ledger_db, "P1", 25, "r3").legs
            if leg.owner_type == "person"] == [-15, -10]


def test_an_expiry_run_posts_what_is_left_after_the_last_day(ledger_db: Engine) -> None:
    earn(ledger_db, "a", 10_000, dt.date(2025, 3, 1))  # expires 2026-12-31
    earn(ledger_db, "b", 4_000, dt.date(2026, 1, 5))  # expires 2027-12-31
    lots.redeem(ledger_db, "P1", 30, "r1")
    assert lots.expire(ledger_db, dt.date(2026, 12, 31)) == 0  # the last day still counts
    with ledger_db.connect() as conn:
        assert lots.expiring(conn, dt.date(2026, 12, 10), within_days=30) == {"P1": 70}
    assert lots.expire(ledger_db, dt.date(2027, 1, 1)) == 1
    assert points(ledger_db) == 40
    assert lots.expire(ledger_db, dt.date(2027, 1, 1)) == 0  # a rerun posts nothing
    with ledger_db.connect() as conn:
        last = ledger.history(conn, "P1", limit=1)[0]
    assert (last.type, last.amount, last.expires_on) == ("expire", -70, dt.date(2026, 12, 31))


def test_redemption_is_refused_beyond_the_balance_and_replays_return_the_original(ledger_db: Engine) -> None:
    earn(ledger_db, "a", 5_000, dt.date(2026, 1, 5))
    with pytest.raises(ledger.InsufficientBalance, match="holds 50 points, cannot redeem 51"):
        lots.redeem(ledger_db, "P1", 51, "r1")
    first = lots.redeem(ledger_db, "P1", 50, "r2")
    again = lots.redeem(ledger_db, "P1", 50, "r2")
    assert (first.created, again.created, again.id) == (True, False, first.id)
    assert points(ledger_db) == 0


def test_manual_adjustments(ledger_db: Engine) -> None:
    with pytest.raises(UserError, match="reason"):
        lots.adjust(ledger_db, "P1", 100, "  ", "a1")
    lots.adjust(ledger_db, "P1", 100, "parcel lost in transit", "a1")
    with pytest.raises(ledger.InsufficientBalance):
        lots.adjust(ledger_db, "P1", -101, "typo in the earlier credit", "a2")
    lots.adjust(ledger_db, "P1", -40, "typo in the earlier credit", "a3")
    assert points(ledger_db) == 60
    with ledger_db.connect() as conn:
        assert [h.reason for h in ledger.history(conn, "P1")] == ["typo in the earlier credit",
                                                                  "parcel lost in transit"]


def test_a_refund_after_spending_leaves_a_debt_that_blocks_redemption(ledger_db: Engine) -> None:
    earn(ledger_db, "a", 10_000, dt.date(2026, 1, 5))
    lots.redeem(ledger_db, "P1", 100, "r1")
    earn(ledger_db, "a", 0, dt.date(2026, 1, 5), version=2, status="refunded")
    assert points(ledger_db) == -100
    earn(ledger_db, "b", 15_000, dt.date(2026, 1, 9))
    assert points(ledger_db) == 50
    with pytest.raises(ledger.InsufficientBalance):
        lots.redeem(ledger_db, "P1", 51, "r2")
    with ledger_db.connect() as conn:
        assert ledger.trial_balance(conn) == 0
