"""Profile + tags refresh time and segment-count latency on the demo brand (prints figures).

    python bench/bench_profile.py                                   # 1M persons, builds /tmp/siyu_bench/demo-1m.duckdb
    python bench/bench_profile.py --persons 100000 --warehouse /tmp/demo-100k.duckdb
    python bench/bench_profile.py --warehouse existing.duckdb       # reuse a warehouse with clean tables
    flock /tmp/siyu-big.lock python bench/bench_profile.py --warehouse /tmp/me/demo-1m-base.duckdb   # shared machine

The timed run is a *refresh*: the profile and tags are first built as of `--refresh-days` (7) days before the
last order date (untimed), so the timed run finds a tag history and really closes and opens tags. Process CPU
seconds are printed next to wall seconds: on a shared machine the wall time depends on the others' load.

The demo is generated and written straight into the raw tables, then the `normalise` step and OneID on hard
keys run (build time is printed, not part of the targets). Persons come from `person_map` when OneID has
written one, else one person per channel identity (the profile's documented fallback): the figures say
which. In the same run it times the floor: a bare DuckDB GROUP BY that reads the orders once.
Targets (issue 6): profile + tags ≤ 60 s, segment count p50 ≤ 150 ms over 20 typical expressions.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import statistics
import time
from pathlib import Path

from siyu.config import Settings
from siyu.engine.duckdb_engine import DuckDBEngine
from siyu.schema import migrate

MEMORY = "6GB"  # DuckDB's cap: the machine is shared, and the default (80% of RAM) invites the OOM killer

EXPRESSIONS = [
    "orders >= 2",
    "has_tag('sleeping')",
    "has_tag('重要价值') and in_private_domain",
    "orders >= 2 and preferred_material = '冰丝' and has_tag('sleeping')",
    "last_order_date < today() - 90 and net_spend >= 500",
    "bought(category := '文胸', within_days := 90)",
    "bought(material := '冰丝', within_days := 365) and not has_tag('lost')",
    "in_group('白领群') or in_group('宝妈群')",
    "friend_of() and orders = 0",
    "has_tag('high_activity_low_repurchase')",
    "has_tag('high_net_worth') and not in_private_domain",
    "birthday_month = month(today()) and is_friend",
    "coupons_expiring > 0",
    "has_tag('koc_candidate')",
    "stored_value_balance > 0 and recency_days > 60",
    "preferred_channel in ('tmall', 'jd', 'douyin') and private_orders = 0 and orders >= 3",
    "recency_days > 1.5 * repurchase_interval_days and recency_days <= 3 * repurchase_interval_days",
    "messages_30d >= 3 and orders_365d <= 1",
    "city = '上海市' and gender = 'f' and aov >= 200",
    "has_tag('new') and bought(channel := 'miniprogram')",
]


def build(path: Path, persons: int) -> float:
    """Demo → raw tables → normalise → OneID on hard keys; each stage skipped when already done (resumable)."""
    from siyu.ingest.normalise import normalise

    t0 = time.perf_counter()
    engine = DuckDBEngine(path, memory_limit=MEMORY)
    migrate(engine)
    if not engine.row_count("raw_order"):
        from siyu.demo.brand import generate
        from siyu.demo.config import DemoConfig
        from siyu.demo.direct import write_direct

        write_direct(engine, generate(DemoConfig(persons=persons)).iter_exports(), fresh=True)
    if not engine.table_exists("identities"):
        normalise(engine)
    if not engine.table_exists("person_map"):
        try:  # OneID on hard keys only (Splink matching is timed by the identity bench, not here)
            from siyu.identity.settings import IdentitySettings
            from siyu.identity.step import resolve

            resolve(engine, IdentitySettings(probabilistic=False))
        except ImportError:
            pass
    engine.close()
    return time.perf_counter() - t0


def _ready(path: Path) -> bool:
    if not path.exists():
        return False
    with DuckDBEngine(path, read_only=True) as engine:
        return engine.table_exists("person_map")


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(func: object, *args: object) -> tuple[float, object]:
    t0 = time.perf_counter()
    result = func(*args)  # type: ignore[operator]
    return time.perf_counter() - t0, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--warehouse", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each expression")
    parser.add_argument("--refresh-days", type=int, default=7, help="the untimed first build is this many days "
                        "earlier, so the timed refresh updates a real tag history (0: time a first build)")
    args = parser.parse_args()
    path = args.warehouse or Path(f"/tmp/siyu_bench/demo-{args.persons // 1000}k.duckdb")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f}")
    if not _ready(path):
        print(f"building the demo brand ({args.persons:,} persons) into {path} …", flush=True)
        print(f"  demo generate + direct write + normalise: {build(path, args.persons):.1f} s (not part of targets)")

    from siyu.profile import run_profile
    from siyu.segment import run_tags
    from siyu.segment.store import count

    engine = DuckDBEngine(path, memory_limit=MEMORY)
    migrate(engine)
    settings = Settings()
    n_orders = engine.row_count("orders")
    identities = "person_map" if engine.table_exists("person_map") else "one person per identity (no person_map)"
    print(f"warehouse: {path}; orders {n_orders:,}; persons from {identities}")
    for table in ("person_tag_history", "person_tag"):  # start from the same state every time
        engine.drop_table(table)
    if args.refresh_days:
        last = engine.scalar("SELECT max(order_date) FROM orders")
        before = Settings(sections={"profile": {"as_of": (last - dt.timedelta(days=args.refresh_days)).isoformat()}})
        t0 = time.perf_counter()
        run_profile(engine, before)
        run_tags(engine, before)
        seed = time.perf_counter() - t0
        print(f"untimed first build as of {args.refresh_days} days earlier: {seed:.1f} s")

    floor, _ = timed(engine.query, "SELECT count(*) AS n FROM (SELECT channel, channel_uid, count(*) AS orders, "
                                   "sum(net_amount) AS spend, max(order_date) AS last FROM orders "
                                   "GROUP BY channel, channel_uid) AS g")
    cpu0, t0 = cpu_seconds(), time.perf_counter()
    _, persons, message = run_profile(engine, settings)
    cpu1, t1 = cpu_seconds(), time.perf_counter()
    _, held, tag_message = run_tags(engine, settings)
    cpu2, t2 = cpu_seconds(), time.perf_counter()
    profile_s, tags_s = t1 - t0, t2 - t1
    print(f"floor (bare GROUP BY over {n_orders:,} orders): {floor:.2f} s")
    print(f"profile: {profile_s:.1f} s (cpu {cpu1 - cpu0:.1f} s) for {persons:,} persons ({message})")
    print(f"tags:    {tags_s:.1f} s (cpu {cpu2 - cpu1:.1f} s), {held:,} tags held ({tag_message})")
    total = profile_s + tags_s
    print(f"profile + tags: {total:.1f} s (target ≤ 60 s; cpu {cpu2 - cpu0:.1f} s) = {total / floor:.0f}× the floor; "
          f"load average now {os.getloadavg()[0]:.1f}")

    latencies: list[float] = []
    print(f"segment count, {len(EXPRESSIONS)} expressions × {args.repeat} runs (after one warm-up each):")
    for expression in EXPRESSIONS:
        count(engine, expression)
        runs = [timed(count, engine, expression) for _ in range(args.repeat)]
        latencies += [s for s, _ in runs]
        median = statistics.median(s for s, _ in runs)
        print(f"  {median * 1000:7.1f} ms  {runs[0][1]:>9,}  {expression}")
    latencies.sort()
    p50 = statistics.median(latencies)
    p95 = latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))]
    print(f"segment count p50 {p50 * 1000:.1f} ms (target ≤ 150 ms), p95 {p95 * 1000:.1f} ms, "
          f"floor {floor * 1000:.0f} ms → p50/floor {p50 / floor:.2f}")
    engine.close()


if __name__ == "__main__":
    main()
