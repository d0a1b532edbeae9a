"""On the demo brand, the profile, the CLV input and the metrics layer read the same purchases for every person:
the same order count, first and last order date and net spend (docs/definitions.md). Where they deliberately
differ, the difference is exactly the documented one: CLV frequency and repurchase count purchase *days*, and the
metrics' paid orders also hold fully refunded ones, which are nobody's purchase."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from siyu.clv.covariate import members_sql
from siyu.clv.step import orders_source_sql
from siyu.clv.summary import Period
from siyu.config import Settings
from siyu.demo.build import build_demo
from siyu.demo.config import DemoConfig
from siyu.domain.private import private_domain_sql
from siyu.engine import Engine
from siyu.engine.duckdb_engine import DuckDBEngine
from siyu.metrics import build_base, compute, metrics_config
from siyu.metrics.periods import Window

Row = tuple[int, dt.date, dt.date, Decimal]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A small demo brand after a full `siyu run` (identity, CLV, profile, metrics), with the metric base tables."""
    warehouse = tmp_path_factory.mktemp("rules") / "demo.duckdb"
    build_demo(warehouse, DemoConfig(persons=1500), direct=True)
    engine = DuckDBEngine(warehouse)
    build_base(engine, metrics_config(Settings()))
    yield engine
    engine.close()


def _by_person(engine: Engine, sql: str) -> dict[str, Any]:
    rows = engine.query(sql).to_pylist()
    return {r["person_id"]: tuple(v for k, v in r.items() if k != "person_id") for r in rows}


def _cents(value: object) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


@pytest.fixture(scope="module")
def profile(demo: Engine) -> dict[str, Row]:
    got = _by_person(demo, "SELECT person_id, orders, first_order_date, last_order_date, net_spend "
                           "FROM person_profile WHERE orders > 0")
    return {p: (n, d0, d1, _cents(net)) for p, (n, d0, d1, net) in got.items()}


@pytest.mark.slow
def test_profile_and_clv_input_read_the_same_purchases(demo: Engine, profile: dict[str, Row]) -> None:
    clv = _by_person(demo, f"""SELECT customer_id AS person_id, count(*) AS n, min(order_date) AS d0,
                                      max(order_date) AS d1, sum(amount) AS net
                               FROM ({orders_source_sql(demo)}) AS o GROUP BY customer_id""")
    assert len(profile) > 500
    assert {p: (n, d0, d1, _cents(net)) for p, (n, d0, d1, net) in clv.items()} == profile


@pytest.mark.slow
def test_profile_and_metrics_read_the_same_purchases(demo: Engine, profile: dict[str, Row]) -> None:
    metrics = _by_person(demo, """SELECT person_id, count(*) AS n, min(day) AS d0, max(day) AS d1, sum(net) AS net
                                  FROM mx_orders WHERE is_purchase GROUP BY person_id""")
    assert {p: (n, d0, d1, _cents(net)) for p, (n, d0, d1, net) in metrics.items()} == profile


@pytest.mark.slow
def test_refunded_orders_are_paid_orders_of_no_purchase(demo: Engine, profile: dict[str, Row]) -> None:
    """The metrics' paid orders add only fully refunded orders (net 0) to the purchases: they count for sales and
    refunds, never for an order count."""
    extra = demo.query("SELECT person_id, net, refund, paid FROM mx_orders WHERE NOT is_purchase").to_pylist()
    assert extra, "the demo has fully refunded orders"
    assert all(r["net"] == 0 and r["refund"] >= r["paid"] for r in extra)
    refund_only = {r["person_id"] for r in extra} - set(profile)
    if refund_only:
        got = _by_person(demo, "SELECT person_id, orders, net_spend FROM person_profile")
        assert all(got[p] == (0, Decimal("0.00")) for p in refund_only if p in got)


@pytest.mark.slow
def test_clv_frequency_and_repurchase_count_purchase_days(demo: Engine, profile: dict[str, Row]) -> None:
    """CLV's x is a person's distinct purchase days less one; repurchase scans the same distinct days."""
    days = _by_person(demo, f"""SELECT customer_id AS person_id, count(DISTINCT order_date) AS days
                                FROM ({orders_source_sql(demo)}) AS o GROUP BY customer_id""")
    scored = _by_person(demo, "SELECT person_id, x FROM clv_score")
    assert len(scored) == len(profile)
    assert {p: x for p, (x,) in scored.items()} == {p: d - 1 for p, (d,) in days.items()}
    buy_days = _by_person(demo, "SELECT person_id, count(*) AS days FROM mx_buy_days GROUP BY person_id")
    assert buy_days == days
    several = [p for p, (n, *_rest) in profile.items() if n > days[p][0]]
    assert several, "some persons bought twice on one day: orders and purchase days differ for them"


@pytest.mark.slow
def test_profile_metrics_and_clv_agree_on_who_is_in_the_private_domain(demo: Engine) -> None:
    """One rule (siyu.domain.private): the profile's flag, the size metric and CLV's covariate members."""
    as_of = demo.query("SELECT max(as_of) AS d FROM person_profile").column("d")[0].as_py()
    ruled = {r["person_id"] for r in demo.query(f"""
        SELECT DISTINCT coalesce(pm.person_id, i.channel || ':' || i.channel_uid) AS person_id
        FROM ({private_domain_sql(as_of)}) AS i
        LEFT JOIN person_map AS pm ON pm.channel = i.channel AND pm.channel_uid = i.channel_uid""").to_pylist()}
    flagged = {r["person_id"] for r in demo.query(
        "SELECT person_id FROM person_profile WHERE in_private_domain").to_pylist()}
    assert len(ruled) > 100 and flagged == ruled
    size = compute(demo, metrics_config(Settings()).settings, ["private_domain_size"], Window("day", as_of, as_of))
    assert size.column("value").to_pylist() == [len(ruled)]
    members = {r["person_id"] for r in demo.query(members_sql(Period(as_of))).to_pylist()}
    assert members == {p for p in ruled if not p.startswith("wecom:")}  # CLV reads OneID persons only
