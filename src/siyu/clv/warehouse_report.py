"""`siyu clv report`: the calibration-vs-holdout evaluation of the warehouse's own orders, as for a file.

The warehouse step scores on all the history; this answers "how good would those predictions have been?" by
ending calibration earlier and comparing each model's forecast with what persons then did. Defaults: the
holdout is the last third of the history (at least 30 days), ending at the last counted order, as the step's
automatic model choice does. Persons and the order rule are the step's (`warehouse.orders_source_sql`).
"""

from __future__ import annotations

import datetime as dt

from siyu.clv.comparison import ClvFit, fit_summary
from siyu.clv.covariate import compare
from siyu.clv.selection import model_names
from siyu.clv.settings import clv_settings
from siyu.clv.step import MIN_HOLDOUT_DAYS, orders_source_sql
from siyu.clv.summary import Period, Unit, daily_repeats, summarise_without_ids
from siyu.config import Settings
from siyu.engine import Engine


def report_period(
    first: dt.date, last: dt.date, calibration_end: dt.date | None, holdout_end: dt.date | None, unit: Unit
) -> Period:
    """The evaluation window: given dates, else the last third of the history held out."""
    end = holdout_end or last
    if calibration_end is None:
        held = (end - first).days // 3
        if held < MIN_HOLDOUT_DAYS:
            raise ValueError(f"the orders span only {(end - first).days} days ({first} to {end}): too short to "
                             f"hold out {MIN_HOLDOUT_DAYS} days; pass --calibration-end and --holdout-end")
        calibration_end = end - dt.timedelta(days=held)
    if calibration_end < first:
        raise ValueError(f"the calibration end {calibration_end} is before the first counted order ({first})")
    return Period(calibration_end, end, unit)


def report_warehouse(
    engine: Engine, settings: Settings, calibration_end: dt.date | None = None, holdout_end: dt.date | None = None,
    model: str | None = None, covariate: bool = False,
) -> ClvFit:
    """Fit every model ([clv] model, or `model`) on the calibration window and evaluate it on the holdout;
    with `covariate`, also compare pooled fits with fits stratified by private-domain membership."""
    cfg = clv_settings(settings)
    if not engine.table_exists("orders"):
        raise ValueError(f"{engine.describe()} has no orders table: import orders and run the normalise step first")
    source = orders_source_sql(engine)
    bounds = engine.query(f"SELECT min(order_date) AS lo, max(order_date) AS hi FROM ({source}) AS s")
    lo, hi = (bounds.column(c)[0].as_py() for c in ("lo", "hi"))
    if lo is None:
        raise ValueError(f"{engine.describe()} has no paid orders to evaluate on")
    period = report_period(lo, hi, calibration_end, holdout_end, cfg.unit)
    summary = summarise_without_ids(engine, source, period)
    days, repeats = daily_repeats(engine, source, period)
    names = model_names(model or cfg.model)
    result = fit_summary(engine.describe(), summary, names, days, repeats, with_spend=True)
    if covariate:
        result.covariate = compare(engine, source, period, names)
    return result
