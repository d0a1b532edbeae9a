"""The `metrics` pipeline step materialises the metric tables, cleans up after itself, and is idempotent."""

from __future__ import annotations

import datetime as dt

from test_metrics_data import AS_OF, build

from siyu.config import Settings
from siyu.engine import Engine
from siyu.metrics import run_metrics

SETTINGS = Settings(sections={"metrics": {"as_of": AS_OF.isoformat()}})


def test_step_writes_metric_tables(duck: Engine) -> None:
    build(duck)
    rows_in, rows_out, message = run_metrics(duck, SETTINGS)
    written = ("metric_value", "metric_cohort", "metric_health", "metric_staff_conversion", "metric_script_dropoff",
               "metric_script_staff", "metric_funnel")
    tables = set(duck.tables())
    assert set(written) <= tables
    # it reports what it read and wrote: the clean rows measured, every row of every metric table
    assert rows_in == sum(duck.row_count(t) for t in ("orders", "contacts", "messages")) > 0
    assert rows_out == sum(duck.row_count(t) for t in written) > duck.row_count("metric_value")
    assert message.startswith(f"{duck.row_count('metric_value'):,} metric values to {AS_OF}; health ")
    assert not [t for t in tables if t.startswith("mx_")]
    # each staff member's script lines (the console's drill-down) never say more than the team's
    assert duck.scalar("SELECT count(*) FROM metric_script_staff s JOIN metric_script_dropoff t "
                       "USING (script_line_id) WHERE s.sent > t.sent OR s.replied > t.replied") == 0
    value = duck.scalar(
        "SELECT value FROM metric_value WHERE metric = 'average_order_value' AND grain = 'month' "
        "AND slice = 'channel' AND slice_value = 'jd' AND period = DATE '2026-02-01'"
    )
    assert value == 60.0
    size = duck.scalar(
        "SELECT value FROM metric_value WHERE metric = 'private_domain_size' AND grain = 'day' AND slice = 'all' "
        f"AND period = DATE '{dt.date(2026, 2, 15).isoformat()}'"
    )
    assert size == 1  # B removed that day (A in, C gone, D gone since the 10th)
    before = duck.row_count("metric_value")
    run_metrics(duck, SETTINGS)
    assert duck.row_count("metric_value") == before
