"""Scoring as a function of one Arrow record batch, so the engine can run it where the data lives.

`Engine.map_batches` applies it to every batch of the warehouse summary: on DuckDB in-process, on Spark on the
executors through mapInArrow, with the results written as `clv_score` straight from there (never collected on
the driver). The scorer is a closure over plain data (model name, parameters, settings), hence picklable; each
call folds its batch into distinct (x, t_x, T) rows and scores those, as `predictions.py` does for a whole summary.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from siyu.clv.data import Array, compress
from siyu.clv.gammagamma import GammaGamma
from siyu.clv.predictions import score_rows
from siyu.clv.selection import MODELS

CLV_SCORE = pa.schema([
    ("person_id", pa.string()), ("x", pa.int64()), ("t_x", pa.float64()), ("T", pa.float64()),
    ("p_alive", pa.float64()), ("expected_orders_90d", pa.float64()), ("expected_aov", pa.float64()),
    ("clv", pa.float64()), ("model", pa.string()), ("scored_at", pa.timestamp("us")),
])


@dataclass(frozen=True)
class ScoreSpec:
    """Everything scoring needs, as plain values (what gets shipped to Spark's workers)."""

    model: str
    params: dict[str, float]
    spend_params: dict[str, float] | None
    fallback_aov: float
    days_per_unit: float
    horizon_days: int
    discount_rate: float
    margin: float
    scored_at: dt.datetime


def _column(batch: pa.RecordBatch, name: str) -> Array:
    return np.asarray(batch.column(name).to_numpy(zero_copy_only=False), dtype=np.float64)


def make_scorer(spec: ScoreSpec) -> Callable[[pa.RecordBatch], pa.RecordBatch]:
    """A picklable function from a batch of (person_id, x, t_x, T, mean_value) to `clv_score` rows."""

    def scorer(batch: pa.RecordBatch) -> pa.RecordBatch:
        n = batch.num_rows
        x, t_x, T, mean_value = (_column(batch, c) for c in ("x", "t_x", "T", "mean_value"))
        if n:
            d = compress(x, t_x, T)
            model = MODELS[spec.model](spec.params)
            alive, orders_90, discounted = score_rows(model, d, spec.days_per_unit, spec.horizon_days,
                                                      spec.discount_rate)
            alive, orders_90, discounted = alive[d.inverse], orders_90[d.inverse], discounted[d.inverse]
        else:
            alive = orders_90 = discounted = np.zeros(0)
        if spec.spend_params is None:
            aov = np.full(n, spec.fallback_aov)
        else:
            value = GammaGamma(spec.spend_params).expected_value(x, mean_value)
            aov = np.where(np.isfinite(value), value, spec.fallback_aov)
        return pa.RecordBatch.from_arrays([
            batch.column("person_id").cast(pa.string()), pa.array(x.astype(np.int64)), pa.array(t_x), pa.array(T),
            pa.array(alive), pa.array(orders_90), pa.array(aov), pa.array(spec.margin * aov * discounted),
            pa.repeat(pa.scalar(spec.model, pa.string()), n),
            pa.repeat(pa.scalar(spec.scored_at, pa.timestamp("us")), n),
        ], schema=CLV_SCORE)

    return scorer
