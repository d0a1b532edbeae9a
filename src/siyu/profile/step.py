"""The `profile` and `tags` steps of `siyu run`: facts → person_profile → person_tag (+ history)."""

from __future__ import annotations

import datetime as dt

from siyu.config import Settings
from siyu.engine import Engine
from siyu.profile.columns import ProfileParams, intervals_sql, profile_sql
from siyu.profile.facts import INPUTS, fact_tables
from siyu.profile.settings import ProfileSettings, profile_settings


def resolve_as_of(engine: Engine, cfg: ProfileSettings) -> dt.date | None:
    """The configured as-of date, else the last order date in the warehouse: the demo's "today" then makes
    sense whenever the data was generated, and tests never depend on the wall clock."""
    if cfg.as_of is not None:
        return cfg.as_of
    last = engine.scalar("SELECT max(order_date) FROM orders")
    return last if isinstance(last, dt.date) else None


def missing_inputs(engine: Engine) -> list[str]:
    have = set(engine.tables())
    return [t for t in INPUTS if t not in have]


def _prior_interval(engine: Engine, cfg: ProfileSettings) -> float:
    """One-order persons get a prior: the configured one, else the median of everyone's own interval."""
    if cfg.interval_prior_days is not None:
        return float(cfg.interval_prior_days)
    median = engine.scalar("SELECT median(own_interval) FROM person_intervals")
    return round(float(median), 1) if median is not None else float(cfg.default_interval_days)


def run_profile(engine: Engine, settings: Settings) -> tuple[int, int, str]:
    """Rebuild the person fact tables and person_profile; returns (orders read, persons written, message)."""
    missing = missing_inputs(engine)
    if missing:
        return 0, 0, f"no {', '.join(missing)} yet: run the normalise step first"
    cfg = profile_settings(settings)
    as_of = resolve_as_of(engine, cfg)
    if as_of is None:
        return 0, 0, "no orders yet: set [profile] as_of or import orders"
    for name, sql in fact_tables(engine, as_of):
        engine.create_table_as(name, sql)
    engine.create_table_as("person_intervals", intervals_sql())  # read twice: the prior, then the profile
    params = ProfileParams(
        as_of=as_of,
        prior_interval_days=_prior_interval(engine, cfg),
        active_days=cfg.active_days,
        coupon_expiring_days=cfg.coupon_expiring_days,
        private_channels=tuple(settings.channels.private),
        with_clv=engine.table_exists("clv_score"),
    )
    persons = engine.create_table_as("person_profile", profile_sql(params))
    rows_in = engine.row_count("person_orders")
    clv = "with CLV scores" if params.with_clv else "no CLV scores yet"
    return rows_in, persons, f"as of {as_of}; prior interval {params.prior_interval_days:g} days; {clv}"
