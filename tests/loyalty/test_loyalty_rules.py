"""The [loyalty] table and the tier rules, with hand-worked numbers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from siyu.config.sections import ConfigError
from siyu.config.settings import load_settings
from siyu.loyalty import tiers
from siyu.loyalty.orders import OrderRow
from siyu.loyalty.rules import LoyaltySettings, loyalty_settings, points
from siyu.loyalty.step import spend_sql
from siyu.loyalty.tables import tier_history

from .loyalty_warehouse import warehouse_of


def read(tmp_path: Path, text: str) -> LoyaltySettings:
    path = tmp_path / "siyu.toml"
    path.write_text(text, encoding="utf-8")
    return loyalty_settings(load_settings(path))


def test_the_loyalty_table_is_read_and_checked(tmp_path: Path) -> None:
    rules = read(tmp_path, """
[loyalty]
points_per_yuan = 1.5
channel_multipliers = { tmall = 2 }
return_window_days = 7
stored_value_order = ["gift", "principal"]
tiers = [{ name = "silver", min_spend_fen = 100000 }, { name = "gold", min_spend_fen = 500000, multiplier = 1.2 }]
""")
    assert rules.rate_ppm("tmall", "gold") == 3_600_000  # 1.5 × 2 × 1.2 points per yuan
    assert rules.rate_ppm("jd") == 1_500_000
    assert rules.stored_value_order == ("gift", "principal")
    with pytest.raises(ConfigError, match=r"loyalty.return_windw_days: unknown key; did you mean 'return_window_days'"):
        read(tmp_path, "[loyalty]\nreturn_windw_days = 7\n")
    with pytest.raises(ConfigError, match="unknown order status 'payed'"):
        read(tmp_path, "[loyalty]\nexcluded_statuses = ['payed']\n")
    with pytest.raises(ConfigError, match="rising min_spend_fen"):
        read(tmp_path, "[loyalty]\ntiers = [{ name = 'a', min_spend_fen = 9 }, { name = 'b', min_spend_fen = 1 }]\n")


def test_points_round_down_and_expire_at_the_end_of_the_next_year() -> None:
    rules = LoyaltySettings(points_per_yuan=1)
    assert points(9_999, rules.rate_ppm("jd")) == 99  # ¥99.99 → 99 points
    assert points(-500, rules.rate_ppm("jd")) == 0
    assert rules.expires_on(dt.date(2026, 1, 1)) == dt.date(2027, 12, 31)
    assert rules.expires_on(dt.date(2026, 12, 31)) == dt.date(2027, 12, 31)
    assert LoyaltySettings(expiry="never").expires_on(dt.date(2026, 1, 1)) is None
    assert rules.release_on(dt.date(2026, 3, 1)) == dt.date(2026, 3, 16)  # 15 days by default


def test_tiers_upgrade_at_once_and_downgrade_only_on_the_evaluation_date_after_grace(ledger_db: Engine) -> None:
    rules = LoyaltySettings(tiers=[{"name": "silver", "min_spend_fen": 100_000},
                                   {"name": "gold", "min_spend_fen": 500_000}], downgrade_grace_days=30)
    day = dt.date(2026, 6, 1)
    orders = [OrderRow("P1", "jd", "a", 1, "paid", 300_000, dt.date(2025, 6, 2)),
              OrderRow("P1", "jd", "b", 1, "partially_refunded", 250_000, dt.date(2026, 5, 1)),
              OrderRow("P1", "jd", "c", 1, "refunded", 0, dt.date(2026, 5, 2)),
              OrderRow("P1", "jd", "d", 1, "paid", 90_000, dt.date(2025, 6, 1))]  # outside the 365 days
    with warehouse_of(orders) as warehouse:
        spend = {r["person_id"]: r["spend_fen"] for r in warehouse.rows(spend_sql(day, 365))}
    assert spend == {"P1": 550_000}
    assert tiers.evaluate(ledger_db, spend, rules, day, evaluation_day=False) == {"P1": "gold"}
    assert tiers.evaluate(ledger_db, {"P1": 200_000}, rules, day + dt.timedelta(days=1),
                          evaluation_day=False) == {}  # not an evaluation date
    assert tiers.evaluate(ledger_db, {"P1": 200_000}, rules, day + dt.timedelta(days=29),
                          evaluation_day=True) == {}  # within the grace period
    assert tiers.evaluate(ledger_db, {"P1": 200_000}, rules, day + dt.timedelta(days=30),
                          evaluation_day=True) == {"P1": "silver"}
    with ledger_db.connect() as conn:
        assert tiers.current_tier(conn, "P1") == "silver"
        rows = conn.execute(tier_history.select().order_by(tier_history.c.id)).all()
    assert [(r.tier, r.reason, r.spend_fen) for r in rows] == [("gold", "upgrade", 550_000),
                                                               ("silver", "downgrade", 200_000)]
