"""Tiers as part of the `loyalty` step (`step.evaluate_spend`: rolling spend summed in the warehouse, for the
members whose orders the step read, every member on an evaluation day): an upgrade as soon as the rolling spend
reaches a tier, the next order earning at its multiplier; a downgrade never on an ordinary day, only on an
evaluation day after the grace period, also for a member with no order left in the window."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pytest
from sqlalchemy.engine import Engine

from siyu.loyalty import earning, ledger, tiers
from siyu.loyalty.orders import OrderRow
from siyu.loyalty.rules import LoyaltySettings
from siyu.loyalty.step import evaluate_spend

from .loyalty_warehouse import warehouse_of

RULES = LoyaltySettings(tiers=[{"name": "gold", "min_spend_fen": 100_000, "multiplier": Decimal(2)}],
                        downgrade_grace_days=30, tier_evaluation_days=["01-01", "07-01"], return_window_days=0)


def table(rows: list[OrderRow]) -> pa.Table:
    return pa.Table.from_pylist([{"person_id": r.person_id, "channel": r.channel, "order_id": r.order_id,
                                  "version": r.version, "status": r.status, "net_fen": r.net_fen,
                                  "paid_on": r.paid_on, "excluded_fen": 0} for r in rows],
                               schema=pa.schema([("person_id", pa.string()), ("channel", pa.string()),
                                                 ("order_id", pa.string()), ("version", pa.int64()),
                                                 ("status", pa.string()), ("net_fen", pa.int64()),
                                                 ("paid_on", pa.date32()), ("excluded_fen", pa.int64())]))


def evaluate_tiers(store: Engine, read: list[OrderRow], rules: LoyaltySettings, as_of: dt.date,
                   known: list[OrderRow]) -> int:
    """The step's tier evaluation with `read` the orders it just read and `known` every order the warehouse has."""
    with warehouse_of(known) as warehouse:
        return evaluate_spend(store, warehouse, table(read), rules, as_of)


def tier_of(engine: Engine, person: str) -> str | None:
    with engine.connect() as conn:
        return tiers.current_tier(conn, person)


def test_the_step_upgrades_at_once_and_downgrades_only_on_an_evaluation_day(ledger_db: Engine) -> None:
    day = dt.date(2026, 3, 10)
    big = [OrderRow("P1", "jd", "a", 1, "paid", 120_000, day), OrderRow("P2", "jd", "b", 1, "paid", 150_000, day)]
    earning.sync(ledger_db, big, RULES, day)
    assert evaluate_tiers(ledger_db, big, RULES, day, big) == 2  # not an evaluation day: upgrades still apply
    assert (tier_of(ledger_db, "P1"), tier_of(ledger_db, "P2")) == ("gold", "gold")
    nxt = OrderRow("P1", "jd", "c", 1, "paid", 10_000, day)
    earning.sync(ledger_db, [nxt], RULES, day)
    with ledger_db.connect() as conn:
        assert ledger.balance(conn, "P1", "points") == 1_200 + 200  # ¥100 at gold's ×2
    later = dt.date(2027, 5, 1)  # past the 365 days: neither member has spend in the window
    assert evaluate_tiers(ledger_db, [], RULES, later, [*big, nxt]) == 0  # an ordinary day keeps the tier
    assert tier_of(ledger_db, "P1") == "gold"
    evaluation = dt.date(2027, 7, 1)
    small = [OrderRow("P1", "jd", "d", 1, "paid", 5_000, dt.date(2027, 6, 1))]
    assert evaluate_tiers(ledger_db, small, RULES, evaluation, [*big, nxt, *small]) == 2
    assert (tier_of(ledger_db, "P1"), tier_of(ledger_db, "P2")) == ("none", "none")
    assert evaluate_tiers(ledger_db, small, RULES, evaluation, [*big, nxt, *small]) == 0  # a rerun: nothing new


def test_a_recent_upgrade_is_not_undone_within_the_grace_period(ledger_db: Engine) -> None:
    bought = dt.date(2026, 6, 20)
    rows = [OrderRow("P1", "jd", "a", 1, "paid", 120_000, bought)]
    assert evaluate_tiers(ledger_db, rows, RULES, bought, rows) == 1
    refunded = [OrderRow("P1", "jd", "a", 2, "refunded", 0, bought)]
    assert evaluate_tiers(ledger_db, refunded, RULES, dt.date(2026, 7, 1), [*rows, *refunded]) == 0  # 11 < 30
    assert tier_of(ledger_db, "P1") == "gold"


def test_evaluation_days_must_be_month_days() -> None:
    with pytest.raises(ValueError, match="'13-01' is not MM-DD"):
        LoyaltySettings(tier_evaluation_days=["13-01"])
