"""The `journeys` step of `siyu run`, and `siyu journeys run`: evaluate every journey for the data's day.

Runs only when siyu.toml has a `[journeys]` table. The day is the profile's as-of day (the data's "today"), the
clock the real one; both can be given (tests freeze them)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from siyu.config.settings import Settings
from siyu.engine import Engine
from siyu.journeys.catalogue import all_journeys
from siyu.journeys.evaluate import evaluate
from siyu.journeys.settings import journey_settings, journeys_file
from siyu.loyalty.step import open_ledger


def data_day(engine: Engine, settings: Settings) -> dt.date:
    if engine.table_exists("person_profile"):
        day = engine.scalar("SELECT max(as_of) FROM person_profile")
        if isinstance(day, dt.date):
            return day
    return settings.brand.today()


def run_journeys(engine: Engine, settings: Settings, as_of: dt.date | None = None,
                 now: dt.datetime | None = None, store: sa.Engine | None = None) -> tuple[int, int, str]:
    """Returns (entries, tasks created, detail). `store`: the operational store when the engine is a published
    snapshot (whose path is not the warehouse's); by default the store beside the engine's warehouse."""
    if "journeys" not in settings.sections:
        return 0, 0, "no [journeys] table in siyu.toml: no journeys run"
    rules = journey_settings(settings)
    own = store is None
    store = store or open_ledger(engine, settings)
    try:
        journeys = all_journeys(store, journeys_file(settings))
        out = evaluate(engine, store, journeys, rules, settings.brand.timezone, as_of or data_day(engine, settings),
                       now)
    finally:
        if own:
            store.dispose()
    return out.entered, out.tasks, out.detail()
