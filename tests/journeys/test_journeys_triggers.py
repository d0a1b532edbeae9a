"""Each trigger of issue 13 not covered elsewhere enters the right person on the right day, once however often the
days are evaluated: a friend added, an order delivered (days after shipping), the birthday month, a tag entered
(`sleeping`), past the person's own repurchase interval, and a segment predicate entered. (A first order: the
guard and refund tests; coupons and points expiring: test_journeys_expiring; a saved segment: test_journeys_segment.)
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import select

from siyu.engine.duckdb_engine import DuckDBEngine
from siyu.journeys.definition import parse_journeys
from siyu.journeys.evaluate import evaluate
from siyu.journeys.settings import JourneySettings
from siyu.journeys.tables import state
from siyu.segment.tables import PERSON_TAG

TRIGGERS = {"friend": '{ kind = "friend_added" }', "delivered": '{ kind = "order_delivered", days = 3 }',
            "birthday": '{ kind = "birthday_month" }', "asleep": '{ kind = "tag_entered", tag = "sleeping" }',
            "due": '{ kind = "past_interval" }', "vip": '{ kind = "segment_entered", segment = "orders >= 5" }'}
JOURNEYS = parse_journeys("".join(
    f'[journeys.{name}]\ntrigger = {trigger}\nholdout = 0\n[[journeys.{name}.steps]]\nwait_days = 30\n'
    f'action = {{ kind = "task", title = "t", template = "hi" }}\n' for name, trigger in TRIGGERS.items()), "test")
JUNE = dt.date(2026, 6, 1)


def _brand(engine: DuckDBEngine) -> None:
    """On June 1st: P1 adds staff on WeCom, P3's parcel (shipped May 29th) arrives, P4's birthday month begins, P5
    turns `sleeping`, P2 is 12 days past the last order (its own interval). P6 has had 5 orders all along."""
    people = ("P1", "P2", "P3", "P4", "P5", "P6")
    engine.create_table_as("person_map", "SELECT * FROM (VALUES " + ", ".join(
        f"('wecom', 'wx{p}', '{p}'), ('tmall', 'tb{p}', '{p}')" for p in people)
        + ") AS t(channel, channel_uid, person_id)")
    engine.create_table_as("contacts", "SELECT 'S01' AS staff_id, 'wxP1' AS external_userid, "
                           "TIMESTAMP '2026-06-01 10:00' AS added_at, NULL::TIMESTAMP AS removed_at")
    engine.create_table_as("orders", """SELECT * FROM (VALUES
        ('tmall', 'o2', 'tbP2', DATE '2026-05-20', 'paid', 88.00),
        ('tmall', 'o3', 'tbP3', DATE '2026-05-28', 'paid', 88.00)) AS t(channel, order_id, channel_uid, order_date,
        status, net_amount)""")
    engine.create_table_as("parcels", "SELECT 'tmall' AS channel, 'o3' AS order_id, "
                           "TIMESTAMP '2026-05-29 08:00' AS shipped_at")
    engine.create_table_as("person_tag_history", "SELECT 'P5' AS person_id, 'sleeping' AS tag, "
                           "DATE '2026-06-01' AS started_on")
    rows = {"P2": "DATE '2026-05-20', 12.0, NULL, 1", "P4": "NULL, NULL, 6, 0", "P6": "NULL, NULL, NULL, 5"}
    engine.create_table_as("person_profile", "SELECT * FROM (VALUES " + ", ".join(
        f"('{p}', {i}, DATE '2026-06-02', {rows.get(p, 'NULL, NULL, NULL, 0')})" for i, p in enumerate(people))
        + ") AS t(person_id, person_key, as_of, last_order_date, repurchase_interval_days, birthday_month, orders)")
    engine.ensure_table("person_tag", PERSON_TAG)


def test_each_trigger_enters_its_person_on_the_day_once(store: sa.Engine, tmp_path: Path) -> None:
    engine = DuckDBEngine(tmp_path / "w.duckdb")
    _brand(engine)
    for day in (JUNE - dt.timedelta(days=1), JUNE, JUNE, JUNE + dt.timedelta(days=1), JUNE + dt.timedelta(days=1)):
        now = dt.datetime.combine(day, dt.time(10), zoneinfo.ZoneInfo("Asia/Shanghai"))
        evaluate(engine, store, JOURNEYS, JourneySettings(), "Asia/Shanghai", day, now)
    engine.close()
    with store.connect() as conn:
        entries = sorted(conn.execute(select(state.c.journey, state.c.person_id, state.c.entered_on)).all())
    assert [tuple(e) for e in entries] == sorted([
        ("friend", "P1", JUNE), ("due", "P2", JUNE), ("delivered", "P3", JUNE), ("birthday", "P4", JUNE),
        ("asleep", "P5", JUNE), ("vip", "P6", JUNE - dt.timedelta(days=1))])
