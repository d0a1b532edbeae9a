"""Fit every model on a calibration window and compare them on the holdout: `siyu clv fit FILE` on a transactions
file and `siyu clv report` on the warehouse's own orders, through the same summary SQL and `fit_summary`.

A file is checked (`transactions.py`), loaded into an in-memory DuckDB engine, summarised by `summary.py`, and each
requested model is fitted; with a holdout every model is evaluated and the best one chosen.

The warehouse step scores on all the history; `report_warehouse` answers "how good would those predictions have
been?" by ending calibration earlier and comparing each model's forecast with what persons then did. Defaults: the
holdout is the last third of the history (at least 30 days), ending at the last counted order, as the step's
automatic model choice does. Persons and the order rule are the step's (`step.orders_source_sql`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from siyu.clv.base import TransactionModel
from siyu.clv.covariate import CovariateGain, compare, covariate_html
from siyu.clv.data import Array, compress
from siyu.clv.evaluate import Evaluation, best, evaluate
from siyu.clv.gammagamma import GammaGamma
from siyu.clv.html import render
from siyu.clv.selection import converged_or_raise, fit_models, model_names, pick
from siyu.clv.settings import clv_settings
from siyu.clv.step import MIN_HOLDOUT_DAYS, orders_source_sql
from siyu.clv.summary import Period, Summary, Unit, daily_repeats, summarise, summarise_without_ids
from siyu.clv.transactions import Columns, check_period, load_transactions
from siyu.config import Settings
from siyu.engine import Engine
from siyu.engine.duckdb_engine import DuckDBEngine
from siyu.errors import UserError

SOURCE = "SELECT customer_id, order_date, amount FROM clv_transactions"


@dataclass
class ClvFit:
    """Fitted models on one summary, their holdout evaluations and the chosen one; `source` names the data."""

    source: str
    summary: Summary
    models: list[TransactionModel]
    chosen: TransactionModel
    evaluations: list[Evaluation] = field(default_factory=list)
    spend: GammaGamma | None = None
    notes: list[str] = field(default_factory=list)
    covariate: list[CovariateGain] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        p = self.summary.period
        return {
            "source": self.source,
            "customers": self.summary.size,
            "zero_repeat_customers": int((self.summary.x == 0).sum()),
            "calibration_end": p.calibration_end.isoformat(),
            "holdout_end": p.holdout_end.isoformat() if p.holdout_end else None,
            "unit": p.unit,
            "chosen": self.chosen.name,
            "fits": [m.result.as_dict() for m in self.models if m.result],
            "spend": self.spend.result.as_dict() if self.spend and self.spend.result else None,
            "evaluations": [e.as_dict() for e in self.evaluations],
            "notes": self.notes,
            **({"covariate": [g.as_dict() for g in self.covariate]} if self.covariate else {}),
        }

    def report_html(self) -> str:
        fits = [m.result for m in self.models if m.result]
        spend = self.spend.result if self.spend else None
        extra = covariate_html(self.covariate) if self.covariate else ""
        return render(self.summary, fits, self.evaluations, self.chosen.name, spend, f"{self.source}:", extra)


def fit_file(path: Path, columns: Columns, period: Period, model: str = "auto") -> ClvFit:
    """Check, summarise, fit and (with a holdout) evaluate; raises ValueError subclasses with clear messages."""
    names = model_names(model)
    rows = load_transactions(path, columns)
    check_period(rows, path, period.calibration_end, period.holdout_end)
    with DuckDBEngine(":memory:") as engine:
        engine.write_arrow("clv_transactions", rows, mode="replace")
        summary = summarise(engine, SOURCE, period)
        days, repeats = daily_repeats(engine, SOURCE, period) if period.holdout_end else ([], np.zeros(0))
    if summary.size == 0:
        raise UserError(f"{path}: no customer made a first purchase on or before {period.calibration_end}")
    return fit_summary(path.name, summary, names, days, repeats, with_spend=columns.amount is not None)


def fit_summary(
    source: str, summary: Summary, names: list[str], days: list[dt.date], repeats: Array, with_spend: bool,
) -> ClvFit:
    """Fit the named models (and Gamma-Gamma); with a holdout, evaluate each and choose the lowest MAE."""
    notes = []
    models = fit_models(names, compress(summary.x, summary.t_x, summary.T))
    good = converged_or_raise(models)
    evaluations: list[Evaluation] = []
    if summary.period.holdout_end is not None:  # choose on the holdout: lowest per-customer MAE
        evaluations = [evaluate(m, summary, days, repeats) for m in good]
        chosen = next(m for m in good if m.name == best(evaluations).model)
    else:
        chosen, _ = pick(good)
    for m in models:
        if m not in good and m.result:
            notes.append(f"{m.label} did not converge: {m.result.message}")
    spend = None
    if with_spend:
        one_timers = int((summary.x == 0).sum())
        spend = GammaGamma()
        try:
            res = spend.fit(summary.x, summary.mean_value)
            notes.append(f"Gamma-Gamma fitted on repeat customers; {one_timers} customers with only one purchase "
                         "day have no repeat spend and were left out of it")
            if not res.converged:
                notes.append(f"Gamma-Gamma did not converge: {res.message}")
        except ValueError as exc:
            notes.append(f"no spend model: {exc}")
            spend = None
    return ClvFit(source, summary, models, chosen, evaluations, spend, notes)


def report_period(
    first: dt.date, last: dt.date, calibration_end: dt.date | None, holdout_end: dt.date | None, unit: Unit
) -> Period:
    """The evaluation window: given dates, else the last third of the history held out."""
    end = holdout_end or last
    if calibration_end is None:
        held = (end - first).days // 3
        if held < MIN_HOLDOUT_DAYS:
            raise UserError(f"the orders span only {(end - first).days} days ({first} to {end}): too short to "
                             f"hold out {MIN_HOLDOUT_DAYS} days; pass --calibration-end and --holdout-end")
        calibration_end = end - dt.timedelta(days=held)
    if calibration_end < first:
        raise UserError(f"the calibration end {calibration_end} is before the first counted order ({first})")
    return Period(calibration_end, end, unit)


def report_warehouse(
    engine: Engine, settings: Settings, calibration_end: dt.date | None = None, holdout_end: dt.date | None = None,
    model: str | None = None, covariate: bool = False,
) -> ClvFit:
    """Fit every model ([clv] model, or `model`) on the calibration window and evaluate it on the holdout;
    with `covariate`, also compare pooled fits with fits stratified by private-domain membership."""
    cfg = clv_settings(settings)
    if not engine.table_exists("orders"):
        raise UserError(f"{engine.describe()} has no orders table: import orders and run the normalise step first")
    source = orders_source_sql(engine)
    bounds = engine.query(f"SELECT min(order_date) AS lo, max(order_date) AS hi FROM ({source}) AS s")
    lo, hi = (bounds.column(c)[0].as_py() for c in ("lo", "hi"))
    if lo is None:
        raise UserError(f"{engine.describe()} has no paid orders to evaluate on")
    period = report_period(lo, hi, calibration_end, holdout_end, cfg.unit)
    summary = summarise_without_ids(engine, source, period)
    days, repeats = daily_repeats(engine, source, period)
    names = model_names(model or cfg.model)
    result = fit_summary(engine.describe(), summary, names, days, repeats, with_spend=True)
    if covariate:
        result.covariate = compare(engine, source, period, names)
    return result
