"""The summary SQL rules, its parity on DuckDB and Spark, and the warehouse step end to end."""

from __future__ import annotations

import datetime as dt
import decimal

import clv_reference as ref
import numpy as np
import pyarrow as pa
import pytest
from scipy.special import hyp2f1

from siyu.clv.bgnbd import BGNBD
from siyu.clv.simulate import simulate_bgnbd
from siyu.clv.step import orders_source_sql, run_clv
from siyu.clv.summary import Period, summarise
from siyu.config.settings import Settings
from siyu.engine import Engine

D = dt.date


def _write_tx(engine: Engine) -> str:
    tx = ref.HAND_TRANSACTIONS
    engine.write_arrow("clv_tx", pa.table({
        "customer_id": [r[0] for r in tx], "order_date": pa.array([r[1] for r in tx], pa.date32()),
        "amount": [r[2] for r in tx],
    }), mode="replace")
    return "SELECT customer_id, order_date, amount FROM clv_tx"


def test_summary_rules(duck: Engine) -> None:
    """The hand-worked summary in clv_reference: same-day orders count once, holdout orders are not calibration,
    the mean value is over repeat days only, customers first seen after the calibration end are left out."""
    source = _write_tx(duck)
    want = ref.HAND_SUMMARY
    s = summarise(duck, source, Period(ref.HAND_CALIBRATION_END, ref.HAND_HOLDOUT_END, "days"))
    assert s.customer_id == want["customer_id"]
    assert s.x.tolist() == want["x"]
    assert s.t_x.tolist() == want["t_x"]
    assert s.T.tolist() == want["T"]
    assert [None if np.isnan(v) else v for v in s.mean_value.tolist()] == want["mean_value"]
    assert s.x_holdout.tolist() == want["x_holdout"]
    weeks = summarise(duck, source, Period(ref.HAND_CALIBRATION_END, None, "weeks"))
    assert weeks.T.tolist() == pytest.approx([t / 7 for t in want["T"]])
    assert weeks.t_x.tolist() == pytest.approx([t / 7 for t in want["t_x"]])
    assert weeks.x_holdout.tolist() == [0] * len(want["x"])


def _orders(rows: list[tuple[str, str, str, dt.date, str, float]]) -> pa.Table:
    return pa.table({
        "channel": [r[0] for r in rows], "order_id": [f"o{i}" for i in range(len(rows))],
        "channel_uid": [r[1] for r in rows], "created_at": pa.array([None] * len(rows), pa.timestamp("us")),
        "paid_at": pa.array([None] * len(rows), pa.timestamp("us")),
        "order_date": pa.array([r[3] for r in rows], pa.date32()), "status": [r[4] for r in rows],
        "amount_paid": pa.array([decimal.Decimal(f"{r[5]:.2f}") for r in rows], pa.decimal128(18, 2)),
        "refund_amount": pa.array([decimal.Decimal("0.00")] * len(rows), pa.decimal128(18, 2)),
        "net_amount": pa.array([decimal.Decimal(f"{r[5]:.2f}") for r in rows], pa.decimal128(18, 2)),
    })


def _shop(n: int = 300, seed: int = 0) -> list[tuple[str, str, str, dt.date, str, float]]:
    """Customers drawn from a BG/NBD population over a year, plus orders that must not count."""
    rng = np.random.default_rng(seed)
    first = rng.integers(0, 90, n)
    x, t_x, _ = simulate_bgnbd(n, 0.6, 8.0, 0.8, 2.5, T=(365 - first) / 7, seed=seed, days_per_unit=7)
    rows = []
    start = D(2024, 1, 1)
    for i in range(n):
        last = round(float(t_x[i]) * 7)
        days = {0, last} | {int(v) for v in rng.integers(0, last + 1, max(int(x[i]) - 1, 0))}
        for d in sorted(days):
            day = start + dt.timedelta(days=int(first[i]) + d)
            rows.append(("tmall", f"u{i}", "", day, "paid", float(rng.integers(20, 200))))
    rows += [("tmall", "u0", "", D(2025, 3, 30), status, 99.0) for status in ("refunded", "closed", "pending")]
    rows.append(("jd", "ghost", "", D(2024, 6, 1), "closed", 10.0))
    return rows


def test_warehouse_step_scores_every_person_once(duck: Engine) -> None:
    duck.write_arrow("orders", _orders(_shop()), mode="replace")
    rows_in, rows_out, message = run_clv(duck, Settings(sections={"clv": {"model": "bgnbd"}}))
    assert rows_out == 300 and rows_in == duck.scalar(
        "SELECT count(*) FROM orders WHERE status IN ('paid', 'partially_refunded')")
    assert "BG/NBD" in message
    scores = duck.query("SELECT * FROM clv_score ORDER BY person_id").to_pylist()
    assert {r["person_id"].split(":")[0] for r in scores} == {"tmall"}  # no person_map: channel identities
    assert all(0 <= r["p_alive"] <= 1 and r["clv"] >= 0 and r["expected_orders_90d"] >= 0 for r in scores)
    # each person's scores are the BG/NBD closed forms at the stored parameters (E[Y(t)]: FHL 2005 eq. 10;
    # P(alive): Fader, Hardie & Lee's note on P(alive) for the BG/NBD)
    fitted = {p["param"]: p["value"] for p in duck.query(
        "SELECT param, value FROM clv_model WHERE model = 'bgnbd'").to_pylist()}
    unit = duck.scalar("SELECT max(unit) FROM clv_model")
    x, t_x, T = (np.array([r[c] for r in scores], dtype=float) for c in ("x", "t_x", "T"))
    alive, conditional = _bgnbd_closed_forms(fitted, x, t_x, T, 90 / (7 if unit == "weeks" else 1))
    np.testing.assert_allclose([r["p_alive"] for r in scores], alive, rtol=1e-9)
    np.testing.assert_allclose([r["expected_orders_90d"] for r in scores], conditional, rtol=1e-7)
    # this population's spend is uniform, so Gamma-Gamma cannot be fitted and says so: every person's expected
    # order value is then the mean over repeaters of their mean repeat-day value, worked out here from the rows
    assert "order value = mean repeat value (Gamma-Gamma:" in message
    assert duck.scalar("SELECT count(*) FROM clv_model WHERE param IN ('p', 'q', 'gamma')") == 0
    aov = np.array([r["expected_aov"] for r in scores])
    np.testing.assert_allclose(aov, _mean_repeat_value(_shop()), rtol=1e-12)
    # CLV: the 30-day increments of eq. 10 over 365 days, discounted at 10 % a year (the settings' defaults,
    # margin 1), times that value
    k = 7 if unit == "weeks" else 1
    days = [min(30 * j, 365) for j in range(1, 14)]
    cumulative = [np.zeros_like(x)] + [_bgnbd_closed_forms(fitted, x, t_x, T, d / k)[1] for d in days]
    discounted = sum((cumulative[j + 1] - cumulative[j]) / 1.1 ** (d / 365) for j, d in enumerate(days))
    np.testing.assert_allclose([r["clv"] for r in scores], aov * discounted, rtol=1e-7)
    # and the stored parameters are the maximum-likelihood fit of the person-level summary
    direct = BGNBD().fit(x, t_x, T)
    assert fitted == pytest.approx(direct.params, rel=1e-6)
    # refunded/closed/pending orders on the last day did not move the calibration end or u0's history
    last_paid = max(r[3] for r in _shop() if r[4] == "paid")
    assert duck.scalar("SELECT max(calibration_end) FROM clv_model") == last_paid < D(2025, 3, 30)
    params = duck.query("SELECT param, value FROM clv_model WHERE model = 'bgnbd'").to_pylist()
    assert sorted(p["param"] for p in params) == ["a", "alpha", "b", "r"]
    again = run_clv(duck, Settings(sections={"clv": {"model": "bgnbd"}}))
    assert again[1] == 300 and duck.row_count("clv_score") == 300  # idempotent re-run


def _mean_repeat_value(rows: list[tuple[str, str, str, dt.date, str, float]]) -> float:
    """By hand: per customer, paid spend per day; the days after the first; their mean; the mean over repeaters."""
    days: dict[str, dict[dt.date, float]] = {}
    for _, uid, _, day, status, amount in rows:
        if status == "paid":
            days.setdefault(uid, {}).setdefault(day, 0.0)
            days[uid][day] += amount
    means = [sum(v for d, v in spent.items() if d != min(spent)) / (len(spent) - 1)
             for spent in days.values() if len(spent) > 1]
    return sum(means) / len(means)


def _bgnbd_closed_forms(p: dict[str, float], x: np.ndarray, t_x: np.ndarray, T: np.ndarray,
                        t: float) -> tuple[np.ndarray, np.ndarray]:
    """P(alive) and E[Y(t) | x, t_x, T] as published for the BG/NBD (Fader, Hardie & Lee 2005, eq. 10)."""
    r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]
    odds = np.where(x > 0, a / np.maximum(b + x - 1, 1e-300) * ((alpha + T) / (alpha + t_x)) ** (r + x), 0.0)
    alive = 1 / (1 + odds)
    z = t / (alpha + T + t)
    head = (a + b + x - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(r + x, b + x,
                                                                                              a + b + x - 1, z))
    return alive, head / (1 + odds)


def test_warehouse_step_uses_oneid_persons(duck: Engine) -> None:
    rows = _shop(200)
    rows += [("jd", f"j{i}", "", d, "paid", 50.0) for i, (_, _, _, d, _, _) in enumerate(rows[:5])]
    duck.write_arrow("orders", _orders(rows), mode="replace")
    duck.write_arrow("person_map", pa.table({
        "channel": ["tmall", "jd"], "channel_uid": ["u1", "j0"], "person_id": ["P1", "P1"],
    }), mode="replace")
    _, _, message = run_clv(duck, Settings(sections={"clv": {"unit": "days"}}))
    assert "chosen on a holdout" in message  # model = auto by default
    ids = duck.query("SELECT person_id FROM clv_score").column(0).to_pylist()
    assert "P1" in ids and "tmall:u1" not in ids and "jd:j0" not in ids and "tmall:u2" in ids


def test_bad_clv_settings_name_the_key(duck: Engine) -> None:
    duck.write_arrow("orders", _orders(_shop(50)), mode="replace")
    with pytest.raises(ValueError, match=r"clv\.modle"):
        run_clv(duck, Settings(sections={"clv": {"modle": "bgnbd"}}))


@pytest.mark.spark
def test_summary_parity_duckdb_spark(duck: Engine, spark: Engine) -> None:
    orders = _orders(_shop(40, seed=3))
    period = Period(D(2024, 9, 30), D(2024, 12, 31), "weeks")
    results = []
    for engine in (duck, spark):
        engine.write_arrow("orders", orders, mode="replace")
        results.append(summarise(engine, orders_source_sql(engine), period))
    a, b = results
    assert a.customer_id == b.customer_id and a.size == 40
    for col in ("x", "t_x", "T", "mean_value", "x_holdout"):
        np.testing.assert_allclose(getattr(a, col), getattr(b, col), rtol=1e-12, equal_nan=True)


@pytest.mark.spark
def test_warehouse_step_parity_duckdb_spark(duck: Engine, spark: Engine) -> None:
    """Spark scores on its executors (map_batches → mapInArrow); the scores equal DuckDB's."""
    orders = _orders(_shop(120, seed=5))
    settings = Settings(sections={"clv": {"model": "bgnbd"}})
    cols = ["person_id", "x", "t_x", "T", "p_alive", "expected_orders_90d", "expected_aov", "clv", "model"]
    scores = []
    for engine in (duck, spark):
        engine.write_arrow("orders", orders, mode="replace")
        assert run_clv(engine, settings)[1] == 120
        scores.append(engine.query(f"SELECT {', '.join(cols)} FROM clv_score ORDER BY person_id").to_pydict())
        assert "tmp_clv_summary" not in engine.tables()
    a, b = scores
    for col in ("person_id", "x", "model"):
        assert a[col] == b[col]
    for col in ("t_x", "T", "p_alive", "expected_orders_90d", "expected_aov", "clv"):
        np.testing.assert_allclose(a[col], b[col], rtol=1e-9)
