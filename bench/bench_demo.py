"""Benchmark the demo generator: persons/s, orders/s, wall time and peak memory (prints figures).

    python bench/bench_demo.py                    # 1M persons (~10M orders)
    python bench/bench_demo.py --persons 100000
    python bench/bench_demo.py --write /tmp/demo.duckdb   # also time the direct write + pipeline
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import time
from pathlib import Path

from siyu.demo.brand import generate
from siyu.demo.config import DemoConfig


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--write", type=Path, default=None, help="also build this warehouse directly (timed)")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}")
    cfg = DemoConfig(persons=args.persons, seed=args.seed)
    t0 = time.perf_counter()
    brand = generate(cfg)
    world = time.perf_counter() - t0
    rows = {name: t.num_rows for name, t in brand.iter_exports()}  # shaped one at a time, as the demo does
    truth = brand.truth
    wall = time.perf_counter() - t0
    orders = brand.rates["orders"]
    print(f"persons: {cfg.persons:,}  orders: {orders:,}  order lines: {brand.rates['order_lines']:,}  "
          f"messages: {rows['messages']:,}  export rows: {sum(rows.values()):,}  truth ids: {truth.num_rows:,}")
    print(f"world (persons, orders, funnel): {world:.1f} s; exports + truth: {wall - world:.1f} s")
    print(f"generate: {wall:.1f} s wall, {cfg.persons / wall:,.0f} persons/s, {orders / wall:,.0f} orders/s, "
          f"{sum(rows.values()) / wall:,.0f} export rows/s")
    print(f"peak RSS after generate: {peak_rss_mb():,.0f} MB")
    if args.write:
        from siyu.demo.build import build_demo

        del brand
        t0 = time.perf_counter()
        result = build_demo(args.write, cfg, direct=True)
        total = time.perf_counter() - t0
        phases = ", ".join(f"{k} {v:.1f} s" for k, v in result.seconds.items())
        print(f"build_demo --direct: {total:.1f} s total; {phases}")
        print(f"peak RSS after write: {peak_rss_mb():,.0f} MB")


if __name__ == "__main__":
    main()
