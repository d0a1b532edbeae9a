"""The ledger's facts in the warehouse (`loyalty_facts`, written by the loyalty step) as segment fields: "points
expiring in 30 days" and "coupon expiring in 3 days" select exactly the members whose ledger says so, on the
profile's as-of day, for a store on SQLite and on PostgreSQL; spent points and used coupons no longer count."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine as StoreEngine

from siyu.engine import Engine
from siyu.engine.duckdb_engine import DuckDBEngine
from siyu.loyalty import coupons, earning, lots, wallet
from siyu.loyalty.export import FACTS, ensure_facts, export_facts
from siyu.loyalty.orders import OrderRow
from siyu.loyalty.rules import LoyaltySettings
from siyu.schema.migrate import migrate
from siyu.segment.store import count

AS_OF = dt.date(2026, 12, 5)  # lots earned in 2025 expire on 2026-12-31: 26 days away
AT = dt.datetime(2026, 12, 5, 9, tzinfo=dt.UTC)
RULES = LoyaltySettings(return_window_days=0)


@pytest.fixture
def warehouse(tmp_path: Path) -> Engine:
    engine = DuckDBEngine(tmp_path / "w.duckdb")
    migrate(engine)
    engine.create_table_as("person_profile", "SELECT * FROM (VALUES ('P1', 1, DATE '2026-12-05'), "
                           "('P2', 2, DATE '2026-12-05'), ('P3', 3, DATE '2026-12-05'), "
                           "('P4', 4, DATE '2026-12-05')) AS t(person_id, person_key, as_of)")
    return engine


def members(engine: Engine, expression: str) -> int:
    return count(engine, expression)


def test_points_and_coupons_expiring_soon_are_segment_fields(ledger_db: StoreEngine, warehouse: Engine) -> None:
    earning.sync(ledger_db, [OrderRow("P1", "jd", "old", 1, "paid", 30_000, dt.date(2025, 3, 1)),  # ends 2026
                             OrderRow("P2", "jd", "new", 1, "paid", 30_000, dt.date(2026, 3, 1)),  # ends 2027
                             OrderRow("P3", "jd", "old3", 1, "paid", 5_000, dt.date(2025, 3, 1))],
                 RULES, AS_OF, at=AT)
    lots.redeem(ledger_db, "P3", 50, "spent-all", at=AT)  # P3's expiring lot is spent: nothing left to expire
    soon = coupons.issue(ledger_db, "P2", 1_000, 2, "c-soon", at=AT)
    coupons.issue(ledger_db, "P4", 1_000, 30, "c-later", at=AT)
    used = coupons.issue(ledger_db, "P3", 1_000, 1, "c-used", at=AT)
    coupons.redeem(ledger_db, used.id, "jd", "o9", at=AT)
    assert soon.status == "issued"
    export_facts(warehouse, ledger_db, AS_OF, AT)
    assert members(warehouse, "points_expiring(30)") == 1  # P1 alone
    assert members(warehouse, "points_expiring(30, at_least := 301)") == 0  # P1 holds 300
    assert members(warehouse, "points_expiring(400)") == 2  # P2's lot ends 2027-12-31
    assert members(warehouse, "coupon_expiring(3)") == 1  # P2; P4's runs 30 days, P3's was used
    assert members(warehouse, "coupon_expiring(30) AND NOT points_expiring()") == 2  # P2 and P4, not P1
    wallet.topup(ledger_db, "P4", 10_000, 0, "t1", at=AT)
    wallet.spend(ledger_db, "P4", 10_000, "s1", at=AT)
    export_facts(warehouse, ledger_db, AS_OF, AT)  # a rerun replaces the table
    facts = warehouse.query(f"SELECT person_id, kind, amount FROM {FACTS} WHERE kind = 'stored_value'").to_pylist()
    assert facts == [{"person_id": "P4", "kind": "stored_value", "amount": 0}]  # a holder, spent down to 0
    assert members(warehouse, "points_expiring(30)") == 1


def test_without_a_programme_the_helpers_match_no_one(warehouse: Engine) -> None:
    ensure_facts(warehouse)
    assert members(warehouse, "points_expiring(30) OR coupon_expiring(3)") == 0
