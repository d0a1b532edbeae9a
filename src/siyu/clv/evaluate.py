"""Calibration vs holdout: how well a fitted model predicted what customers then did.

Three views, each answering a question a reader asks: per customer (MAE, RMSE, correlation: "are individual
predictions usable for ranking?"), by calibration frequency (the conditional-expectation table: "is any group
systematically over- or under-predicted?"), and over time (weekly cumulative repeat purchases: "does the model
follow the sales curve, in and beyond the calibration period?").
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np

from siyu.clv.base import TransactionModel
from siyu.clv.data import Array
from siyu.clv.summary import Summary
from siyu.errors import UserError

FREQUENCY_BUCKETS = 7  # 0 … 6 repeat purchases, then "7+"


@dataclass
class FrequencyRow:
    x: str
    customers: int
    actual: float
    predicted: float


@dataclass
class Tracking:
    """Cumulative repeat purchases at the end of each week since the first customer's first purchase."""

    start: dt.date
    calibration_week: float
    actual: list[float]
    predicted: list[float]


@dataclass
class Evaluation:
    model: str
    label: str
    customers: int
    mae: float
    rmse: float
    correlation: float
    actual_total: float
    predicted_total: float
    log_likelihood: float
    by_frequency: list[FrequencyRow] = field(default_factory=list)
    tracking: Tracking | None = None

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            k: (round(v, 6) if isinstance(v, float) else v)
            for k, v in self.__dict__.items() if k not in ("by_frequency", "tracking")
        }
        out["by_frequency"] = [r.__dict__ for r in self.by_frequency]
        if self.tracking:
            out["tracking"] = {"start": self.tracking.start.isoformat(), "actual": self.tracking.actual,
                               "predicted": [round(v, 3) for v in self.tracking.predicted]}
        return out


def _correlation(a: Array, b: Array) -> float:
    if a.size < 2 or np.std(a) == 0 or np.std(b) == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def by_frequency(x: Array, actual: Array, predicted: Array) -> list[FrequencyRow]:
    """Mean holdout purchases, actual and predicted, for customers grouped by calibration frequency."""
    rows = []
    for k in range(FREQUENCY_BUCKETS + 1):
        mask = x >= k if k == FREQUENCY_BUCKETS else x == k
        if mask.any():
            label = f"{k}+" if k == FREQUENCY_BUCKETS else str(k)
            rows.append(FrequencyRow(label, int(mask.sum()), float(actual[mask].mean()), float(predicted[mask].mean())))
    return rows


def tracking(model: TransactionModel, summary: Summary, days: list[dt.date], repeats: Array) -> Tracking:
    """Actual vs expected cumulative repeat purchases per week, over calibration and holdout together."""
    period = summary.period
    k = period.days_per_unit
    first_offsets = np.rint(summary.T * k).astype(int)  # days from first purchase to the calibration end
    start = period.calibration_end - dt.timedelta(days=int(first_offsets.max()))
    end = period.holdout_end or period.calibration_end
    weeks = math.ceil(((end - start).days + 1) / 7)
    week_ends = 7 * np.arange(1, weeks + 1)  # day offsets (exclusive) closing each week
    offsets = np.array([(d - start).days for d in days], dtype=int)
    actual = [float(repeats[offsets < w].sum()) for w in week_ends]
    firsts, counts = np.unique((period.calibration_end - start).days - first_offsets, return_counts=True)
    elapsed = np.maximum(week_ends[:, None] - firsts[None, :], 0) / k
    expected = model.expected(elapsed.ravel()).reshape(elapsed.shape) @ counts
    cal_week = ((period.calibration_end - start).days + 1) / 7
    return Tracking(start, cal_week, actual, [float(v) for v in expected])


def evaluate(
    model: TransactionModel, summary: Summary, days: list[dt.date] | None = None, repeats: Array | None = None
) -> Evaluation:
    """Holdout accuracy of a fitted model (the summary must have a holdout)."""
    period = summary.period
    if period.holdout_end is None:
        raise UserError("evaluation needs a holdout period: pass a holdout end date")
    predicted = model.conditional_expected(period.holdout_length, summary.x, summary.t_x, summary.T)
    actual = summary.x_holdout
    err = predicted - actual
    return Evaluation(
        model=model.name,
        label=model.label,
        customers=summary.size,
        mae=float(np.mean(np.abs(err))),
        rmse=float(np.sqrt(np.mean(err**2))),
        correlation=_correlation(predicted, actual),
        actual_total=float(actual.sum()),
        predicted_total=float(predicted.sum()),
        log_likelihood=model.result.log_likelihood if model.result else float("nan"),
        by_frequency=by_frequency(summary.x, actual, predicted),
        tracking=tracking(model, summary, days, repeats) if days is not None and repeats is not None else None,
    )


def best(evaluations: list[Evaluation]) -> Evaluation:
    """The model with the lowest per-customer holdout MAE."""
    return min(evaluations, key=lambda e: e.mae)
