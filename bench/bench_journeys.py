"""Journeys: time to evaluate all default journeys for one day of new events, and a first evaluation over the
whole base, beside the bare DuckDB scan of the same tables (prints figures).

    python bench/bench_journeys.py                      # 20,000 persons who arrived over 60 days
    python bench/bench_journeys.py --persons 100000
    python bench/bench_journeys.py --warehouse /tmp/d1m/w.duckdb --lookback 30   # a demo warehouse, read-only

The base is the SOP simulation of the demo (siyu/demo/sop.py): the published tables journeys read (person_map,
contacts, orders, messages, person_profile) written directly, the store a SQLite file beside the warehouse.
The first evaluation looks back over the whole 60 days (every first order enters two journeys, every due step is
taken); the daily one then evaluates the next day's arrivals and every step that falls due. Issue 13's target is
≤ 30 s for one day at 1M persons; the load average is printed beside the figures (the machine is shared).

With `--warehouse`, a built demo (`siyu demo --persons 1000000`) is opened read-only and the journeys' state
goes to a fresh SQLite store in a temporary folder: the first evaluation is the day before the data's day
(`max(as_of)` of person_profile) looking back `--lookback` days over the whole base's tables, the daily one the
data's day itself (that day's orders, parcels, messages and contacts are its new events).
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
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=20_000)
    parser.add_argument("--warehouse", type=Path, help="a built demo warehouse, opened read-only")
    parser.add_argument("--lookback", type=int, default=30, help="with --warehouse: days the first evaluation reads")
    args = parser.parse_args()
    if args.warehouse:
        on_warehouse(args.warehouse, args.lookback)
    else:
        on_simulation(args.persons)


def scan(engine: DuckDBEngine) -> float:
    """The floor: one bare pass over each table the journeys read."""
    refunds = ", max(o.refunded_at)" if "refunded_at" in engine.table_schema("orders").names else ""
    t0 = time.perf_counter()  # the simulation's orders have no refund times; a demo's have
    engine.query(f"""SELECT count(*), sum(o.net_amount){refunds} FROM orders AS o JOIN person_map AS m
                     ON m.channel = o.channel AND m.channel_uid = o.channel_uid""")
    engine.query("SELECT count(*) FROM contacts AS c JOIN person_map AS m ON m.channel_uid = c.external_userid")
    engine.query("SELECT count(*), count(DISTINCT customer_id) FROM messages")
    engine.query("SELECT count(*), max(as_of) FROM person_profile")
    for table in ("parcels", "coupons", "group_events", "person_tag_history", "loyalty_facts"):
        if engine.table_exists(table):
            engine.query(f"SELECT count(*) FROM {table}")
    return time.perf_counter() - t0


def on_warehouse(path: Path, lookback: int) -> None:
    engine = DuckDBEngine(path, memory_limit="6GB", read_only=True)
    folder = Path(tempfile.mkdtemp(prefix="bench_journeys_"))
    store = open_store(f"sqlite:///{folder / 'store.sqlite'}")
    day = engine.scalar("SELECT max(as_of) FROM person_profile")
    assert isinstance(day, dt.date), "the warehouse has no person_profile"
    persons = engine.scalar("SELECT count(*) FROM person_profile")
    journeys = load_journeys()
    clock = dt.datetime.combine(day, dt.time(10), zoneinfo.ZoneInfo(TZ))
    print(f"{path}: {persons:,} persons, data day {day}, load {load()}", flush=True)

    t0 = time.perf_counter()
    first = evaluate(engine, store, journeys, JourneySettings(lookback_days=lookback), TZ,
                     day - dt.timedelta(days=1), clock - dt.timedelta(days=1))
    first_s = time.perf_counter() - t0
    print(f"first evaluation ({lookback} days back over the whole base): {first_s:.2f} s ({first.detail()}), "
          f"load {load()}", flush=True)

    t0 = time.perf_counter()
    daily = evaluate(engine, store, journeys, JourneySettings(), TZ, day, clock)
    daily_s = time.perf_counter() - t0
    print(f"one day of new events ({day}): {daily_s:.2f} s ({daily.detail()}), load {load()}", flush=True)

    t0 = time.perf_counter()
    again = evaluate(engine, store, journeys, JourneySettings(), TZ, day, clock)
    print(f"the same day again: {time.perf_counter() - t0:.2f} s ({again.detail()}), load {load()}", flush=True)
    print(f"bare DuckDB scan of the same tables: {scan(engine):.3f} s, load {load()}")
    engine.close()
    store.dispose()
    for f in folder.iterdir():
        f.unlink()
    folder.rmdir()


def on_simulation(persons_wanted: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench_journeys_"))
    engine = DuckDBEngine(folder / "w.duckdb", memory_limit="4GB")
    store = open_store(f"sqlite:///{folder / 'store.sqlite'}")
    per_day = max(1, persons_wanted // DAYS)
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

    scan_s = scan(engine)

    persons = len(sop.persons)
    print(f"persons {persons:,} (base built in {built:.1f} s), load {load()}")
    print(f"first evaluation over the whole base: {first_s:.2f} s ({first.detail()})")
    print(f"one day of new events ({per_day:,} arrivals): {daily_s:.2f} s ({daily.detail()})")
    print(f"bare DuckDB scan of the same tables: {scan_s:.3f} s")
    engine.close()
    store.dispose()


if __name__ == "__main__":
    main()
