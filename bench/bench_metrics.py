"""Benchmark: every private-domain metric for a year of the demo brand, against a bare DuckDB scan (the floor).

    python bench/bench_metrics.py                      # 1M persons, one year (builds /tmp/siyu-bench-metrics/)
    python bench/bench_metrics.py --persons 100000     # smaller
    python bench/bench_metrics.py --warehouse X.duckdb # reuse a demo warehouse (it gets the metric tables)
    flock /tmp/siyu-big.lock python bench/bench_metrics.py --warehouse /tmp/me/demo-1m-base.duckdb --memory 6GB

Prints: the floor (one DuckDB pass over every column the metrics read), the `metrics` pipeline step (all
metrics by day/week/month, by month for every slice, cohorts, health, funnel, staff and script) and its
ratio to the floor, the report's generation as `siyu report` does it (base tables, numbers, HTML), the peak
memory of the process, CPU seconds and the load average (other work on the machine slows a run down), and
then opens the report in headless Chromium: screenshot, no console errors, every chart drawn.
Target from issue 7: metrics ≤ 60 s at 1M persons on 2 cores.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
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


def peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def browser_check(page: Path) -> None:
    from siyu.report.browser import find_chromium, render_check

    if find_chromium() is None:
        print("Chromium not installed: rendering check skipped (apt-get install chromium fonts-noto-cjk)")
        return
    t0 = time.perf_counter()
    seen = render_check(page, page.with_suffix(".png"))
    print(f"{'Chromium: screenshot and checks':<44} {time.perf_counter() - t0:8.2f} s   {seen.screenshot} "
          f"({seen.screenshot_bytes / 1024:,.0f} KB; blank page {seen.blank_bytes / 1024:,.0f} KB), "
          f"{seen.charts} charts, blank charts {seen.blank_charts or 'none'}, "
          f"console errors {len(seen.console_errors)}, exit {seen.returncode}: {'OK' if seen.ok else 'FAILED'}")
    if not seen.ok:
        raise SystemExit(1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--persons", type=int, default=1_000_000)
    ap.add_argument("--warehouse", type=Path, default=None)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--memory", default="4GB", help="DuckDB memory limit (it spills beyond)")
    ap.add_argument("--out", type=Path, default=None, help="the report's HTML (default: next to the warehouse)")
    args = ap.parse_args()
    path = args.warehouse or Path(f"/tmp/siyu-bench-metrics/demo-{args.persons}.duckdb")
    if not path.exists():
        build(path, args.persons)
    from siyu.metrics import build_base, collect, metrics_config
    from siyu.metrics.base import drop_base
    from siyu.metrics.step import run_metrics
    from siyu.report import render_report, write_report

    engine = DuckDBEngine(path, threads=args.threads, memory_limit=args.memory)
    try:
        sizes = {t: engine.row_count(t) for t in ("orders", "contacts", "group_events", "messages", "parcels")}
        persons = engine.scalar("SELECT count(DISTINCT person_id) FROM person_map") \
            if engine.table_exists("person_map") else None
        print(f"warehouse {path} ({os.path.getsize(path) / 2**30:.2f} GiB), {args.threads} DuckDB threads, "
              f"memory limit {args.memory}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} "
              f"at the start")
        print(f"rows: persons (person_map) {persons or 0:,}, " + ", ".join(f"{k} {v:,}" for k, v in sizes.items()))
        days = engine.query("SELECT min(order_date) AS d0, max(order_date) AS d1 FROM orders").to_pylist()[0]
        print(f"orders from {days['d0']} to {days['d1']}")
        settings = Settings()
        t0 = time.perf_counter()
        for sql in FLOOR:
            engine.query(sql)
        floor = time.perf_counter() - t0
        print(f"{'floor: bare DuckDB scan of the same tables':<44} {floor:8.2f} s")
        t0, c0 = time.perf_counter(), time.process_time()
        _, _, message = run_metrics(engine, settings)
        step, cpu = time.perf_counter() - t0, time.process_time() - c0
        print(f"{'metrics step (all metrics, every table)':<44} {step:8.2f} s   {message}; {cpu:.1f} CPU s; "
              f"{step / max(floor, 1e-9):.0f}x the floor; peak memory so far {peak_gib():.2f} GiB")
        cfg = metrics_config(settings)
        t0 = time.perf_counter()
        base = timed("report: base tables", build_base, engine, cfg)
        data = timed("report: numbers (collect)", collect, engine, cfg.settings, base)
        html = timed("report: HTML rendering", render_report, data, "zh")
        drop_base(engine)
        report_s = time.perf_counter() - t0
        out = args.out or path.with_name(path.stem + "-report.html")
        write_report(out, str(html))
        print(f"{'report generation (as `siyu report`)':<44} {report_s:8.2f} s   {out} "
              f"({len(str(html)) / 1024:,.0f} KB)")
        print(f"peak memory (process RSS) {peak_gib():.2f} GiB; load average {os.getloadavg()[0]:.2f} at the end")
    finally:
        engine.close()
    browser_check(out)


if __name__ == "__main__":
    main()
