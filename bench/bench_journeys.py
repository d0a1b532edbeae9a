"""Journeys: time to evaluate all default journeys for one day of new events, and a first evaluation over the
whole base, beside the bare DuckDB scan of the same tables (prints figures).

    python bench/bench_journeys.py                      # 20,000 persons who arrived over 60 days
    python bench/bench_journeys.py --persons 100000

The base is the SOP simulation of the demo (siyu/demo/sop.py): the published tables journeys read (person_map,
contacts, orders, messages, person_profile) written directly, the store a SQLite file beside the warehouse.
The first evaluation looks back over the whole 60 days (every first order enters two journeys, every due step is
taken); the daily one then evaluates the next day's arrivals and every step that falls due. Issue 13's target is
≤ 30 s for one day at 1M persons; the load average is printed beside the figures (the machine is shared).
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
import zoneinfo
from pathlib import Path

from siyu.demo.config import DemoConfig
from siyu.demo.sop import Sop
from siyu.engine.duckdb_engine import DuckDBEngine
from siyu.journeys.definition import load_journeys
from siyu.journeys.evaluate import evaluate
from siyu.journeys.settings import JourneySettings
from siyu.store import open_store

TZ = "Asia/Shanghai"
DAYS = 60


def load() -> str:
    return Path("/proc/loadavg").read_text().split(" ", 3)[:3].__str__()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=20_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench_journeys_"))
    engine = DuckDBEngine(folder / "w.duckdb", memory_limit="4GB")
    store = open_store(f"sqlite:///{folder / 'store.sqlite'}")
    per_day = max(1, args.persons // DAYS)
    sop = Sop(DemoConfig(persons=10), engine, store, per_day=per_day)
    start = dt.date(2026, 3, 1)
    t0 = time.perf_counter()
    for n in range(DAYS - 1):
        sop.arrive(start + dt.timedelta(days=n))
    last = start + dt.timedelta(days=DAYS - 1)
    sop.day(last - dt.timedelta(days=1))
    built = time.perf_counter() - t0
    journeys = load_journeys()
    clock = dt.datetime.combine(last, dt.time(10), zoneinfo.ZoneInfo(TZ))

    t0 = time.perf_counter()
    first = evaluate(engine, store, journeys, JourneySettings(lookback_days=DAYS), TZ,
                     last - dt.timedelta(days=1), clock - dt.timedelta(days=1))
    first_s = time.perf_counter() - t0

    sop.day(last)  # one day of new events
    t0 = time.perf_counter()
    daily = evaluate(engine, store, journeys, JourneySettings(), TZ, last, clock)
    daily_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    engine.query("""SELECT count(*), sum(o.net_amount) FROM orders AS o JOIN person_map AS m
                    ON m.channel = o.channel AND m.channel_uid = o.channel_uid""")
    engine.query("SELECT count(*) FROM contacts AS c JOIN person_map AS m ON m.channel_uid = c.external_userid")
    engine.query("SELECT count(*), count(DISTINCT customer_id) FROM messages")
    engine.query("SELECT count(*), max(as_of) FROM person_profile")
    scan_s = time.perf_counter() - t0

    persons = len(sop.persons)
    print(f"persons {persons:,} (base built in {built:.1f} s), load {load()}")
    print(f"first evaluation over the whole base: {first_s:.2f} s ({first.detail()})")
    print(f"one day of new events ({per_day:,} arrivals): {daily_s:.2f} s ({daily.detail()})")
    print(f"bare DuckDB scan of the same tables: {scan_s:.3f} s")
    engine.close()
    store.dispose()


if __name__ == "__main__":
    main()
