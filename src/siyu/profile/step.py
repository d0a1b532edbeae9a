"""The `profile` and `tags` steps of `siyu run`: facts → person_profile → person_tag (+ history)."""

from __future__ import annotations

import datetime as dt

from siyu.config import Settings
from siyu.engine import Engine
from siyu.engine.quote import literal
from siyu.profile.columns import PREFERENCES, ProfileParams, intervals_sql, profile_sql
from siyu.profile.facts import INPUTS, fact_tables
from siyu.profile.pivot import MAX_VALUES
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


def _few(values: list[str]) -> tuple[str, ...] | None:
    """Sorted like SQL sorts text (by code point), or None when too many for one column each."""
    return tuple(sorted(values)) if len(values) <= MAX_VALUES else None


def small_domains(engine: Engine) -> tuple[tuple[str, ...] | None, dict[str, tuple[str, ...]] | None]:
    """The channels bought on and each item attribute's values, when few enough to pivot (see pivot.py)."""
    channels = engine.query("SELECT DISTINCT channel FROM person_orders WHERE is_purchase AND channel IS NOT NULL")
    found = " UNION ALL ".join(
        f"SELECT {literal(a)} AS attr, {a} AS value FROM person_items WHERE {a} IS NOT NULL GROUP BY {a}"
        for a in PREFERENCES)
    values: dict[str, list[str]] = {a: [] for a in PREFERENCES}
    for row in engine.query(found).to_pylist():
        values[str(row["attr"])].append(str(row["value"]))
    few = {a: _few(v) for a, v in values.items()}
    attrs = {a: v for a, v in few.items() if v is not None}
    return (_few([str(c) for c in channels.column("channel").to_pylist()]),
            attrs if len(attrs) == len(PREFERENCES) else None)


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
    channels, attribute_values = small_domains(engine)
    params = ProfileParams(
        as_of=as_of,
        prior_interval_days=_prior_interval(engine, cfg),
        active_days=cfg.active_days,
        coupon_expiring_days=cfg.coupon_expiring_days,
        private_channels=tuple(settings.channels.private),
        with_clv=engine.table_exists("clv_score"),
        channels=channels,
        attribute_values=attribute_values,
    )
    persons = engine.create_table_as("person_profile", profile_sql(params))
    rows_in = engine.row_count("person_orders")
    clv = "with CLV scores" if params.with_clv else "no CLV scores yet"
    return rows_in, persons, f"as of {as_of}; prior interval {params.prior_interval_days:g} days; {clv}"
