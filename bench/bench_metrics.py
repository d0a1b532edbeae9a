"""Benchmark: every private-domain metric for a year of the demo brand, against a bare DuckDB scan (the floor).

    python bench/bench_metrics.py                      # 1M persons, one year (builds /tmp/siyu-bench-metrics/)
    python bench/bench_metrics.py --persons 100000     # smaller
    python bench/bench_metrics.py --warehouse X.duckdb # reuse a demo warehouse (it gets the metric tables)

Prints: the floor (one DuckDB pass over every column the metrics read), the metric base tables, the
`metrics` pipeline step (all metrics by day/week/month, by month for every slice, cohorts, health, funnel,
staff and script), and the report's generation. Target from issue 7: metrics ≤ 60 s at 1M persons on 2 cores.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time
from pathlib import Path

from siyu.config import Settings
from siyu.engine.duckdb_engine import DuckDBEngine

FLOOR = [
    "SELECT count(*), count(DISTINCT channel_uid), sum(net_amount), sum(refund_amount), max(paid_at), "
    "max(created_at), count(staff_id), count(store_id) FROM orders",
    "SELECT count(*), count(DISTINCT external_userid), max(added_at), max(removed_at), count(add_source), "
    "count(state) FROM contacts",
    "SELECT count(*), count(DISTINCT member_id), max(event_at), count(event) FROM group_events",
    "SELECT count(*), count(DISTINCT conversation_id), max(sent_at), count(sender_type), count(script_line_id), "
    "count(customer_id) FROM messages",
    "SELECT count(*), max(shipped_at), count(card_code) FROM parcels",
    "SELECT count(*), max(redeemed_at) FROM coupons",
    "SELECT count(*), max(txn_at), sum(amount) FROM stored_value",
]


def timed(label: str, fn: object, *args: object) -> object:
    t0 = time.perf_counter()
    out = fn(*args)  # type: ignore[operator]
    print(f"{label:<44} {time.perf_counter() - t0:8.2f} s")
    return out


def build(path: Path, persons: int) -> None:
    from siyu.demo.build import build_demo
    from siyu.demo.config import DemoConfig

    cfg = DemoConfig(persons=persons, start=dt.date(2025, 11, 1), end=dt.date(2026, 10, 31))
    t0 = time.perf_counter()
    build_demo(path, cfg, direct=True)
    print(f"{'demo brand built (not part of the figures)':<44} {time.perf_counter() - t0:8.2f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--persons", type=int, default=1_000_000)
    ap.add_argument("--warehouse", type=Path, default=None)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--memory", default="4GB", help="DuckDB memory limit (it spills beyond)")
    args = ap.parse_args()
    path = args.warehouse or Path(f"/tmp/siyu-bench-metrics/demo-{args.persons}.duckdb")
    if not path.exists():
        build(path, args.persons)
    from siyu.metrics import build_base, collect, metrics_config
    from siyu.metrics.step import run_metrics
    from siyu.report import render_report

    engine = DuckDBEngine(path, threads=args.threads, memory_limit=args.memory)
    try:
        sizes = {t: engine.row_count(t) for t in ("orders", "contacts", "group_events", "messages", "parcels")}
        print(f"warehouse {path} ({os.path.getsize(path) / 2**30:.2f} GiB), {args.threads} DuckDB threads, "
              f"memory limit {args.memory}, {os.cpu_count()} cores")
        print("rows: " + ", ".join(f"{k} {v:,}" for k, v in sizes.items()))
        settings = Settings()
        t0 = time.perf_counter()
        for sql in FLOOR:
            engine.query(sql)
        floor = time.perf_counter() - t0
        print(f"{'floor: bare DuckDB scan of the same tables':<44} {floor:8.2f} s")
        cfg = metrics_config(settings)
        base = timed("metric base tables (mx_*)", build_base, engine, cfg)
        t0 = time.perf_counter()
        _, _, message = run_metrics(engine, settings)
        step = time.perf_counter() - t0
        print(f"{'metrics step (all metrics, every table)':<44} {step:8.2f} s   {message}")
        base = build_base(engine, cfg)
        data = timed("report data (collect)", collect, engine, cfg.settings, base)
        html = timed("report HTML rendering", render_report, data, "zh")
        print(f"report size {len(html) / 1024:,.0f} KB; metrics step = {step / max(floor, 1e-9):.0f}× the floor")
    finally:
        engine.close()


if __name__ == "__main__":
    main()
