"""Every person_profile column on hand-made persons with known answers (test_profile_world.py)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from test_profile_world import AS_OF, build_world

from siyu.config import Settings
from siyu.engine import Engine
from siyu.engine.duckdb_engine import DuckDBEngine
from siyu.profile import run_profile
from siyu.profile.columns import ProfileParams, profile_sql
from siyu.profile.step import small_domains
from siyu.schema import migrate


def open_world(path: Path, with_person_map: bool = True) -> DuckDBEngine:
    engine = DuckDBEngine(path)
    migrate(engine)
    build_world(engine, with_person_map)
    return engine


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = open_world(tmp_path_factory.mktemp("profile") / "w.duckdb")
    run_profile(engine, Settings())
    yield engine
    engine.close()


def profile(engine: Engine) -> dict[str, dict[str, Any]]:
    return {r["person_id"]: r for r in engine.query("SELECT * FROM person_profile").to_pylist()}


def test_one_row_per_person_and_as_of_defaults_to_last_order(world: Engine) -> None:
    p = profile(world)
    assert set(p) == {"alice", "bob", "carol", "dave", "eve", "frank"}
    assert {r["as_of"] for r in p.values()} == {AS_OF}


def test_order_columns(world: Engine) -> None:
    a = profile(world)["alice"]
    assert (a["first_order_date"], a["last_order_date"]) == (dt.date(2026, 1, 1), dt.date(2026, 5, 1))
    assert (a["first_channel"], a["last_channel"]) == ("store", "store")
    # the pending order on 2026-06-30 is not a purchase
    assert (a["orders"], a["order_days"], a["orders_365d"]) == (3, 3, 3)
    assert a["net_spend"] == Decimal("900.00") and a["aov"] == 300.0
    assert a["recency_days"] == 60
    assert profile(world)["carol"]["orders_365d"] == 0 and profile(world)["carol"]["net_spend_365d"] == 0


def test_refunds_and_return_rate(world: Engine) -> None:
    a, b = profile(world)["alice"], profile(world)["bob"]
    assert (a["paid_amount"], a["refund_amount"], a["refunds"], a["return_rate"]) == (
        Decimal("1000.00"), Decimal("100.00"), 1, 0.1)
    # bob's fully refunded order counts as a refund but not as a purchase
    assert (b["orders"], b["net_spend"], b["refunds"], b["return_rate"]) == (1, Decimal("80.00"), 1, 0.3846)


def test_repurchase_interval_own_or_prior(world: Engine) -> None:
    p = profile(world)
    assert p["alice"]["repurchase_interval_days"] == 60.0 and not p["alice"]["interval_is_prior"]
    assert p["frank"]["repurchase_interval_days"] == 61.0
    # one-order persons get the median of everyone's own interval: median(60, 31, 31, 61)
    assert p["bob"]["repurchase_interval_days"] == 45.5 and p["bob"]["interval_is_prior"]


def test_channel_mix(world: Engine) -> None:
    a = profile(world)["alice"]
    assert (a["channel_mix"], a["n_channels"], a["preferred_channel"]) == ("store:2,tmall:1", 2, "store")
    assert (a["private_orders"], a["public_orders"]) == (2, 1)


def test_preferences_from_items_of_purchases(world: Engine) -> None:
    a, d = profile(world)["alice"], profile(world)["dave"]
    assert (a["preferred_material"], a["preferred_material_share"]) == ("冰丝", 0.75)
    assert (a["preferred_category"], a["preferred_style"]) == ("bra", "基础款")
    assert (d["preferred_material"], d["preferred_material_share"]) == ("棉", 1.0)
    assert profile(world)["frank"]["preferred_material"] is None  # no item rows


def test_private_domain_columns(world: Engine) -> None:
    p = profile(world)
    a, e = p["alice"], p["eve"]
    assert a["private_since"] == dt.datetime(2026, 1, 10, 10) and a["is_friend"] and a["in_private_domain"]
    assert (a["owner_staff_id"], a["owner_store_id"]) == ("S1", "ST9")  # the staff's store
    # eve was removed as a friend, left 白领群 and is still in 宝妈群
    assert not e["is_friend"] and e["private_since"] is None and e["in_private_domain"]
    assert (e["groups_joined"], e["groups_left"], e["groups_current"]) == (2, 1, 1)
    assert not p["bob"]["in_private_domain"]


def test_messages_and_last_interaction(world: Engine) -> None:
    a, e = profile(world)["alice"], profile(world)["eve"]
    # the March message is older than 30 days; the staff's message is not the customer's
    assert (a["messages_30d"], a["group_messages_30d"]) == (3, 1)
    assert a["last_interaction_at"] == dt.datetime(2026, 6, 22, 10)
    assert (e["messages_30d"], e["group_messages_30d"]) == (6, 6)


def test_wallet_coupons_birthday_and_identity(world: Engine) -> None:
    a = profile(world)["alice"]
    assert (a["stored_value_balance"], a["stored_value_topup"]) == (Decimal("700.00"), Decimal("1000.00"))
    # C1 expires in 2 days; C2 has expired
    assert (a["coupons_held"], a["coupons_expiring"]) == (1, 1)
    assert a["next_coupon_expiry"] == dt.datetime(2026, 7, 2, 10)
    assert (a["birthday"], a["birthday_month"], a["city"]) == (dt.date(1990, 6, 15), 6, "杭州市")
    # the unmasked name and the full phone win over the Tmall masked ones
    assert (a["name"], a["phone"]) == ("王丽", "13800000001")
    assert profile(world)["bob"]["phone"] == "139****0002"
    assert profile(world)["bob"]["coupons_expiring"] == 0


def test_clv_columns_empty_without_scores_then_filled(world: Engine, tmp_path: Path) -> None:
    assert all(r["p_alive"] is None for r in profile(world).values())
    engine = open_world(tmp_path / "clv.duckdb")
    engine.write_arrow("clv_score", pa.table({"person_id": ["alice"], "p_alive": [0.9],
                                              "expected_orders_90d": [1.2], "clv": [800.0]}), mode="replace")
    run_profile(engine, Settings())
    a = profile(engine)["alice"]
    assert (a["p_alive"], a["expected_orders_90d"], a["clv"]) == (0.9, 1.2, 800.0)
    engine.close()


def test_without_person_map_each_identity_is_a_person(tmp_path: Path) -> None:
    engine = open_world(tmp_path / "nomap.duckdb", with_person_map=False)
    run_profile(engine, Settings())
    p = profile(engine)
    assert p["store:M1"]["orders"] == 2 and p["tmall:nick_a"]["orders"] == 1
    assert p["wecom:wa"]["is_friend"] and "alice" not in p
    engine.close()


def test_as_of_is_configurable_and_hides_the_future(tmp_path: Path) -> None:
    engine = open_world(tmp_path / "past.duckdb")
    settings = Settings(sections={"profile": {"as_of": "2026-03-31"}})
    run_profile(engine, settings)
    a = profile(engine)["alice"]
    assert a["as_of"] == dt.date(2026, 3, 31) and a["orders"] == 2 and a["recency_days"] == 30
    engine.close()


def test_profile_without_clean_tables_says_what_to_run(duck: Engine) -> None:
    rows_in, rows_out, message = run_profile(duck, Settings())
    assert (rows_in, rows_out) == (0, 0) and "normalise" in message


def test_pivoted_and_generic_queries_agree(world: Engine) -> None:
    # few channels and attribute values: one column each; a brand with many gets the generic GROUP BY
    channels, values = small_domains(world)
    assert channels == ("douyin", "jd", "miniprogram", "store", "tmall")
    assert values == {"category": ("bra", "panties"), "material": ("冰丝", "棉"), "style": ("主题款", "基础款")}
    generic = ProfileParams(as_of=AS_OF, prior_interval_days=45.5, active_days=30, coupon_expiring_days=3,
                            private_channels=tuple(Settings().channels.private), with_clv=False)
    pivoted = dataclasses.replace(generic, channels=channels, attribute_values=values)
    rows = [world.query(f"SELECT * FROM ({profile_sql(p)}) AS x ORDER BY person_id").to_pylist()
            for p in (generic, pivoted)]
    assert rows[0] == rows[1] and len(rows[0]) == 6
