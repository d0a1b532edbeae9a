"""`segment_entered` with a saved segment: a person enters the journey on the day of the first snapshot that
holds them after one that did not (the snapshots `siyu run` writes), once, however often the day is evaluated;
staying in the segment is not entering it again. A trigger naming both a predicate and a saved segment, or
neither, is refused naming the key."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from siyu.engine.duckdb_engine import DuckDBEngine
from siyu.errors import UserError
from siyu.journeys.definition import parse_journeys
from siyu.journeys.evaluate import evaluate
from siyu.journeys.settings import JourneySettings
from siyu.journeys.tables import state
from siyu.segment.store import save_segment, snapshot

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
JOURNEYS = parse_journeys("""
[journeys.vip]
trigger = { kind = "segment_entered", saved = "repeat" }
holdout = 0
[[journeys.vip.steps]]
name = "welcome"
action = { kind = "task", title = "复购客户关怀", template = "谢谢您再次购买" }
""", "test")


def _profile(engine: DuckDBEngine, day: dt.date, orders: dict[str, int]) -> None:
    rows = ", ".join(f"('{p}', {i}, DATE '{day}', {n})" for i, (p, n) in enumerate(sorted(orders.items())))
    engine.create_table_as("person_profile",
                           f"SELECT * FROM (VALUES {rows}) AS t(person_id, person_key, as_of, orders)")


def test_entering_a_saved_segment(store: sa.Engine, tmp_path: Path) -> None:
    engine = DuckDBEngine(tmp_path / "w.duckdb")
    day0 = dt.date(2026, 5, 1)
    history = {0: {"P1": 2, "P2": 1, "P3": 1}, 2: {"P1": 2, "P2": 2, "P3": 1}, 4: {"P1": 0, "P2": 2, "P3": 1},
               6: {"P1": 3, "P2": 2, "P3": 2}}  # P1 leaves on day 4 and comes back on day 6
    _profile(engine, day0, history[0])
    save_segment(engine, "repeat", "orders >= 2")
    for n in range(8):
        day = day0 + dt.timedelta(days=n)
        if n in history:
            _profile(engine, day, history[n])
            snapshot(engine)
        for _ in range(2):
            evaluate(engine, store, JOURNEYS, JourneySettings(), "Asia/Shanghai", day,
                     dt.datetime.combine(day, dt.time(10), TZ))
    engine.close()
    with store.connect() as conn:
        entries = sorted((r.person_id, r.entered_on) for r in conn.execute(select(state.c.person_id,
                                                                                 state.c.entered_on)))
    assert entries == [("P1", day0), ("P1", day0 + dt.timedelta(days=6)), ("P2", day0 + dt.timedelta(days=2)),
                       ("P3", day0 + dt.timedelta(days=6))]


@pytest.mark.parametrize("trigger", ['{ kind = "segment_entered", saved = "a", segment = "orders > 1" }',
                                     '{ kind = "segment_entered", every_days = 30 }'])
def test_a_segment_trigger_names_one_segment(trigger: str) -> None:
    with pytest.raises(UserError, match=r"^j.toml: journeys.x.trigger: give either segment"):
        parse_journeys(f"[journeys.x]\ntrigger = {trigger}\n[[journeys.x.steps]]\nwait_days = 1\n", "j.toml")
