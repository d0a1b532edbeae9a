"""The main job, timed: `siyu run` (every step) on the demo brand, step by step, against a bare DuckDB scan.

    python bench/bench_pipeline.py                            # 1M persons (raw tables built once, then reused)
    python bench/bench_pipeline.py --persons 100000
    python bench/bench_pipeline.py --raw existing.duckdb      # a warehouse holding raw tables (it is copied)

The raw tables are written once by the demo's direct writer (not timed) and kept; each run copies them to a
scratch warehouse and runs every pipeline step there, so the figures are a full first run of a brand: normalise,
OneID (hard keys and Splink), CLV, profile, tags, segments, metrics. The floor is one DuckDB pass over the raw
orders, items and identities (what any pipeline must at least read), so the ratio shows what the steps cost.
Peak memory is the process's peak RSS (DuckDB's own memory is capped by --memory, and spills beyond).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import time
from pathlib import Path

from siyu.config import Settings
from siyu.engine.duckdb_engine import DuckDBEngine
from siyu.pipeline import run_pipeline
from siyu.schema import migrate

FLOOR = [
    "SELECT channel, count(*), count(DISTINCT channel_uid), sum(amount_paid), max(created_at) FROM raw_order "
    "GROUP BY channel",
    "SELECT count(*), count(DISTINCT sku), sum(qty * price) FROM raw_order_item",
    "SELECT channel, count(*), count(DISTINCT phone), count(DISTINCT name), count(DISTINCT address) "
    "FROM raw_identity GROUP BY channel",
]


def build_raw(path: Path, persons: int) -> float:
    """The demo brand's raw tables, written once (resumable: an existing file with orders is kept)."""
    from siyu.demo.brand import generate
    from siyu.demo.config import DemoConfig
    from siyu.demo.direct import write_direct

    t0 = time.perf_counter()
    path.parent.mkdir(parents=True, exist_ok=True)
    with DuckDBEngine(path, memory_limit="6GB") as engine:
        migrate(engine)
        if not engine.row_count("raw_order"):
            write_direct(engine, generate(DemoConfig(persons=persons)).iter_exports(), fresh=True)
    return time.perf_counter() - t0


def floor(engine: DuckDBEngine) -> float:
    t0 = time.perf_counter()
    for sql in FLOOR:
        engine.query(sql)
    return time.perf_counter() - t0


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--raw", type=Path, help="warehouse with raw tables to copy (default: build the demo's)")
    parser.add_argument("--scratch", type=Path, default=Path("/tmp/siyu_bench/pipeline-run.duckdb"))
    parser.add_argument("--memory", default="6GB", help="DuckDB memory_limit")
    parser.add_argument("--step", action="append", help="run only these steps (repeatable)")
    args = parser.parse_args()

    raw = args.raw or Path(f"/tmp/siyu_bench/pipeline-raw-{args.persons}.duckdb")
    if not args.raw:
        print(f"raw tables ready in {build_raw(raw, args.persons):.1f} s (not timed): {raw}")
    args.scratch.parent.mkdir(parents=True, exist_ok=True)
    args.scratch.unlink(missing_ok=True)
    shutil.copyfile(raw, args.scratch)

    settings = Settings()
    settings.engine.memory_limit = args.memory
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}; "
          f"load average {os.getloadavg()[0]:.1f}; DuckDB memory_limit {args.memory}")
    with DuckDBEngine(args.scratch, memory_limit=args.memory) as engine:
        rows = engine.row_count("raw_order")
        persons = engine.scalar("SELECT count(DISTINCT channel_uid) FROM raw_identity")
        print(f"raw: {rows:,} order rows, {persons:,} channel identities")
        t0 = time.perf_counter()
        report = run_pipeline(engine, settings, args.step)
        total = time.perf_counter() - t0
        print(f"{'step':<10} {'rows in':>12} {'rows out':>12} {'seconds':>9}  detail")
        for o in report.outcomes:
            print(f"{o.step:<10} {o.rows_in:>12,} {o.rows_out:>12,} {o.seconds:>9.1f}  {o.message[:70]}")
        base = floor(engine)
    print(f"{'pipeline':<10} {'':>12} {'':>12} {total:>9.1f}  peak RSS {peak_rss_gb():.1f} GB")
    print(f"{'floor':<10} {'':>12} {'':>12} {base:>9.2f}  one DuckDB pass over raw orders, items, identities")
    print(f"ratio pipeline / floor: {total / base:.0f}×")


if __name__ == "__main__":
    main()
