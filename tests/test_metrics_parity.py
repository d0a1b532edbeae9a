"""The same metrics on DuckDB and on Spark (local) for the hand-built brand."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from test_metrics_data import AS_OF, build

from siyu.config import Settings
from siyu.engine import Engine
from siyu.metrics import build_base, compute, metrics_config
from siyu.metrics.cohort import cohorts
from siyu.metrics.funnel import funnel_period, script_dropoff, staff_conversion
from siyu.metrics.periods import Window

SETTINGS = Settings(sections={"metrics": {"as_of": AS_OF.isoformat(), "core_share": 0.34}})
WINDOWS = [("all", Window("month", dt.date(2026, 1, 1), dt.date(2026, 2, 28)), None),
           ("staff", Window("week", dt.date(2026, 1, 1), dt.date(2026, 2, 28)),
            ["private_domain_size", "churn_rate", "first_order_conversion", "staff_reply_minutes_p90"]),
           ("group", Window("total", dt.date(2026, 1, 1), dt.date(2026, 3, 31)), ["group_exit_rate"])]
CLEAN = ["orders", "contacts", "group_events", "chat_groups", "messages", "parcels", "coupons", "stored_value",
         "staff", "stores", "person_map"]


def copy_clean_tables(source: Engine, target: Engine) -> None:
    """The normalise step has its own parity test: give Spark DuckDB's clean tables and test only metrics."""
    for name in CLEAN:
        target.write_arrow(name, source.read_arrow(name), mode="replace")


def outputs(engine: Engine) -> dict[str, Any]:
    cfg = metrics_config(SETTINGS)
    build_base(engine, cfg)
    out: dict[str, Any] = {}
    for slice_name, w, names in WINDOWS:
        rows = compute(engine, cfg.settings, names, w, slice_name).to_pylist()
        out[slice_name] = sorted(rows, key=lambda r: (r["metric"], r["slice_value"], r["period"]))
    d0, d1 = dt.date(2026, 1, 1), dt.date(2026, 1, 31)
    out["cohorts"] = cohorts(engine, 3, AS_OF)
    out["funnel"] = funnel_period(engine, d0, d1)
    out["staff"] = staff_conversion(engine, d0, d1)
    out["script"] = script_dropoff(engine, None, d0, d1)
    return out


def same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == pytest.approx(b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


@pytest.mark.spark
def test_duckdb_and_spark_agree(duck: Engine, spark: Engine) -> None:
    build(duck)
    copy_clean_tables(duck, spark)
    want, got = outputs(duck), outputs(spark)
    for key in want:
        assert same(want[key], got[key]), f"{key}: DuckDB {want[key]!r}\n Spark {got[key]!r}"
