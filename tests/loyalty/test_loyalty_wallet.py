"""Stored value and coupons, with hand-worked numbers in fen."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.engine import Engine

from siyu.errors import UserError
from siyu.loyalty import coupons, ledger, wallet

JAN = dt.datetime(2026, 1, 20, 9, tzinfo=dt.UTC)
FEB = dt.datetime(2026, 2, 3, 9, tzinfo=dt.UTC)


def held(engine: Engine, person: str = "P1") -> tuple[int, int]:
    with engine.connect() as conn:
        b = ledger.balances(conn, person)
    return b.get("sv_principal", 0), b.get("sv_gift", 0)


def test_top_up_spend_and_refund(ledger_db: Engine) -> None:
    wallet.topup(ledger_db, "P1", 50_000, 5_000, "t1", at=JAN)  # pay ¥500, get ¥50 bonus
    wallet.topup(ledger_db, "P1", 50_000, 5_000, "t1", at=JAN)  # a replay
    assert held(ledger_db) == (50_000, 5_000)
    wallet.spend(ledger_db, "P1", 12_000, "s1", at=JAN)  # principal first by default
    assert held(ledger_db) == (38_000, 5_000)
    wallet.spend(ledger_db, "P1", 6_000, "s2", order=("gift", "principal"), at=FEB)
    assert held(ledger_db) == (37_000, 0)
    with pytest.raises(ledger.InsufficientBalance, match="holds 37000 fen"):
        wallet.spend(ledger_db, "P1", 37_001, "s3", at=FEB)
    with pytest.raises(ledger.InsufficientBalance, match="unused principal"):
        wallet.refund(ledger_db, "P1", 37_001, "f1", at=FEB)
    wallet.refund(ledger_db, "P1", 37_000, "f2", at=FEB)
    assert held(ledger_db) == (0, 0)
    with ledger_db.connect() as conn:
        assert [(m.month, m.principal_fen, m.gift_fen) for m in wallet.liability_by_month(conn)] == [
            ("2026-01", 38_000, 5_000), ("2026-02", 0, 0)]
        assert wallet.holders(conn) == 1
        assert ledger.trial_balance(conn) == 0


def test_a_partial_refund_forfeits_the_gift_in_proportion(ledger_db: Engine) -> None:
    wallet.topup(ledger_db, "P1", 30_000, 3_001, "t1")
    wallet.refund(ledger_db, "P1", 10_000, "f1")  # a third of the principal: 3001 × 1/3 = 1000.33 → 1000
    assert held(ledger_db) == (20_000, 2_001)
    wallet.refund(ledger_db, "P1", 20_000, "f2", forfeit_gift=False)
    assert held(ledger_db) == (0, 2_001)


def test_coupons_are_redeemed_once_and_expire(ledger_db: Engine) -> None:
    first = coupons.issue(ledger_db, "P1", 1_000, 30, "welcome-P1", at=JAN)  # ¥10 for 30 days
    assert coupons.issue(ledger_db, "P1", 1_000, 30, "welcome-P1", at=JAN).id == first.id
    second = coupons.issue(ledger_db, "P1", 1_000, 3, "second-P1", at=JAN)
    with ledger_db.connect() as conn:
        assert [c.id for c in coupons.expiring(conn, JAN, within_days=3)] == [second.id]
    used = coupons.redeem(ledger_db, first.id, "tmall", "T1", at=FEB)
    assert (used.status, used.order_id) == ("redeemed", "T1")
    assert coupons.redeem(ledger_db, first.id, "tmall", "T1", at=FEB).status == "redeemed"  # a retry
    with pytest.raises(UserError, match="is redeemed"):
        coupons.redeem(ledger_db, first.id, "tmall", "T2", at=FEB)
    with pytest.raises(UserError, match="expired at"):
        coupons.redeem(ledger_db, second.id, "tmall", "T3", at=FEB)
    assert coupons.expire(ledger_db, at=FEB) == 1
    with pytest.raises(UserError, match="is expired"):
        coupons.redeem(ledger_db, second.id, "tmall", "T3", at=FEB)
