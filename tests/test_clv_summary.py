"""The summary SQL rules, its parity on DuckDB and Spark, and the warehouse step end to end."""

from __future__ import annotations

import datetime as dt
import decimal

import numpy as np
import pyarrow as pa
import pytest

from siyu.clv.simulate import simulate_bgnbd
from siyu.clv.step import orders_source_sql, run_clv
from siyu.clv.summary import Period, summarise
from siyu.config.settings import Settings
from siyu.engine import Engine

D = dt.date
TX = [  # customer, date, amount
    ("a", D(2024, 1, 1), 10.0), ("a", D(2024, 1, 1), 5.0),  # same day: one purchase of 15
    ("a", D(2024, 1, 15), 20.0), ("a", D(2024, 2, 12), 30.0),
    ("a", D(2024, 3, 10), 7.0),  # holdout
    ("b", D(2024, 2, 5), 50.0),  # one purchase only
    ("c", D(2024, 3, 20), 9.0),  # first purchase after the calibration end: not summarised
]


def _write_tx(engine: Engine) -> str:
    engine.write_arrow("clv_tx", pa.table({
        "customer_id": [r[0] for r in TX], "order_date": pa.array([r[1] for r in TX], pa.date32()),
        "amount": [r[2] for r in TX],
    }), mode="replace")
    return "SELECT customer_id, order_date, amount FROM clv_tx"


def test_summary_rules(duck: Engine) -> None:
    source = _write_tx(duck)
    s = summarise(duck, source, Period(D(2024, 2, 29), D(2024, 3, 31), "days"))
    assert s.customer_id == ["a", "b"]
    assert s.x.tolist() == [2, 0]  # same-day orders count once; holdout orders are not calibration
    assert s.t_x.tolist() == [42, 0]
    assert s.T.tolist() == [59, 24]
    assert s.mean_value[0] == 25.0 and np.isnan(s.mean_value[1])  # mean of repeat days only
    assert s.x_holdout.tolist() == [1, 0]
    weeks = summarise(duck, source, Period(D(2024, 2, 29), None, "weeks"))
    assert weeks.T.tolist() == pytest.approx([59 / 7, 24 / 7])
    assert weeks.x_holdout.tolist() == [0, 0]


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
    # refunded/closed/pending orders on the last day did not move the calibration end or u0's history
    assert duck.scalar("SELECT max(calibration_end) FROM clv_model") < D(2025, 3, 30)
    params = duck.query("SELECT param, value FROM clv_model WHERE model = 'bgnbd'").to_pylist()
    assert sorted(p["param"] for p in params) == ["a", "alpha", "b", "r"]
    again = run_clv(duck, Settings(sections={"clv": {"model": "bgnbd"}}))
    assert again[1] == 300 and duck.row_count("clv_score") == 300  # idempotent re-run


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
