"""How long a command takes from the shell: `siyu --help`, `siyu version` and `siyu segment count` on a demo
warehouse, each a fresh process (what a user waits for), median wall and CPU seconds of several runs; then what
publishing costs: `siyu migrate` (which publishes the snapshot readers use) and the disk the snapshot takes.

    python bench/bench_cli.py                       # a 20,000-person demo warehouse, built once and kept
    python bench/bench_cli.py --warehouse big.duckdb --runs 7

Issue 18 §7 targets: --help and version ≤ 0.2 s, segment count ≤ 0.4 s (on the 1M warehouse). A bare
`python -c pass` is timed too: the interpreter's own start is the floor no command can go under. CPU seconds
(user + system of the process) are what a busy machine does not inflate; the load average is printed beside.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

DEFAULT = Path(".bench") / "cli-demo.duckdb"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(args: list[str], runs: int, cwd: Path, warmup: int = 1) -> tuple[float, float]:
    """Median wall and CPU seconds of `args` over `runs` fresh processes (after `warmup` runs)."""
    env = {k: v for k, v in os.environ.items() if k != "SIYU_WAREHOUSE"}
    walls, cpus = [], []
    for i in range(runs + warmup):
        t0, c0 = time.perf_counter(), _children_cpu()
        done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(args)} failed ({done.returncode}): {done.stderr.strip()[-400:]}")
        if i >= warmup:
            walls.append(time.perf_counter() - t0)
            cpus.append(_children_cpu() - c0)
    return statistics.median(walls), statistics.median(cpus)


def _mib(path: Path) -> float:
    """Disk blocks a file really takes (a clone shares them, see siyu.engine.snapshot.copy_file)."""
    return path.stat().st_blocks * 512 / 2**20 if path.exists() else 0.0


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
    print(f"{'':28s} {'wall':>8s} {'cpu':>8s}")
    for label, command in rows:
        wall, cpu = timed(command, args.runs, cwd)
        print(f"{label:28s} {wall:6.3f} s {cpu:6.3f} s")
    answer = subprocess.run(rows[-1][1], cwd=cwd, capture_output=True, text=True).stdout.strip()
    print(f"segment count answered {answer} persons on {warehouse.name}")
    wall, cpu = timed([*siyu, "migrate", "-w", str(warehouse)], max(1, args.runs // 2), cwd, warmup=0)
    print(f"{'siyu migrate (publishes)':28s} {wall:6.3f} s {cpu:6.3f} s")
    snapshot = warehouse.with_name(f"{warehouse.stem}.published{warehouse.suffix}")
    base, copy = _mib(warehouse), _mib(snapshot)
    print(f"disk: warehouse {base:,.0f} MiB, published snapshot {copy:,.0f} MiB "
          f"(the snapshot takes {100 * copy / base if base else 0:.0f}% of the warehouse)")
    print(f"load average after:  {_load()}")


if __name__ == "__main__":
    main()
