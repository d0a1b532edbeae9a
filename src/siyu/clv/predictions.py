"""Per-person predictions: P(alive), expected orders, expected order value and CLV, vectorised.

Persons are folded into distinct (x, t_x, T) rows first, so scoring a million persons evaluates the model on
far fewer rows and spreads the answers back. CLV over a horizon sums the expected purchases of each 30-day
step, discounted to today at the yearly rate, times the expected order value and the margin:

    CLV = margin · E[order value] · Σ_k (E[Y(t_k)] − E[Y(t_{k−1})]) / (1 + rate)^(t_k / 365 days)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from siyu.clv.base import TransactionModel
from siyu.clv.data import Array, FitData, compress
from siyu.clv.gammagamma import GammaGamma
from siyu.clv.summary import Summary

STEP_DAYS = 30
ORDERS_WINDOW_DAYS = 90


@dataclass
class Scores:
    p_alive: Array
    expected_orders_90d: Array
    expected_aov: Array
    clv: Array


def expected_value(spend: GammaGamma | None, summary: Summary, fallback: float) -> Array:
    """Gamma-Gamma's expected order value per person; `fallback` where no spend model could be fitted."""
    if spend is None or spend.params is None:
        return np.full(summary.size, fallback)
    value = spend.expected_value(summary.x, summary.mean_value)
    return np.where(np.isfinite(value), value, fallback)


def score_rows(
    model: TransactionModel, d: FitData, days_per_unit: float, horizon_days: int = 365, discount_rate: float = 0.10,
) -> tuple[Array, Array, Array]:
    """(P(alive), expected orders in 90 days, discounted expected orders over the horizon) per distinct row."""
    k = days_per_unit
    alive = model.p_alive_rows(d)
    orders_90 = model.expected_alive_rows(d, ORDERS_WINDOW_DAYS / k) * alive
    steps = math.ceil(horizon_days / STEP_DAYS)
    previous = np.zeros(d.x.size)
    discounted = np.zeros(d.x.size)
    for j in range(1, steps + 1):
        days = min(j * STEP_DAYS, horizon_days)
        cumulative = model.expected_alive_rows(d, days / k) * alive
        discounted += (cumulative - previous) / (1.0 + discount_rate) ** (days / 365.0)
        previous = cumulative
    for name, values in (("P(alive)", alive), ("expected orders", orders_90), ("discounted orders", discounted)):
        if not np.isfinite(values).all():
            raise ValueError(f"{model.label} with {model.params} gives non-finite {name} for "
                             f"{int((~np.isfinite(values)).sum())} summary rows: refusing to write them")
    return alive, orders_90, discounted


def score(
    model: TransactionModel,
    summary: Summary,
    aov: Array,
    horizon_days: int = 365,
    discount_rate: float = 0.10,
    margin: float = 1.0,
) -> Scores:
    """Predictions for every person of the summary, in summary order."""
    d = compress(summary.x, summary.t_x, summary.T)
    alive, orders_90, discounted = score_rows(model, d, summary.period.days_per_unit, horizon_days, discount_rate)
    inv = d.inverse
    return Scores(
        p_alive=alive[inv],
        expected_orders_90d=orders_90[inv],
        expected_aov=aov,
        clv=margin * aov * discounted[inv],
    )
