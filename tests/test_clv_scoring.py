"""Scoring through Engine.map_batches: batch by batch gives what scoring the whole summary at once gives, and
fitting on rows grouped by the engine gives what fitting on every customer gives."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from siyu.clv.data import compress
from siyu.clv.gammagamma import GammaGamma
from siyu.clv.pnbd import ParetoNBD
from siyu.clv.predictions import expected_value, score
from siyu.clv.scoring import CLV_SCORE, ScoreSpec, make_scorer
from siyu.clv.simulate import simulate_bgnbd
from siyu.clv.summary import Period, Summary

PNBD = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
GG = {"p": 6.25, "q": 3.74, "gamma": 15.44}


def _summary(n: int = 5000) -> Summary:
    rng = np.random.default_rng(7)
    x, t_x, T = simulate_bgnbd(n, 0.243, 4.414, 0.793, 2.426, T=(273 - rng.integers(0, 84, n)) / 7, seed=7,
                               days_per_unit=7)
    m = np.where(x > 0, rng.gamma(6.0, 5.0, n), np.nan)
    return Summary([f"p{i}" for i in range(n)], x, t_x, T, m, np.zeros(n), Period(dt.date(2025, 6, 30)))


def test_batch_scorer_equals_scoring_the_whole_summary() -> None:
    s = _summary()
    model, spend = ParetoNBD(PNBD), GammaGamma(GG)
    whole = score(model, s, expected_value(spend, s, spend.population_mean()), 365, 0.1, 0.8)
    spec = ScoreSpec("pnbd", PNBD, GG, spend.population_mean(), 7.0, 365, 0.1, 0.8, dt.datetime(2025, 7, 1))
    batch = pa.table({"person_id": s.customer_id, "x": s.x, "t_x": s.t_x, "T": s.T, "mean_value": s.mean_value})
    scorer = make_scorer(spec)
    parts = [scorer(b) for b in batch.to_batches(max_chunksize=777)]  # any split the engine chooses
    got = pa.Table.from_batches(parts, schema=CLV_SCORE)
    assert got.column("person_id").to_pylist() == s.customer_id and got.num_rows == s.size
    for col, want in (("p_alive", whole.p_alive), ("expected_orders_90d", whole.expected_orders_90d),
                      ("expected_aov", whole.expected_aov), ("clv", whole.clv)):
        np.testing.assert_allclose(got.column(col).to_numpy(), want, rtol=1e-12)
    assert set(got.column("model").to_pylist()) == {"pnbd"}
    empty = pa.RecordBatch.from_pylist([], schema=batch.schema)  # a Spark partition may be empty
    assert scorer(empty).num_rows == 0 and scorer(empty).schema == CLV_SCORE


def test_fitting_on_engine_grouped_rows_equals_fitting_on_customers() -> None:
    s = _summary()
    keys, counts = np.unique(np.stack([s.x, s.t_x, s.T]), axis=1, return_counts=True)
    grouped = compress(keys[0], keys[1], keys[2], counts=counts.astype(float))
    each = compress(s.x, s.t_x, s.T)
    assert grouped.n_customers == each.n_customers == s.size
    a, b = ParetoNBD(), ParetoNBD()
    a.fit_data(grouped)
    b.fit_data(each)
    for k in PNBD:
        assert a.params is not None and b.params is not None
        assert abs(a.params[k] - b.params[k]) <= 1e-9 * abs(b.params[k])
