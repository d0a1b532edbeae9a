"""Everything the report shows, as plain data (the JSON of `siyu report --json` and, later, the API)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from siyu.engine import Engine
from siyu.metrics.base import Base
from siyu.metrics.catalogue import BY_NAME
from siyu.metrics.cohort import cohorts
from siyu.metrics.compute import compute
from siyu.metrics.funnel import decompose, funnel_period, script_dropoff, staff_conversion, weakest_staff
from siyu.metrics.health import health
from siyu.metrics.periods import Window, unfinished
from siyu.metrics.settings import MetricsSettings

TREND_METRICS = ["private_domain_size", "acquisition_rate", "first_order_conversion", "repurchase_rate",
                 "average_order_value", "churn_rate", "activity_rate", "stored_value_rate",
                 "private_domain_contribution", "public_feed_back", "staff_reply_minutes_median",
                 "group_active_members", "group_exit_rate", "core_return_rate"]


@dataclass(frozen=True)
class Comparison:
    """Two periods to compare in the funnel; by default the last 30 matured days against the 30 before."""

    before: tuple[dt.date, dt.date]
    after: tuple[dt.date, dt.date]


def default_comparison(base: Base, cfg: MetricsSettings) -> Comparison:
    end = base.as_of - dt.timedelta(days=cfg.conversion_days)  # friends after this have not had their window yet
    after = (end - dt.timedelta(days=29), end)
    before = (after[0] - dt.timedelta(days=30), after[0] - dt.timedelta(days=1))
    return Comparison(before, after)


def _iso(v: Any) -> Any:
    return v.isoformat() if isinstance(v, dt.date) else v


def collect(engine: Engine, cfg: MetricsSettings, base: Base, grain: str = "month",
            comparison: Comparison | None = None, staff_id: str | None = None,
            trends: list[dict[str, Any]] | None = None,
            cohort_rows: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The numbers of the report: trends, funnel and its decomposition, staff, script, cohorts, health.

    `trends` (TREND_METRICS by `grain` for the whole brand) and `cohort_rows` may be passed in when the caller
    has computed them already (the pipeline step), so they are not computed twice.
    """
    if trends is None:
        trends = compute(engine, cfg, TREND_METRICS, Window(grain, base.first_day, base.as_of)).to_pylist()
    if cohort_rows is None:
        cohort_rows = cohorts(engine, cfg.cohort_months, base.as_of)
    cmp_ = comparison or default_comparison(base, cfg)
    before = funnel_period(engine, *cmp_.before)
    after = funnel_period(engine, *cmp_.after)
    try:
        decomposition: dict[str, Any] | None = decompose(before, after).as_dict()
        note = None
    except ValueError as exc:
        decomposition, note = None, str(exc)
    staff = staff_conversion(engine, cmp_.after[0], cmp_.after[1])
    chosen = staff_id or weakest_staff(staff)
    script = script_dropoff(engine, chosen, cmp_.after[0], cmp_.after[1])
    team_script = script_dropoff(engine, None, cmp_.after[0], cmp_.after[1])
    h = health(engine, cfg, base.as_of, base.first_day)
    return {
        "as_of": base.as_of.isoformat(), "first_day": base.first_day.isoformat(), "grain": grain,
        "unfinished_period": _iso(unfinished(grain, base.as_of)),
        "person_map": base.person_map,
        "metrics": {m: {"en": BY_NAME[m].en, "zh": BY_NAME[m].zh, "unit": BY_NAME[m].unit} for m in TREND_METRICS},
        "trends": [{k: _iso(v) for k, v in r.items()} for r in trends],
        "funnel": {"before": _period(before), "after": _period(after), "decomposition": decomposition, "note": note},
        "staff": staff, "script_staff": chosen, "script": script, "team_script": team_script,
        "cohorts": [{k: _iso(v) for k, v in r.items()} for r in cohort_rows],
        "health": h.as_dict(),
    }


def _period(p: Any) -> dict[str, Any]:
    return {"start": p.start.isoformat(), "end": p.end.isoformat(), "parcels": p.parcels, "friends": p.friends,
            "converted": p.converted, "sales": p.sales, "factors": p.factors()}
