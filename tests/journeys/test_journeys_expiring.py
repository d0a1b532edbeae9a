"""The "points expiring" and "coupon expiring" triggers read the member ledger (through `loyalty_facts`, which
the loyalty step rewrites every day): a member enters `days` before each expiry date of points they still hold
(at least `at_least`), once per date however often the day is evaluated; spent points and used coupons trigger
nothing. Hand-built ledger state, so every entry day is known."""

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
from siyu.journeys.tables import task
from siyu.loyalty import coupons, lots
from siyu.loyalty.export import export_facts
from siyu.schema.migrate import migrate

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
JOURNEYS = parse_journeys("""
[journeys.points]
trigger = { kind = "points_expiring", days = 7, at_least = 100 }
holdout = 0
[[journeys.points.steps]]
name = "remind"
action = { kind = "task", title = "积分将到期", template = "您的积分 7 天后到期" }

[journeys.coupon]
trigger = { kind = "coupon_expiring", days = 3 }
holdout = 0
[[journeys.coupon.steps]]
name = "remind"
action = { kind = "task", title = "券将到期", template = "您的券 3 天后到期" }
""", "test")


def _clock(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(10), TZ)


def _ledger(store: sa.Engine) -> None:
    at = _clock(dt.date(2026, 6, 1))
    for person, points, ends, key in [("P1", 100, dt.date(2026, 6, 20), "a"), ("P1", 150, dt.date(2026, 7, 20), "b"),
                                      ("P2", 60, dt.date(2026, 6, 20), "c"),  # under at_least: no reminder
                                      ("P2", 50, dt.date(2026, 6, 20), "d"),  # … but two lots that day make 110
                                      ("P3", 200, dt.date(2026, 6, 25), "e"), ("P4", 500, None, "f")]:
        lots.adjust(store, person, points, "test", key, at=at, expires_on=ends)
    lots.redeem(store, "P3", 200, "spent", at=at)  # P3's points are gone before their reminder
    coupons.issue(store, "P5", 1_000, 20, "c-kept", at=at)  # last day 2026-06-21: reminded on 06-18
    used = coupons.issue(store, "P6", 1_000, 20, "c-used", at=at)
    coupons.redeem(store, used.id, "jd", "o1", at=at)


def test_a_reminder_days_before_each_expiry_date_once(store: sa.Engine, tmp_path: Path) -> None:
    warehouse = DuckDBEngine(tmp_path / "w.duckdb")
    migrate(warehouse)
    _ledger(store)
    rules = JourneySettings()
    day = dt.date(2026, 6, 5)
    while day <= dt.date(2026, 7, 25):
        export_facts(warehouse, store, day, _clock(day))  # what the loyalty step does before the journeys step
        evaluate(warehouse, store, JOURNEYS, rules, "Asia/Shanghai", day, _clock(day))
        again = evaluate(warehouse, store, JOURNEYS, rules, "Asia/Shanghai", day, _clock(day))
        assert again.entered == again.tasks == 0, day  # a rerun of the day creates nothing
        day += dt.timedelta(days=1)
    warehouse.close()
    with store.connect() as conn:
        tasks = sorted((r.journey, r.person_id, r.entry_key, r.created_at.date()) for r in conn.execute(
            select(task.c.journey, task.c.person_id, task.c.entry_key, task.c.created_at)))
    assert tasks == [("coupon", "P5", "coupon:2026-06-21", dt.date(2026, 6, 18)),
                     ("points", "P1", "points:2026-06-20", dt.date(2026, 6, 13)),
                     ("points", "P1", "points:2026-07-20", dt.date(2026, 7, 13)),
                     ("points", "P2", "points:2026-06-20", dt.date(2026, 6, 13))]

