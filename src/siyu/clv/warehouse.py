"""The pipeline step: summary from the warehouse's orders, fit, and `clv_model` + `clv_score` written.

Which orders count (documented rule): status 'paid' or 'partially_refunded' with net_amount > 0, i.e. paid and
not fully refunded; 'refunded', 'closed' and 'pending' orders are left out. A person is the OneID person_id
when `person_map` exists, else the channel identity `channel:channel_uid`.
With model = "auto" the model is chosen on a holdout: the last third of the history (at least 30 days) is
held out, each model is fitted on the rest and the lowest per-person MAE wins; it is then refitted on all.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from siyu.clv.data import compress
from siyu.clv.gammagamma import GammaGamma
from siyu.clv.model import TransactionModel
from siyu.clv.models import fit_models, model_names, pick
from siyu.clv.score import expected_value, score
from siyu.clv.settings import ClvSettings, clv_settings
from siyu.clv.summary import Period, Summary, summarise
from siyu.config import Settings
from siyu.engine import Engine

MIN_HOLDOUT_DAYS = 30

CLV_SCORE = pa.schema([
    ("person_id", pa.string()), ("x", pa.int64()), ("t_x", pa.float64()), ("T", pa.float64()),
    ("p_alive", pa.float64()), ("expected_orders_90d", pa.float64()), ("expected_aov", pa.float64()),
    ("clv", pa.float64()), ("model", pa.string()), ("scored_at", pa.timestamp("us")),
])
CLV_MODEL = pa.schema([
    ("model", pa.string()), ("param", pa.string()), ("value", pa.float64()), ("std_error", pa.float64()),
    ("log_likelihood", pa.float64()), ("n_customers", pa.int64()), ("calibration_end", pa.date32()),
    ("unit", pa.string()), ("converged", pa.bool_()), ("message", pa.string()), ("fitted_at", pa.timestamp("us")),
])


def orders_source_sql(engine: Engine) -> str:
    """(customer_id, order_date, amount) of the orders that count, persons from OneID when available."""
    person = "o.channel || ':' || o.channel_uid"
    join = ""
    if engine.table_exists("person_map"):
        person = f"coalesce(pm.person_id, {person})"
        join = "LEFT JOIN person_map AS pm ON pm.channel = o.channel AND pm.channel_uid = o.channel_uid"
    return f"""
SELECT {person} AS customer_id, o.order_date AS order_date, CAST(o.net_amount AS DOUBLE) AS amount
FROM orders AS o {join}
-- paid and not fully refunded; refunded, closed and pending orders are not purchases (clv/warehouse.py)
WHERE o.status IN ('paid', 'partially_refunded') AND o.net_amount > 0
  AND o.channel_uid IS NOT NULL AND o.order_date IS NOT NULL
"""


def _choose(engine: Engine, source: str, cfg: ClvSettings, first: dt.date, end: dt.date) -> str:
    names = model_names(cfg.model)
    if len(names) == 1:
        return names[0]
    span = (end - first).days
    holdout_days = span // 3
    if holdout_days < MIN_HOLDOUT_DAYS:
        return ""  # too short a history to hold any out: pick by log-likelihood on all of it
    period = Period(end - dt.timedelta(days=holdout_days), end, cfg.unit)
    summary = summarise(engine, source, period)
    try:
        winner, _ = pick(fit_models(names, compress(summary.x, summary.t_x, summary.T)), summary)
    except ValueError:
        return ""
    return winner.name


def _spend(summary: Summary) -> tuple[GammaGamma | None, float, str]:
    values = summary.mean_value[np.isfinite(summary.mean_value)]
    fallback = float(values.mean()) if values.size else float("nan")
    spend = GammaGamma()
    try:
        res = spend.fit(summary.x, summary.mean_value)
    except ValueError as exc:
        return None, fallback, f"order value = mean repeat value ({exc})"
    if not res.converged:
        return None, fallback, f"order value = mean repeat value (Gamma-Gamma: {res.message})"
    corr = res.extra.get("frequency_spend_correlation", float("nan"))
    note = f"; frequency-spend correlation {corr:.2f}" if np.isfinite(corr) else ""
    return spend, spend.population_mean() if np.isfinite(spend.population_mean()) else fallback, f"Gamma-Gamma{note}"


def _model_rows(models: list[TransactionModel | GammaGamma], cfg: ClvSettings, period: Period) -> pa.Table:
    now = dt.datetime.now().replace(microsecond=0)
    rows = []
    for m in models:
        res = m.result
        if res is None:
            continue
        for param, value in res.params.items():
            rows.append({
                "model": res.model, "param": param, "value": value, "std_error": res.std_errors.get(param),
                "log_likelihood": res.log_likelihood, "n_customers": res.n_customers,
                "calibration_end": period.calibration_end, "unit": cfg.unit, "converged": res.converged,
                "message": res.message, "fitted_at": now,
            })
    return pa.Table.from_pylist(rows, schema=CLV_MODEL)


def run_clv(engine: Engine, settings: Settings) -> tuple[int, int, str]:
    """Fit on the warehouse's orders and score every person; returns (rows in, rows out, message)."""
    cfg = clv_settings(settings)
    if not engine.table_exists("orders"):
        return 0, 0, "no orders table yet: run the normalise step first"
    source = orders_source_sql(engine)
    bounds = engine.query(f"SELECT min(order_date) AS lo, max(order_date) AS hi, count(*) AS n FROM ({source}) AS s")
    lo, hi, n_orders = (bounds.column(c)[0].as_py() for c in ("lo", "hi", "n"))
    if not n_orders:
        return 0, 0, "no paid orders: nothing to score"
    cal_end = cfg.calibration_end or hi
    chosen = _choose(engine, source, cfg, lo, cal_end)
    period = Period(cal_end, None, cfg.unit)
    summary = summarise(engine, source, period)
    d = compress(summary.x, summary.t_x, summary.T)
    models = fit_models([chosen] if chosen else model_names(cfg.model), d)
    model, _ = pick(models)
    spend, fallback, spend_note = _spend(summary)
    aov = expected_value(spend, summary, fallback)
    s = score(model, summary, aov, cfg.horizon_days, cfg.discount_rate, cfg.margin)
    now = dt.datetime.now().replace(microsecond=0)
    scores = pa.table({
        "person_id": pa.array(summary.customer_id, pa.string()),
        "x": pa.array(summary.x.astype(np.int64)), "t_x": summary.t_x, "T": summary.T,
        "p_alive": s.p_alive, "expected_orders_90d": s.expected_orders_90d, "expected_aov": s.expected_aov,
        "clv": s.clv, "model": pa.array([model.name] * summary.size, pa.string()),
        "scored_at": pa.array([now] * summary.size, pa.timestamp("us")),
    }, schema=CLV_SCORE)
    fitted: list[TransactionModel | GammaGamma] = [model]
    if spend is not None:
        fitted.append(spend)
    with engine.transaction():
        engine.write_arrow("clv_model", _model_rows(fitted, cfg, period), mode="replace")
        engine.write_arrow("clv_score", scores, mode="replace")
    how = "configured" if cfg.model != "auto" else "chosen on a holdout" if chosen else "by likelihood"
    return int(n_orders), summary.size, f"{model.label} ({how}), calibration end {cal_end}; {spend_note}"
