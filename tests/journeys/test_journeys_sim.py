"""60 simulated days of a small demo brand against the default journeys, with a frozen clock: tasks on the right
days, caps and quiet hours kept, no task after a friend was removed, a stable holdout of the configured share,
reruns that create nothing, and an uplift interval that covers the simulation's true effect."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from siyu.demo.config import DemoConfig
from siyu.demo.sop import Sop
from siyu.engine.duckdb_engine import DuckDBEngine
from siyu.journeys import measure, rails
from siyu.journeys.definition import load_journeys
from siyu.journeys.evaluate import evaluate
from siyu.journeys.settings import JourneySettings
from siyu.journeys.tables import state, task
from siyu.loyalty.tables import coupon
from siyu.store import open_store

TZ = "Asia/Shanghai"
START = dt.date(2026, 3, 1)
DAYS = 60
RULES = JourneySettings()


def clock(day: dt.date) -> dt.datetime:
    """10:00 on odd days; 22:30 (quiet hours) on even days."""
    at = dt.time(22, 30) if day.toordinal() % 2 == 0 else dt.time(10, 0)
    return dt.datetime.combine(day, at, zoneinfo.ZoneInfo(TZ)).astimezone(dt.UTC)


def counts(store: sa.Engine) -> tuple[int, int, int]:
    with store.connect() as conn:
        return tuple(conn.execute(select(sa.func.count()).select_from(t)).scalar_one()  # type: ignore[return-value]
                     for t in (task, coupon, state))


@pytest.fixture(scope="module")
def lived(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Sop, sa.Engine, list[tuple[int, int, int]]]]:
    folder: Path = tmp_path_factory.mktemp("sop")
    engine = DuckDBEngine(folder / "w.duckdb")
    store = open_store(f"sqlite:///{folder / 'store.sqlite'}")
    sop = Sop(DemoConfig(persons=10, seed=11), engine, store)
    journeys = load_journeys()
    reruns = []
    for n in range(DAYS):
        day = START + dt.timedelta(days=n)
        sop.day(day)
        evaluate(engine, store, journeys, RULES, TZ, day, clock(day))
        if n % 10 == 5:  # a rerun the same day (a second `siyu run`, or a retry after a crash)
            before = counts(store)
            evaluate(engine, store, journeys, RULES, TZ, day, clock(day) + dt.timedelta(minutes=5))
            reruns.append((before, counts(store)))
        sop.staff_work(day, clock(day) + dt.timedelta(minutes=30))
    yield sop, store, reruns  # type: ignore[misc]
    engine.close()
    store.dispose()


def _tasks(store: sa.Engine) -> list[sa.Row]:
    with store.connect() as conn:
        return list(conn.execute(select(task)).all())


def _utc(t: dt.datetime) -> dt.datetime:
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


def test_reruns_create_nothing(lived: tuple[Sop, sa.Engine, list]) -> None:
    _, _, reruns = lived
    assert len(reruns) == 6
    assert all(before == after for before, after in reruns)


def test_seed_tasks_land_on_the_right_days(lived: tuple[Sop, sa.Engine, list]) -> None:
    _, store, _ = lived
    with store.connect() as conn:
        entered = {(r.person_id): r.entered_on for r in conn.execute(select(state).where(state.c.journey == "seed"))}
    local = zoneinfo.ZoneInfo(TZ)
    by_step: dict[str, list[int]] = defaultdict(list)
    for t in _tasks(store):
        if t.journey == "seed" and t.status != "holdout":
            by_step[t.step].append((_utc(t.created_at).astimezone(local).date() - entered[t.person_id]).days)
    assert by_step["confirm_address"] and set(by_step["confirm_address"]) == {0}  # the day of the first order
    assert set(by_step["coupon"]) <= {1, 2, 3}  # a day after, at once if they replied, else after 3 days
    assert 1 in by_step["coupon"]
    assert min(by_step["group_invite"]) >= 3
    assert min(by_step["coupon_reminder"]) >= 27  # 3 days before the 30-day coupon ends, or later if capped
    recipe = [(_utc(t.created_at).astimezone(local).date() - entered[t.person_id]).days
              for t in _tasks(store) if t.journey == "recipe_guide" and t.status != "holdout"]
    assert recipe and min(recipe) >= 7


def test_caps_and_quiet_hours_are_kept(lived: tuple[Sop, sa.Engine, list]) -> None:
    _, store, _ = lived
    staff = [t for t in _tasks(store) if t.status in ("open", "done", "skipped")]
    per_person: dict[str, list[dt.datetime]] = defaultdict(list)
    for t in staff:
        per_person[t.person_id].append(_utc(t.created_at))
    worst = max(sum(1 for u in times if dt.timedelta(0) <= u - t0 < rails.WEEK)
                for times in per_person.values() for t0 in times)
    assert worst == RULES.tasks_per_week  # reached, never exceeded
    local = zoneinfo.ZoneInfo(TZ)
    due = [_utc(t.due_at).astimezone(local).time() for t in staff]
    assert all(not rails.in_quiet_hours(d, RULES) for d in due)
    assert any(_utc(t.created_at).astimezone(local).time() >= dt.time(21) for t in staff)  # made in quiet hours


def test_no_task_for_a_removed_friend(lived: tuple[Sop, sa.Engine, list]) -> None:
    sop, store, _ = lived
    removed = {p.pid: p.removed for p in sop.persons if p.removed}
    local = zoneinfo.ZoneInfo(TZ)
    late = [t for t in _tasks(store) if t.person_id in removed and t.status != "holdout"
            and _utc(t.created_at).astimezone(local).date() >= removed[t.person_id]]
    assert removed and late == []
    with store.connect() as conn:
        exits = conn.execute(select(sa.func.count()).select_from(state)
                             .where(state.c.exit_reason == "friend_removed")).scalar_one()
    assert exits > 0


def test_holdout_share_is_stable_and_near_the_setting(lived: tuple[Sop, sa.Engine, list]) -> None:
    _, store, _ = lived
    with store.connect() as conn:
        rows = conn.execute(select(state.c.journey, state.c.person_id, state.c.arm)).all()
    assert all(rails.arm(j, p, 0.1) == a for j, p, a in rows)  # the same arm on every run
    seed = [a for j, _, a in rows if j == "seed"]
    assert len(seed) == 40 * DAYS
    assert abs(seed.count(rails.HOLDOUT) / len(seed) - 0.1) < 0.02
    held = {p for j, p, a in rows if j == "seed" and a == rails.HOLDOUT}
    assert not [t for t in _tasks(store) if t.journey == "seed" and t.person_id in held and t.status != "holdout"]


def test_uplift_interval_covers_the_true_effect(lived: tuple[Sop, sa.Engine, list]) -> None:
    sop, store, _ = lived
    result = measure.uplift(store, "seed", 30)
    rep = result["repurchase"]
    assert result["treatment"] > 500 and result["holdout"] > 50
    assert rep["low"] <= sop.true_uplift <= rep["high"]
    assert rep["low"] > 0  # the effect is found, not just covered by a wide interval
    revenue = result["revenue_per_person"]
    assert revenue["low"] <= sop.true_uplift * 88 <= revenue["high"]
    funnel = measure.funnel(store, "seed")
    confirm = next(s for s in funnel["steps"] if s["step"] == "confirm_address")
    assert confirm["created"] >= confirm["done"] >= confirm["replied"] > 0 and confirm["held_out"] > 0
