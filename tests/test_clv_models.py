"""The models against the published CDNOW results, simulated data and closed forms."""

from __future__ import annotations

from pathlib import Path

import clv_reference as ref
import mpmath
import numpy as np
import pytest

from siyu.clv.bgnbd import BGNBD
from siyu.clv.comparison import SOURCE
from siyu.clv.data import DegenerateDataError, compress
from siyu.clv.evaluate import evaluate
from siyu.clv.gammagamma import GammaGamma
from siyu.clv.mbgnbd import MBGNBD
from siyu.clv.pnbd import ParetoNBD
from siyu.clv.simulate import simulate_bgnbd, simulate_pnbd
from siyu.clv.special import log_hyp2f1_a_a1
from siyu.clv.summary import Period, Summary, summarise
from siyu.clv.transactions import Columns, load_transactions
from siyu.engine.duckdb_engine import DuckDBEngine

PERIOD = Period(ref.CDNOW_CALIBRATION_END, ref.CDNOW_HOLDOUT_END, "weeks")


@pytest.fixture(scope="module")
def cdnow(cdnow_path: Path) -> Summary:
    rows = load_transactions(cdnow_path, Columns("col1", "col3", "col5"))
    with DuckDBEngine(":memory:") as engine:
        engine.write_arrow("clv_transactions", rows, mode="replace")
        return summarise(engine, SOURCE, PERIOD)


def _rounded(params: dict[str, float], digits: int = 3) -> dict[str, float]:
    return {k: round(v, digits) for k, v in params.items()}


def test_cdnow_summary_is_the_classic_one(cdnow: Summary) -> None:
    assert cdnow.size == ref.CDNOW_CUSTOMERS
    assert int((cdnow.x == 0).sum()) == ref.CDNOW_ZERO_REPEATERS
    assert cdnow.x.sum() == ref.CDNOW_REPEAT_TRANSACTIONS  # repeat purchase days in weeks 1-39
    assert cdnow.x_holdout.sum() == ref.CDNOW_HOLDOUT_TRANSACTIONS
    assert cdnow.T.max() == pytest.approx(ref.CDNOW_LAST_T_WEEKS)


def test_bgnbd_reproduces_published_cdnow_parameters(cdnow: Summary) -> None:
    res = BGNBD().fit(cdnow.x, cdnow.t_x, cdnow.T)
    assert res.converged, res.message
    assert _rounded(res.params) == ref.BGNBD_CDNOW
    assert res.log_likelihood == pytest.approx(ref.BGNBD_CDNOW_LL, abs=0.1)
    assert all(np.isfinite(v) and v > 0 for v in res.std_errors.values())
    # standard errors from the Hessian: each estimate is several of them away from zero on 2,357 customers
    assert all(res.params[k] / res.std_errors[k] > 3 for k in ref.BGNBD_CDNOW)


def test_pareto_nbd_reproduces_published_cdnow_parameters(cdnow: Summary) -> None:
    res = ParetoNBD().fit(cdnow.x, cdnow.t_x, cdnow.T)
    assert res.converged, res.message
    assert _rounded(res.params, 2) == ref.PNBD_CDNOW  # as published, to 2 decimals
    assert _rounded(res.params) == {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}  # ours, to 3
    assert res.log_likelihood == pytest.approx(ref.PNBD_CDNOW_LL, abs=0.1)


def test_mbgnbd_fits_cdnow(cdnow: Summary) -> None:
    res = MBGNBD().fit(cdnow.x, cdnow.t_x, cdnow.T)
    assert res.converged, res.message
    assert _rounded(res.params, 2) == {"r": 0.52, "alpha": 6.18, "a": 0.89, "b": 1.61}


def test_gamma_gamma_reproduces_published_cdnow_parameters(cdnow: Summary) -> None:
    res = GammaGamma().fit(cdnow.x, cdnow.mean_value)
    assert res.converged, res.message
    assert _rounded(res.params, 2) == ref.GAMMAGAMMA_CDNOW
    assert res.n_customers == ref.GAMMAGAMMA_CDNOW_REPEATERS
    assert abs(res.extra["frequency_spend_correlation"]) < 0.2


def test_pareto_nbd_holdout_mae_at_least_as_good_as_peers(cdnow: Summary) -> None:
    model = ParetoNBD()
    model.fit(cdnow.x, cdnow.t_x, cdnow.T)
    ev = evaluate(model, cdnow)
    assert round(ev.mae, 4) <= 0.7545
    assert ev.actual_total == ref.CDNOW_HOLDOUT_TRANSACTIONS
    assert ev.by_frequency[0].customers == ref.CDNOW_ZERO_REPEATERS


def test_parameter_recovery_bgnbd() -> None:
    truth = {"r": 0.5, "alpha": 6.0, "a": 0.8, "b": 2.5}
    T = np.floor(np.linspace(210, 420, 50_000)) / 7
    x, t_x, T = simulate_bgnbd(50_000, *truth.values(), T=T, seed=7, days_per_unit=7)
    res = BGNBD().fit(x, t_x, T)
    assert res.converged
    for k, v in truth.items():
        assert abs(res.params[k] - v) < 3 * res.std_errors[k] + 0.02 * v, (k, res.params[k], res.std_errors[k])


def test_parameter_recovery_pareto_nbd() -> None:
    truth = {"r": 0.6, "alpha": 8.0, "s": 0.7, "beta": 12.0}
    T = np.floor(np.linspace(210, 420, 50_000)) / 7  # whole days, as summaries from order dates are
    x, t_x, T = simulate_pnbd(50_000, *truth.values(), T=T, seed=11, days_per_unit=7)
    res = ParetoNBD().fit(x, t_x, T)
    assert res.converged
    for k, v in truth.items():
        assert abs(res.params[k] - v) < 3 * res.std_errors[k] + 0.02 * v, (k, res.params[k], res.std_errors[k])


def test_expected_purchases_match_simulation() -> None:
    """E[X(T)] in closed form equals the mean of many simulated customers."""
    bg = BGNBD({"r": 0.25, "alpha": 4.4, "a": 0.8, "b": 2.4})
    x, _, _ = simulate_bgnbd(400_000, 0.25, 4.4, 0.8, 2.4, T=39.0, seed=3)
    assert bg.expected(np.array([39.0]))[0] == pytest.approx(x.mean(), rel=0.02)
    pn = ParetoNBD({"r": 0.55, "alpha": 10.6, "s": 0.6, "beta": 11.7})
    x, _, _ = simulate_pnbd(400_000, 0.55, 10.6, 0.6, 11.7, T=39.0, seed=4)
    assert pn.expected(np.array([39.0]))[0] == pytest.approx(x.mean(), rel=0.02)


@pytest.mark.parametrize("model", [
    BGNBD({"r": 0.24, "alpha": 4.4, "a": 0.79, "b": 2.43}),
    MBGNBD({"r": 0.52, "alpha": 6.18, "a": 0.89, "b": 1.61}),
    ParetoNBD({"r": 0.55, "alpha": 10.58, "s": 0.61, "beta": 11.67}),
])
def test_a_new_customer_is_expected_to_buy_the_population_average(model: BGNBD) -> None:
    """Conditional on no history yet (x = t_x = T = 0), the forecast is the unconditional E[X(t)]."""
    for t in (1.0, 10.0, 52.0):
        cond = model.conditional_expected(t, np.zeros(1), np.zeros(1), np.zeros(1))[0]
        assert cond == pytest.approx(model.expected(np.array([t]))[0], rel=1e-9)


def test_bgnbd_keeps_zero_repeat_customers_alive_and_matches_closed_form() -> None:
    r, alpha, a, b = ref.BGNBD_CDNOW.values()
    m = BGNBD(ref.BGNBD_CDNOW)
    assert m.p_alive(np.array([0.0]), np.array([0.0]), np.array([30.0]))[0] == 1.0
    x, t_x, T = ref.BGNBD_EXAMPLE["x"], ref.BGNBD_EXAMPLE["t_x"], ref.BGNBD_EXAMPLE["T"]
    closed = 1 / (1 + a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x))
    assert m.p_alive(np.array([x]), np.array([t_x]), np.array([T]))[0] == pytest.approx(closed, rel=1e-12)
    # the published example: a customer with x=2, t_x=30.43, T=38.86 expects 1.226 purchases in 39 weeks
    got = m.conditional_expected(ref.BGNBD_EXAMPLE["t"], np.array([x]), np.array([t_x]), np.array([T]))[0]
    assert got == pytest.approx(ref.BGNBD_EXAMPLE["expected"], abs=0.001)


def _pnbd_p_alive_reference(r: float, alpha: float, s: float, beta: float, x: int, t_x: float, T: float) -> float:
    """Fader & Hardie's formula with the hypergeometric terms as written, in arbitrary precision."""
    mp = mpmath.mp
    mp.dps = 50
    r, alpha, s, beta, t_x, T = map(mpmath.mpf, (r, alpha, s, beta, t_x, T))
    rsx = r + s + x
    if alpha >= beta:
        f = lambda y: mpmath.hyp2f1(rsx, s + 1, rsx + 1, (alpha - beta) / (alpha + y)) / (alpha + y) ** rsx  # noqa: E731
    else:
        f = lambda y: mpmath.hyp2f1(rsx, r + x, rsx + 1, (beta - alpha) / (beta + y)) / (beta + y) ** rsx  # noqa: E731
    a0 = f(t_x) - f(T)
    return float(1 / (1 + s / rsx * (alpha + T) ** (r + x) * (beta + T) ** s * a0))


@pytest.mark.parametrize("params", [(0.55, 10.58, 0.61, 11.67), (0.9, 30.0, 1.3, 2.0), (2.0, 1.0, 0.5, 50.0)])
@pytest.mark.parametrize("x,t_x,T", [(0, 0.0, 30.0), (3, 20.0, 35.0), (60, 36.0, 38.0), (400, 300.0, 365.0)])
def test_pareto_nbd_p_alive_matches_arbitrary_precision(
    params: tuple[float, float, float, float], x: int, t_x: float, T: float
) -> None:
    m = ParetoNBD(dict(zip(ParetoNBD.param_names, params, strict=True)))
    got = m.p_alive(np.array([float(x)]), np.array([t_x]), np.array([T]))[0]
    assert got == pytest.approx(_pnbd_p_alive_reference(*params, x, t_x, T), rel=1e-8, abs=1e-300)


def test_log_hyp2f1_is_finite_where_naive_evaluation_overflows() -> None:
    a = np.array([5000.0, 50.0, 3.0])
    b = np.array([1.5, 49.0, 2.0])
    z = np.array([0.95, 0.5, 0.999])
    got = log_hyp2f1_a_a1(a, b, z)
    ref = [float(mpmath.log(mpmath.hyp2f1(ai, bi, ai + 1, zi))) for ai, bi, zi in zip(a, b, z, strict=True)]
    assert got == pytest.approx(ref, rel=1e-10)


def test_pareto_nbd_fits_very_frequent_buyers_without_overflow() -> None:
    T = np.floor(np.linspace(190, 273, 50_000)) / 7
    truth = {"r": 2.0, "alpha": 1.0, "s": 0.3, "beta": 20.0}
    x, t_x, T = simulate_pnbd(50_000, *truth.values(), T=T, seed=5, days_per_unit=7)  # heavy buyers
    assert x.max() > 300
    res = ParetoNBD().fit(x, t_x, T)
    assert res.converged, res.message
    assert np.isfinite(res.log_likelihood)
    for k, v in truth.items():  # and it finds the population that made them
        assert abs(res.params[k] - v) < 3 * res.std_errors[k] + 0.02 * v, (k, res.params[k], res.std_errors[k])


def test_gamma_gamma_expected_value_is_the_closed_form() -> None:
    gg = GammaGamma({"p": 6.25, "q": 3.74, "gamma": 15.44})
    p, q, g = 6.25, 3.74, 15.44
    got = gg.expected_value(np.array([0.0, 2.0]), np.array([np.nan, 40.0]))
    assert got[0] == pytest.approx(p * g / (q - 1))
    assert got[1] == pytest.approx((g + 2 * 40.0) * p / (p * 2 + q - 1))


def test_all_zero_repeats_is_a_clear_error() -> None:
    with pytest.raises(DegenerateDataError, match="all 50 customers have zero repeat purchases"):
        BGNBD().fit(np.zeros(50), np.zeros(50), np.full(50, 10.0))


def test_impossible_summary_rows_are_refused_with_the_row() -> None:
    with pytest.raises(ValueError, match=r"row 1: x=2.0, t_x=12.0, T=10.0"):
        compress(np.array([1.0, 2.0]), np.array([3.0, 12.0]), np.array([10.0, 10.0]))


def test_fitting_on_distinct_rows_equals_fitting_on_customers() -> None:
    x, t_x, T = simulate_bgnbd(3_000, 0.3, 5.0, 0.8, 2.0, T=np.floor(np.linspace(50, 100, 3000)) / 7,
                               seed=1, days_per_unit=7)
    d = compress(x, t_x, T)
    assert d.x.size < x.size
    model = BGNBD({"r": 0.3, "alpha": 5.0, "a": 0.8, "b": 2.0})
    per_customer = sum(model.log_likelihood(x[i:i + 1], t_x[i:i + 1], T[i:i + 1]) for i in range(0, 3000, 1))
    assert model.log_likelihood(x, t_x, T) == pytest.approx(per_customer, rel=1e-10)


@pytest.mark.parametrize("model", [
    BGNBD({"r": 0.24, "alpha": 4.4, "a": 0.79, "b": 2.43}),
    MBGNBD({"r": 0.52, "alpha": 6.18, "a": 0.89, "b": 1.61}),
    ParetoNBD({"r": 0.55, "alpha": 10.58, "s": 0.61, "beta": 11.67}),
])
def test_forecasts_for_very_frequent_buyers_stay_finite(model: BGNBD) -> None:
    x = np.array([1.0, 50.0, 500.0, 3000.0])
    t_x, T = np.full(4, 52.0), np.full(4, 52.0)  # bought on the last day: surely alive
    forecast = model.conditional_expected(52.0, x, t_x, T)
    assert np.isfinite(forecast).all() and (np.diff(forecast) > 0).all()
    assert 1500 < forecast[-1] < 3000  # near last year's pace, discounted for the chance of leaving
    want = [_conditional_expected_reference(model, xi, 52.0, 52.0, 52.0) for xi in x]
    assert forecast == pytest.approx(want, rel=1e-8)


def _conditional_expected_reference(model: BGNBD, x: float, t_x: float, T: float, t: float) -> float:
    """E[Y(t) | x, t_x, T] as published, in arbitrary precision: BG/NBD (Fader, Hardie & Lee 2005, eq. 10),
    MBG/NBD (Batislam, Denizel & Filiztekin 2007), Pareto/NBD (Schmittlein, Morrison & Colombo 1987;
    Fader & Hardie's Pareto/NBD note: P(alive) times the expectation given alive)."""
    mpmath.mp.dps = 50
    p = {k: mpmath.mpf(v) for k, v in (model.params or {}).items()}
    x, t_x, T, t = (mpmath.mpf(v) for v in (x, t_x, T, t))
    if isinstance(model, ParetoNBD):
        r, alpha, s, beta = p["r"], p["alpha"], p["s"], p["beta"]
        alive = _pnbd_p_alive_reference(*(float(v) for v in (r, alpha, s, beta)), int(x), float(t_x), float(T))
        given_alive = (r + x) * (beta + T) / ((alpha + T) * (s - 1)) * (1 - ((beta + T) / (beta + T + t)) ** (s - 1))
        return float(alive * given_alive)
    r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]
    z = t / (alpha + T + t)
    decay = ((alpha + T) / (alpha + T + t)) ** (r + x)
    odds = ((alpha + T) / (alpha + t_x)) ** (r + x)
    if isinstance(model, MBGNBD):
        head = (a + b + x) / (a - 1) * (1 - decay * mpmath.hyp2f1(r + x, b + x + 1, a + b + x, z))
        return float(head / (1 + a / (b + x) * odds))
    head = (a + b + x - 1) / (a - 1) * (1 - decay * mpmath.hyp2f1(r + x, b + x, a + b + x - 1, z))
    return float(head / (1 + (a / (b + x - 1) * odds if x > 0 else 0)))
