"""The pipeline step: summary from the warehouse's orders, fit, and `clv_model` + `clv_score` written.

The orders that count are purchases (siyu.domain.orders, docs/definitions.md). A person is the OneID person_id
when `person_map` exists, else the channel identity `channel:channel_uid`.
With model = "auto" the model is chosen on a holdout: the last third of the history (at least 30 days) is
held out, each model is fitted on the rest and the lowest per-person MAE wins; it is then refitted on all.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from siyu.clv.base import TransactionModel
from siyu.clv.data import Array, FitData, compress
from siyu.clv.gammagamma import GammaGamma
from siyu.clv.predictions import score_rows
from siyu.clv.scoring import CLV_SCORE, ScoreSpec, make_scorer
from siyu.clv.selection import converged_or_raise, fit_models, model_names, pick
from siyu.clv.settings import ClvSettings, clv_settings
from siyu.clv.summary import Period, summary_sql
from siyu.config import Settings
from siyu.domain.orders import purchase_sql
from siyu.domain.persons import person_sql
from siyu.engine import Engine
from siyu.errors import NoResult

MIN_HOLDOUT_DAYS = 30
SUMMARY_TABLE = "tmp_clv_summary"

CLV_MODEL = pa.schema([
    ("model", pa.string()), ("param", pa.string()), ("value", pa.float64()), ("std_error", pa.float64()),
    ("log_likelihood", pa.float64()), ("n_customers", pa.int64()), ("calibration_end", pa.date32()),
    ("unit", pa.string()), ("converged", pa.bool_()), ("message", pa.string()), ("fitted_at", pa.timestamp("us")),
])


def orders_source_sql(engine: Engine) -> str:
    """(customer_id, order_date, amount) of each purchase, persons from OneID when available."""
    person = person_sql("o.channel", "o.channel_uid")
    join = ""
    if engine.table_exists("person_map"):
        person = person_sql("o.channel", "o.channel_uid", "pm.person_id")
        join = "LEFT JOIN person_map AS pm ON pm.channel = o.channel AND pm.channel_uid = o.channel_uid"
    return f"""
SELECT {person} AS customer_id, o.order_date AS order_date, CAST(o.net_amount AS DOUBLE) AS amount
FROM orders AS o {join}
WHERE {purchase_sql('o')}
  AND o.channel_uid IS NOT NULL AND o.order_date IS NOT NULL
"""


def _column(table: pa.Table, name: str) -> Array:
    return np.asarray(table.column(name).to_numpy(zero_copy_only=False), dtype=np.float64)


def grouped_fit_data(engine: Engine, summary_select: str, extra: str = "") -> tuple[FitData, pa.Table]:
    """Distinct (x, t_x, T[, extra]) rows with counts, grouped on the engine: all the fit needs comes back, not
    one row per person. Returns the fit data and the grouped rows (for columns like x_holdout)."""
    cols = f"x, t_x, T{', ' + extra if extra else ''}"
    rows = engine.query(f"SELECT {cols}, count(*) AS n FROM ({summary_select}) AS s GROUP BY {cols}")
    x, t_x, T, n = (_column(rows, c) for c in ("x", "t_x", "T", "n"))
    return compress(x, t_x, T, counts=n), rows


def _holdout_mae(model: TransactionModel, d: FitData, rows: pa.Table, length: float) -> float:
    predicted = model.expected_rows(d, length)[d.inverse]
    n = _column(rows, "n")
    return float(n @ np.abs(predicted - _column(rows, "x_holdout")) / n.sum())


def _choose(engine: Engine, source: str, cfg: ClvSettings, first: dt.date, end: dt.date) -> str:
    names = model_names(cfg.model)
    if len(names) == 1:
        return names[0]
    span = (end - first).days
    holdout_days = span // 3
    if holdout_days < MIN_HOLDOUT_DAYS:
        return ""  # too short a history to hold any out: pick by log-likelihood on all of it
    period = Period(end - dt.timedelta(days=holdout_days), end, cfg.unit)
    d, rows = grouped_fit_data(engine, summary_sql(source, period), "x_holdout")
    try:
        good = converged_or_raise(fit_models(names, d))
    except ValueError:
        return ""
    return min(good, key=lambda m: _holdout_mae(m, d, rows, period.holdout_length)).name


def _spend(x: Array, mean_value: Array) -> tuple[GammaGamma | None, float, str]:
    values = mean_value[np.isfinite(mean_value)]
    fallback = float(values.mean()) if values.size else float("nan")
    spend = GammaGamma()
    try:
        res = spend.fit(x, mean_value)
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
    """Fit on the warehouse's orders and score every person; returns (rows in, rows out, message).

    The per-person summary stays on the engine (a temporary table): the fit reads it grouped into distinct
    (x, t_x, T) rows, Gamma-Gamma reads the repeat buyers' (x, mean value), and scoring runs through
    `Engine.map_batches`, so on Spark the persons are scored on the executors and never collected."""
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
    engine.create_table_as(SUMMARY_TABLE, summary_sql(source, period))
    try:
        if not engine.scalar(f"SELECT count(*) FROM {SUMMARY_TABLE} WHERE x > 0"):
            raise NoResult(
                "every customer has one order so far: no CLV model can be fitted until some have ordered again"
            )
        return _fit_and_score(engine, cfg, period, chosen, int(n_orders))
    finally:
        engine.drop_table(SUMMARY_TABLE)


def _fit_and_score(
    engine: Engine, cfg: ClvSettings, period: Period, chosen: str, n_orders: int
) -> tuple[int, int, str]:
    d, _ = grouped_fit_data(engine, f"SELECT x, t_x, T FROM {SUMMARY_TABLE}")
    model, _ = pick(fit_models([chosen] if chosen else model_names(cfg.model), d))
    # ordered: float sums in the spend fit then do not depend on how the engine happened to return rows
    repeaters = engine.query(f"SELECT x, mean_value FROM {SUMMARY_TABLE} WHERE x > 0 ORDER BY x, mean_value")
    spend, fallback, spend_note = _spend(_column(repeaters, "x"), _column(repeaters, "mean_value"))
    # every person's (x, t_x, T) is among the fit rows: scoring them here first turns a model that cannot be
    # scored into a clear error on the driver rather than a failed task on an executor
    score_rows(model, d, period.days_per_unit, cfg.horizon_days, cfg.discount_rate)
    spec = ScoreSpec(
        model=model.name, params=dict(model.params or {}), spend_params=dict(spend.params) if spend and spend.params
        else None, fallback_aov=fallback, days_per_unit=period.days_per_unit, horizon_days=cfg.horizon_days,
        discount_rate=cfg.discount_rate, margin=cfg.margin, scored_at=dt.datetime.now().replace(microsecond=0),
    )
    fitted: list[TransactionModel | GammaGamma] = [model]
    if spend is not None:
        fitted.append(spend)
    with engine.transaction():
        engine.write_arrow("clv_model", _model_rows(fitted, cfg, period), mode="replace")
        persons = engine.map_batches(f"SELECT customer_id AS person_id, x, t_x, T, mean_value FROM {SUMMARY_TABLE}",
                                     make_scorer(spec), CLV_SCORE, "clv_score")
    how = "configured" if cfg.model != "auto" else "chosen on a holdout" if chosen else "by likelihood"
    return n_orders, persons, f"{model.label} ({how}), calibration end {period.calibration_end}; {spend_note}"
