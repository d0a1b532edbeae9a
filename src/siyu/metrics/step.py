"""The `metrics` step of `siyu run`: materialise the metric tables the report, the API and BI tools read.

Tables: `metric_value` (every metric by day and week for the whole brand, by month for every slice),
`metric_cohort`, `metric_health`, `metric_staff_conversion`, `metric_script_dropoff` (the team's),
`metric_script_staff` (each staff member's), `metric_funnel`.
"""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from siyu.config import Settings
from siyu.engine import Engine
from siyu.metrics.base import REQUIRED, Base, build_base, data_days, drop_base
from siyu.metrics.cohort import cohorts
from siyu.metrics.compute import SCHEMA, compute
from siyu.metrics.funnel import script_dropoff
from siyu.metrics.periods import Window
from siyu.metrics.settings import MetricsConfig, metrics_config
from siyu.metrics.summary import TREND_METRICS, collect, default_comparison


def _values(engine: Engine, cfg: MetricsConfig, base: Base) -> pa.Table:
    parts = []
    for grain in ("day", "week", "month"):
        w = Window(grain, base.first_day, base.as_of)
        parts.append(compute(engine, cfg.settings, None, w))
    month = Window("month", base.first_day, base.as_of)
    for slice_name in ("channel", "staff", "store", "add_source", "group"):
        parts.append(compute(engine, cfg.settings, None, month, slice_name))
    return pa.concat_tables(parts).cast(SCHEMA)


STAFF = pa.schema([("staff_id", pa.string()), ("name", pa.string()), ("store_id", pa.string()),
                   ("friends", pa.int64()), ("converted", pa.int64()), ("rate", pa.float64()),
                   ("low", pa.float64()), ("high", pa.float64()), ("team", pa.float64()), ("flag", pa.string())])
SCRIPT = pa.schema([("script_line_id", pa.string()), ("sent", pa.int64()), ("replied", pa.int64()),
                    ("rate", pa.float64()), ("drop", pa.float64())])
SCRIPT_STAFF = pa.schema([("staff_id", pa.string()), *SCRIPT])
COHORT = pa.schema([("cohort", pa.date32()), ("month", pa.int64()), ("persons", pa.int64()),
                    ("ordering", pa.int64()), ("rate", pa.float64())])
HEALTH = pa.schema([("name", pa.string()), ("value", pa.float64()), ("target", pa.float64()),
                    ("score", pa.float64()), ("weight", pa.float64())])


def _table(rows: list[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    """Rows as a table with a fixed schema, so an empty result is still a table readers can query."""
    return pa.Table.from_pylist(rows, schema=schema)


def run_metrics(engine: Engine, settings: Settings) -> tuple[int, int, str]:
    """Rebuild every metric table; returns (clean rows read, metric rows written, summary)."""
    cfg = metrics_config(settings)
    if all(engine.table_exists(t) for t in REQUIRED) and data_days(engine) is None:
        return 0, 0, "no orders, friends or messages yet: nothing to measure"
    base = build_base(engine, cfg)
    values = _values(engine, cfg, base)
    engine.write_arrow("metric_value", values, mode="replace")
    monthly = values.filter(pc.and_(pc.equal(values["grain"], "month"), pc.equal(values["slice"], "all")))
    trends = monthly.filter(pc.is_in(monthly["metric"], pa.array(TREND_METRICS))).to_pylist()
    cohort_rows = cohorts(engine, cfg.settings.cohort_months, base.as_of)
    data = collect(engine, cfg.settings, base, trends=trends, cohort_rows=cohort_rows)
    after = default_comparison(base, cfg.settings).after
    by_staff = [{"staff_id": s["staff_id"], **line} for s in data["staff"]
                for line in script_dropoff(engine, s["staff_id"], *after)]
    tables = {
        "metric_cohort": _table(cohort_rows, COHORT),
        "metric_health": _table(data["health"]["components"], HEALTH),
        "metric_staff_conversion": _table(data["staff"], STAFF),
        "metric_script_dropoff": _table(data["team_script"], SCRIPT),
        "metric_script_staff": _table(by_staff, SCRIPT_STAFF),
        "metric_funnel": pa.table({"as_of": [base.as_of], "funnel": [json.dumps(data["funnel"], default=str)]}),
    }
    written = values.num_rows
    for name, table in tables.items():
        written += engine.write_arrow(name, table, mode="replace")
    rows_in = engine.row_count("orders") + engine.row_count("contacts") + engine.row_count("messages")
    drop_base(engine)
    score = data["health"]["score"]
    message = (f"{values.num_rows:,} metric values to {base.as_of}; health "
               f"{'no data' if score is None else f'{score:.0f}'}")
    return rows_in, written, message
