"""A refund that comes late, with no new purchase by its customer, is rescored: the entry's repurchase, orders
and revenue (what the uplift averages) and the task's bought/revenue drop back, on the next evaluation."""

from __future__ import annotations

import dataclasses
import datetime as dt
import zoneinfo
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import select

from siyu.engine.duckdb_engine import DuckDBEngine
from siyu.journeys.definition import parse_journeys
from siyu.journeys.evaluate import evaluate
from siyu.journeys.settings import JourneySettings
from siyu.journeys.tables import state, task

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
JOURNEYS = parse_journeys("""
[journeys.welcome]
trigger = { kind = "first_order" }
holdout = 0
exits = ["opted_out"]
[[journeys.welcome.steps]]
name = "thanks"
action = { kind = "task", title = "感谢首单", template = "谢谢" }
""", "test")
START = dt.date(2026, 5, 1)


def _orders(engine: DuckDBEngine, second: str) -> None:
    """P1's first order on May 1st and a second on May 5th (`second`: its status, net and refund time)."""
    engine.create_table_as("person_map", "SELECT 'tmall' AS channel, 'u1' AS channel_uid, 'P1' AS person_id")
    engine.create_table_as("orders", f"""SELECT * FROM (VALUES
        ('tmall', 'o1', 'u1', DATE '2026-05-01', 'paid', 50.00, NULL::TIMESTAMP),
        ('tmall', 'o2', 'u1', DATE '2026-05-05', {second})) AS t(channel, order_id, channel_uid, order_date,
        status, net_amount, refunded_at)""")


def _outcome(store: sa.Engine) -> tuple[tuple[object, ...], tuple[object, ...]]:
    with store.connect() as conn:
        entry = conn.execute(select(state.c.bought_on, state.c.orders, state.c.revenue_fen)).one()
        done = conn.execute(select(task.c.bought_on, task.c.revenue_fen)).one()
    return tuple(entry), tuple(done)


def test_a_late_refund_is_rescored_without_a_new_purchase(store: sa.Engine, tmp_path: Path) -> None:
    engine = DuckDBEngine(tmp_path / "w.duckdb")
    _orders(engine, "'paid', 120.00, NULL::TIMESTAMP")
    rules = JourneySettings()
    for n in range(12):
        day = START + dt.timedelta(days=n)
        if day == dt.date(2026, 5, 10):  # the second order refunded in full five days later
            _orders(engine, "'refunded', 0.00, TIMESTAMP '2026-05-10 15:00:00'")
        evaluate(engine, store, JOURNEYS, rules, "Asia/Shanghai", day, dt.datetime.combine(day, dt.time(10), TZ))
        if day == dt.date(2026, 5, 9):
            assert _outcome(store) == ((dt.date(2026, 5, 5), 1, 12_000), (dt.date(2026, 5, 5), 12_000))
    engine.close()
    assert _outcome(store) == ((None, 0, 0), (None, 0))


def test_a_first_order_is_read_from_the_profile_or_the_orders_alike(store: sa.Engine, tmp_path: Path) -> None:
    """A refunded order is not a first order: P1's first purchase is May 1st, P2's was before the window.
    With the profile's first_order_date (the demo's) or without it (computed from the orders), the same entry."""
    engine = DuckDBEngine(tmp_path / "w.duckdb")
    engine.create_table_as("person_map", "SELECT * FROM (VALUES ('tmall', 'u1', 'P1'), ('tmall', 'u2', 'P2')) "
                           "AS t(channel, channel_uid, person_id)")
    engine.create_table_as("orders", """SELECT * FROM (VALUES
        ('tmall', 'o0', 'u1', DATE '2026-04-30', 'refunded', 0.00),
        ('tmall', 'o1', 'u1', DATE '2026-05-01', 'paid', 50.00),
        ('tmall', 'o2', 'u2', DATE '2026-04-29', 'paid', 50.00), ('tmall', 'o3', 'u2', DATE '2026-05-01', 'paid', 9.00))
        AS t(channel, order_id, channel_uid, order_date, status, net_amount)""")
    rules, now = JourneySettings(lookback_days=2), dt.datetime.combine(START, dt.time(10), TZ)
    evaluate(engine, store, JOURNEYS, rules, "Asia/Shanghai", START, now)
    engine.create_table_as("person_profile", "SELECT * FROM (VALUES ('P1', DATE '2026-05-01'), "
                           "('P2', DATE '2026-04-29')) AS t(person_id, first_order_date)")
    renamed = [dataclasses.replace(JOURNEYS[0], name="welcome2")]
    evaluate(engine, store, renamed, rules, "Asia/Shanghai", START, now)
    engine.close()
    with store.connect() as conn:
        entries = sorted(tuple(r) for r in conn.execute(select(state.c.journey, state.c.person_id, state.c.entered_on)))
    assert entries == [("welcome", "P1", START), ("welcome2", "P1", START)]
