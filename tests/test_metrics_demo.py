"""The demo brand's metrics agree with the rates its generator realised (and land in DOMAIN.md's ranges)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from siyu.config import Settings
from siyu.demo.build import build_demo, truth_paths
from siyu.demo.config import DemoConfig
from siyu.engine.duckdb_engine import DuckDBEngine
from siyu.identity.step import run_identity
from siyu.metrics import build_base, compute, metrics_config
from siyu.metrics.periods import Window

# metric → (the generator's realised rate it should match, relative tolerance, DOMAIN.md's range)
CHECKS = {
    "acquisition_rate": ("acquisition_rate", 0.10, (0.03, 0.15)),
    "first_order_conversion": ("first_order_rate", 0.10, (0.20, 0.30)),
    "stored_value_rate": ("stored_value_rate", 0.15, (0.05, 0.10)),
    "activity_rate": ("activity_rate", 0.10, (0.30, 0.40)),
    "average_order_value": ("average_order_value", 0.05, (80.0, 500.0)),
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    warehouse = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    build_demo(warehouse, DemoConfig(persons=3000), direct=True)
    rates = json.loads(truth_paths(warehouse)["json"].read_text(encoding="utf-8"))["rates"]
    engine = DuckDBEngine(warehouse)
    try:
        run_identity(engine, Settings())  # conversion needs WeCom friends linked to their orders
        cfg = metrics_config(Settings())
        base = build_base(engine, cfg)
        whole = Window("total", base.first_day, base.as_of)
        year = Window("total", base.as_of - dt.timedelta(days=364), base.as_of)
        got = {r["metric"]: r["value"] for r in compute(engine, cfg.settings, None, whole).to_pylist()}
        got_year = {r["metric"]: r for r in compute(engine, cfg.settings, None, year).to_pylist()}
    finally:
        engine.close()
    return {"rates": rates, "whole": got, "year": got_year}


@pytest.mark.slow
@pytest.mark.parametrize("metric", list(CHECKS))
def test_demo_metric_matches_the_generator(demo: dict[str, Any], metric: str) -> None:
    truth_key, tol, (lo, hi) = CHECKS[metric]
    # stocks are measured at the end (the whole window's end = the demo's last day); flows over the whole run
    value = demo["whole"][metric]
    assert value == pytest.approx(demo["rates"][truth_key], rel=tol), f"{metric}: {value} vs generator"
    assert lo * 0.8 <= value <= hi * 1.2, f"{metric} {value} outside DOMAIN.md's {lo}–{hi}"


@pytest.mark.slow
def test_demo_churn_and_size(demo: dict[str, Any]) -> None:
    year = demo["year"]
    assert year["churn_rate"]["value"] == pytest.approx(demo["rates"]["churn_last_year"], rel=0.1)
    assert year["private_domain_size"]["value"] == pytest.approx(demo["rates"]["private_domain_size"], rel=0.05)
    assert 0.0 < year["private_domain_contribution"]["value"] < 1.0
    assert year["repurchase_rate"]["value"] is not None
