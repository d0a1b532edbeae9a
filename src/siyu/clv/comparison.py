"""`siyu clv fit FILE`: the whole workflow on a transactions file, through the same summary SQL as the warehouse.

The file is checked (`transactions.py`), loaded into an in-memory DuckDB engine, summarised by `summary.py`,
and each requested model is fitted; with a holdout every model is evaluated and the best one chosen
(`fit_summary`, which the warehouse report in `warehouse_report.py` shares).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from siyu.clv.base import TransactionModel
from siyu.clv.covariate import CovariateGain, covariate_html
from siyu.clv.data import Array, compress
from siyu.clv.evaluate import Evaluation, best, evaluate
from siyu.clv.gammagamma import GammaGamma
from siyu.clv.html import render
from siyu.clv.selection import converged_or_raise, fit_models, model_names, pick
from siyu.clv.summary import Period, Summary, daily_repeats, summarise
from siyu.clv.transactions import Columns, check_period, load_transactions
from siyu.engine.duckdb_engine import DuckDBEngine

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
        raise ValueError(f"{path}: no customer made a first purchase on or before {period.calibration_end}")
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
