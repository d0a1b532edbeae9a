"""How long a command takes from the shell: `siyu --help`, `siyu version` and `siyu segment count` on a demo
warehouse, each a fresh process (what a user waits for), median of several runs.

    python bench/bench_cli.py                       # a 20,000-person demo warehouse, built once and kept
    python bench/bench_cli.py --warehouse big.duckdb --runs 7

Issue 18 §7 targets: --help and version ≤ 0.2 s, segment count ≤ 0.4 s (on the 1M warehouse). A bare
`python -c pass` is timed too: the interpreter's own start is the floor no command can go under. The machine's
load average is printed beside the figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

DEFAULT = Path(".bench") / "cli-demo.duckdb"


def timed(args: list[str], runs: int, cwd: Path) -> float:
    """Median wall seconds of `args` over `runs` fresh processes (one warm-up first)."""
    env = {k: v for k, v in os.environ.items() if k != "SIYU_WAREHOUSE"}
    seconds = []
    for i in range(runs + 1):
        t0 = time.perf_counter()
        done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(args)} failed ({done.returncode}): {done.stderr.strip()[-400:]}")
        if i:
            seconds.append(time.perf_counter() - t0)
    return statistics.median(seconds)


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", type=Path, default=DEFAULT, help="a warehouse that has had a run")
    parser.add_argument("--persons", type=int, default=20_000, help="size of the demo built when it is missing")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    warehouse = args.warehouse.resolve()
    siyu = [sys.executable, "-m", "siyu"]
    if not warehouse.exists():
        warehouse.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([*siyu, "demo", "--persons", str(args.persons), "--out", str(warehouse)], check=True,
                       capture_output=True)
    cwd = warehouse.parent
    rows = [
        ("python -c pass (floor)", [sys.executable, "-c", "pass"]),
        ("siyu --help", [*siyu, "--help"]),
        ("siyu version", [*siyu, "version"]),
        ("siyu segment count", [*siyu, "segment", "count", "orders >= 2 and has_tag('sleeping')", "-w",
                                str(warehouse)]),
    ]
    print(f"load average before: {_load()}")
    for label, command in rows:
        print(f"{label:28s} {timed(command, args.runs, cwd):6.3f} s")
    print(f"load average after:  {_load()}")


if __name__ == "__main__":
    main()
