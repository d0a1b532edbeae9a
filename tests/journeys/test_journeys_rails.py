"""Guard rails: the cap tightens after the first months; quiet hours move a task to their end in the brand's
time zone; the holdout draw is stable and independent between journeys."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from siyu.journeys import rails
from siyu.journeys.settings import JourneySettings

RULES = JourneySettings(tasks_per_week=2, tasks_per_week_later=1, early_days=90)
SH = zoneinfo.ZoneInfo("Asia/Shanghai")


def test_the_cap_tightens_after_the_first_months() -> None:
    today = dt.date(2026, 6, 1)
    assert rails.weekly_cap(RULES, today - dt.timedelta(days=90), today) == 2
    assert rails.weekly_cap(RULES, today - dt.timedelta(days=91), today) == 1
    assert rails.weekly_cap(RULES, None, today) == 2
    now = dt.datetime(2026, 6, 1, 2, tzinfo=dt.UTC)
    week = [now - dt.timedelta(days=6, hours=23), now - dt.timedelta(days=1)]
    assert not rails.within_cap(week, now, 2)
    assert rails.within_cap([*week[1:], now - dt.timedelta(days=7)], now, 2)


def test_quiet_hours_move_the_task_to_their_end() -> None:
    late = dt.datetime(2026, 6, 1, 22, 30, tzinfo=SH)
    assert rails.allowed(late, RULES, "Asia/Shanghai") == dt.datetime(2026, 6, 2, 9, tzinfo=SH)
    early = dt.datetime(2026, 6, 2, 7, 0, tzinfo=SH)
    assert rails.allowed(early, RULES, "Asia/Shanghai") == dt.datetime(2026, 6, 2, 9, tzinfo=SH)
    day = dt.datetime(2026, 6, 2, 15, 0, tzinfo=SH)
    assert rails.allowed(day, RULES, "Asia/Shanghai") == day
    lunch = JourneySettings(quiet_start="12:00", quiet_end="13:30")
    assert rails.allowed(dt.datetime(2026, 6, 2, 12, 10, tzinfo=SH), lunch, "Asia/Shanghai") == \
        dt.datetime(2026, 6, 2, 13, 30, tzinfo=SH)


def test_the_holdout_is_stable_and_independent_between_journeys() -> None:
    persons = [f"P{i:010d}" for i in range(20_000)]
    seed = {p for p in persons if rails.arm("seed", p, 0.1) == rails.HOLDOUT}
    assert abs(len(seed) / len(persons) - 0.1) < 0.01
    assert seed == {p for p in persons if rails.arm("seed", p, 0.1) == rails.HOLDOUT}
    other = {p for p in persons if rails.arm("birthday_care", p, 0.1) == rails.HOLDOUT}
    assert abs(len(seed & other) / len(persons) - 0.01) < 0.005  # independent draws overlap by 10% × 10%
    assert {p for p in persons if rails.arm("seed", p, 0.2) == rails.HOLDOUT} >= seed  # a larger share keeps them
