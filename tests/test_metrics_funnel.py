"""Funnel decomposition adds up exactly; staff drill-down does not flag small samples; script drop-off; health."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
from test_metrics_data import AS_OF, build

from siyu.config import Settings
from siyu.engine import Engine
from siyu.metrics import build_base, metrics_config
from siyu.metrics.funnel import (
    FunnelPeriod,
    decompose,
    funnel_period,
    script_dropoff,
    staff_conversion,
    weakest_staff,
    wilson,
)
from siyu.metrics.health import health

D0, D1 = dt.date(2026, 1, 1), dt.date(2026, 1, 31)


def period(parcels: int, friends: int, converted: int, sales: float) -> FunnelPeriod:
    return FunnelPeriod(D0, D1, parcels, friends, converted, sales)


def test_contributions_add_up_to_the_change_exactly() -> None:
    rng = random.Random(7)
    for _ in range(500):
        p0 = period(rng.randint(1, 10**6), rng.randint(1, 10**5), rng.randint(1, 10**4), rng.uniform(1, 10**7))
        p1 = period(rng.randint(1, 10**6), rng.randint(1, 10**5), rng.randint(1, 10**4), rng.uniform(1, 10**7))
        d = decompose(p0, p1)
        assert sum(d.contributions.values(), Decimal(0)) == d.total_change
        assert d.total_change == Decimal(repr(p1.sales)).quantize(Decimal("0.01")) - \
            Decimal(repr(p0.sales)).quantize(Decimal("0.01"))


def test_the_factor_that_moved_gets_the_change() -> None:
    # same parcels, acquisition and order value; conversion halves: all of the drop is conversion's
    p0 = period(1000, 100, 30, 3000.0)
    p1 = period(1000, 100, 15, 1500.0)
    d = decompose(p0, p1)
    assert d.total_change == Decimal("-1500.00")
    assert d.contributions["first_order_conversion"] == Decimal("-1500.00")
    assert d.contributions["parcels"] == d.contributions["acquisition_rate"] == Decimal("0.00")


def test_no_change_means_no_contribution() -> None:
    d = decompose(period(10, 5, 2, 200.0), period(10, 5, 2, 200.0))
    assert d.total_change == 0 and all(v == 0 for v in d.contributions.values())


def test_a_zero_factor_is_a_clear_message_not_a_log_of_zero() -> None:
    with pytest.raises(ValueError, match="first_order_conversion is zero or has no data"):
        decompose(period(10, 5, 0, 0.0), period(10, 5, 2, 200.0))


def test_wilson_interval() -> None:
    low, high = wilson(0, 3)
    assert low == 0.0 and 0.5 < high < 0.6  # three friends, none converted: could still be ~56 %
    low, high = wilson(25, 100)
    assert low == pytest.approx(0.1754, abs=1e-3) and high == pytest.approx(0.3430, abs=1e-3)
    assert wilson(0, 0) == (0.0, 1.0)


@pytest.fixture
def brand(duck: Engine) -> Engine:
    build(duck)
    build_base(duck, metrics_config(Settings(sections={"metrics": {"as_of": AS_OF.isoformat()}})))
    return duck


def test_funnel_period_from_the_warehouse(brand: Engine) -> None:
    p = funnel_period(brand, D0, D1)
    # 4 card parcels; A and B came from cards; only A converted, with a first order of ¥100
    assert (p.parcels, p.friends, p.converted, p.sales) == (4, 2, 1, 100.0)


def test_small_staff_samples_are_not_flagged(brand: Engine) -> None:
    rows = staff_conversion(brand, D0, D1)
    by_id = {r["staff_id"]: r for r in rows}
    assert by_id["s1"]["rate"] == 0.5 and by_id["s2"]["rate"] == 0.0
    assert by_id["s1"]["team"] == pytest.approx(1 / 3)
    assert {r["flag"] for r in rows} == {"in line"}  # one or two friends each: nobody singled out
    assert weakest_staff(rows) == "s2"


def test_a_clearly_weak_staff_member_is_flagged() -> None:
    team = 0.3
    low, high = wilson(5, 100)
    assert high < team  # 5 of 100 against a team at 30 %: flagged
    low, high = wilson(1, 5)
    assert low < team < high  # 1 of 5: not


def test_script_dropoff_shows_where_customers_stop_answering(brand: Engine) -> None:
    rows = script_dropoff(brand, "s1", D0, D1)
    assert [(r["script_line_id"], r["sent"], r["replied"]) for r in rows] == [
        ("S01-L1", 1, 1), ("S01-L2", 1, 0), ("S01-L3", 1, 1)]
    assert rows[1]["drop"] == 1.0
    team = script_dropoff(brand, None, D0, D1)
    assert [r["script_line_id"] for r in team] == ["S01-L1", "S01-L2", "S01-L3", "S02-L1"]


def test_health_names_what_drags_it_down(brand: Engine) -> None:
    cfg = metrics_config(Settings(sections={"metrics": {"as_of": "2026-02-28"}})).settings
    h = health(brand, cfg, dt.date(2026, 2, 28), dt.date(2026, 1, 1))
    names = {c.name: c for c in h.components}
    # 1 Jan … 28 Feb: nobody at the start, so growth and churn have no data; activity 0 of A, B at the end
    assert names["growth"].value is None and names["churn"].value is None
    assert names["activity"].value == 0.0 and names["activity"].score == 0.0
    assert names["conversion"].score == 100.0  # 1 of 3 against 25 %
    assert h.draggers()[0].name == "activity"
    scored = [c for c in h.components if c.score is not None]
    assert h.score == pytest.approx(sum(c.score or 0 for c in scored) / len(scored))
    assert "activity 0.0% against a target of 35.0%" in h.summary("en")
    assert "活跃率 0.0%，目标 35.0%" in h.summary("zh")


def test_health_targets_are_settings(brand: Engine) -> None:
    cfg = metrics_config(Settings(sections={"metrics": {"targets": {"activity": 0.0001, "contribution": 0.1}}}))
    h = health(brand, cfg.settings, dt.date(2026, 1, 31), dt.date(2026, 1, 1))
    by = {c.name: c for c in h.components}
    assert by["activity"].target == 0.0001 and by["contribution"].score == 100.0
