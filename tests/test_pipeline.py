"""`siyu run`: steps in order, each logged with rows and seconds; a failure is logged, then raised."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pytest

from siyu.config import Settings
from siyu.engine import Engine, EngineError
from siyu.pipeline import run_pipeline
from siyu.pipeline.steps import find_steps


def test_run_logs_every_step(duck: Engine) -> None:
    report = run_pipeline(duck, Settings())
    assert report.ok
    steps = ["normalise", "identity", "loyalty", "clv", "profile", "tags", "segments", "metrics"]
    assert [o.step for o in report.outcomes] == steps
    log = duck.query("SELECT step, status, seconds, rows_out FROM run_log").to_pylist()
    assert [r["step"] for r in log] == [o.step for o in report.outcomes]
    assert all(r["status"] == "ok" and r["seconds"] >= 0 for r in log)
    again = run_pipeline(duck, Settings())
    assert again.run_id != report.run_id
    assert duck.scalar("SELECT count(DISTINCT run_id) FROM run_log") == 2


def test_failed_step_is_logged_and_raised(duck: Engine) -> None:
    # two sub-orders whose sum overflows DECIMAL(18,2): the step must fail loudly, not store garbage
    huge = {"channel": "douyin", "order_id": "D1", "channel_uid": "u", "status": "paid",
            "amount_paid": Decimal("9999999999999999.99"), "_row": 2, "_ingested_at": dt.datetime(2026, 1, 1)}
    rows = [dict(huge, sub_order_id="a", _row_hash="h1"), dict(huge, sub_order_id="b", _row_hash="h2")]
    duck.write_arrow("raw_order", pa.Table.from_pylist(rows))
    with pytest.raises(EngineError, match="building table orders"):
        run_pipeline(duck, Settings(), ["normalise"])
    failed = duck.query("SELECT step, status, message FROM run_log WHERE status = 'failed'").to_pylist()
    assert failed and failed[0]["step"] == "normalise" and failed[0]["message"]


def test_unknown_step_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match="known steps: normalise, identity, loyalty, clv"):
        find_steps(["normalize"])
