"""CLV fit and scoring speed: siyu vs lifetimes 0.11.3 and PyMC-Marketing (MAP), at 2357, 100k and 1M customers.

Prints a table (seconds, peak memory growth, ratio peer/siyu). Data: the CDNOW sample summary, and customers
simulated from the BG/NBD fitted on it (first purchases spread over 12 weeks, 39-week calibration, times in
whole days, as summaries from order dates are), with Gamma-Gamma spend. Every fit runs in a fresh process.
Peers live in their own pinned virtualenvs: create them first with `bash bench/peers/setup_peers.sh`;
missing peers are reported and skipped.

    python bench/bench_clv.py [--sizes 2357,100000,1000000] [--no-peers] [--models bgnbd,pnbd,mbgnbd,gg]

With `--warehouse FILE.duckdb` it instead times the pipeline's clv step on that warehouse (a copy: the step
writes clv_model and clv_score), phase by phase, with DuckDB capped at `--memory-limit`:

    flock /tmp/siyu-big.lock python bench/bench_clv.py --warehouse /tmp/me/demo.duckdb --memory-limit 4GB
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from siyu.clv.comparison import SOURCE
from siyu.clv.gammagamma import GammaGamma
from siyu.clv.predictions import expected_value, score
from siyu.clv.selection import MODELS
from siyu.clv.simulate import simulate_bgnbd
from siyu.clv.summary import Period, Summary, summarise
from siyu.clv.transactions import Columns, load_transactions
from siyu.engine.duckdb_engine import DuckDBEngine

HERE = Path(__file__).parent
WORKER = HERE / "peers" / "fit_worker.py"
PEERS_ROOT = Path(os.environ.get("SIYU_PEERS", "/tmp/siyu-peers"))
PEERS = {"lifetimes": PEERS_ROOT / "lifetimes" / "bin" / "python", "pymc": PEERS_ROOT / "pymc" / "bin" / "python"}
CDNOW = Path("/work/shared/data/CDNOW_sample.txt")
BG = (0.243, 4.414, 0.793, 2.426)
GG = (6.25, 3.74, 15.44)
PEER_TIMEOUT = 900


def cdnow() -> Summary:
    rows = load_transactions(CDNOW, Columns("col1", "col3", "col5"))
    with DuckDBEngine(":memory:") as engine:
        engine.write_arrow("clv_transactions", rows, mode="replace")
        return summarise(engine, SOURCE, Period(dt.date(1997, 9, 30), None, "weeks"))


def simulated(n: int, seed: int = 1) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    T = (273 - rng.integers(0, 84, n)) / 7
    x, t_x, T = simulate_bgnbd(n, *BG, T=T, seed=seed, days_per_unit=7)
    p, q, g = GG
    nu = rng.gamma(q, 1.0 / g, n)
    m = np.where(x > 0, rng.gamma(p * np.maximum(x, 1), 1.0 / (np.maximum(x, 1) * nu)), np.nan)
    return {"x": x, "t_x": t_x, "T": T, "m": m}


def run_worker(python: Path, lib: str, model: str, data: Path) -> dict[str, object]:
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    try:
        out = subprocess.run([str(python), str(WORKER), lib, model, str(data)], capture_output=True, text=True,
                             timeout=PEER_TIMEOUT, env=env)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {PEER_TIMEOUT} s"}
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        return {"error": (out.stderr.strip().splitlines() or ["no output"])[-1][:200]}
    result: dict[str, object] = json.loads(lines[-1])
    return result


def bench_scoring(n: int, data: dict[str, np.ndarray]) -> tuple[float, float]:
    """(in-process scoring of the arrays, the step's path: map_batches over a DuckDB table → clv_score written)."""
    import pyarrow as pa

    from siyu.clv.scoring import CLV_SCORE, ScoreSpec, make_scorer

    period = Period(dt.date(1997, 9, 30), None, "weeks")
    summary = Summary([str(i) for i in range(n)], data["x"], data["t_x"], data["T"], data["m"], np.zeros(n), period)
    pnbd = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
    model = MODELS["pnbd"](pnbd)
    spend = GammaGamma({"p": GG[0], "q": GG[1], "gamma": GG[2]})
    began = time.perf_counter()
    aov = expected_value(spend, summary, spend.population_mean())
    score(model, summary, aov, 365, 0.10, 1.0)
    in_process = time.perf_counter() - began
    spec = ScoreSpec("pnbd", pnbd, dict(zip(("p", "q", "gamma"), GG, strict=True)), spend.population_mean(), 7.0,
                     365, 0.10, 1.0, dt.datetime(1997, 10, 1))
    with DuckDBEngine(":memory:") as engine:
        engine.write_arrow("summary", pa.table({"person_id": pa.array(summary.customer_id), "x": data["x"],
                                                "t_x": data["t_x"], "T": data["T"], "mean_value": data["m"]}),
                           mode="replace")
        began = time.perf_counter()
        engine.map_batches("SELECT * FROM summary", make_scorer(spec), CLV_SCORE, "clv_score")
        via_engine = time.perf_counter() - began
    return in_process, via_engine


def bench_warehouse(path: Path, memory_limit: str, model: str) -> None:
    """The clv step on a warehouse, timed phase by phase (what `siyu run --steps clv` does)."""
    import resource

    from siyu.clv import warehouse as wh
    from siyu.config import Settings

    timings: dict[str, float] = {}

    def timed(name: str, fn):  # type: ignore[no-untyped-def]
        def wrapper(*a, **k):  # type: ignore[no-untyped-def]
            began = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                timings[name] = timings.get(name, 0.0) + time.perf_counter() - began
        return wrapper

    wh._choose = timed("choose model on a holdout (summary grouped on the engine + 3 fits)", wh._choose)
    wh.grouped_fit_data = timed("grouped summary rows → driver", wh.grouped_fit_data)
    wh.fit_models = timed("fits", wh.fit_models)
    wh._spend = timed("Gamma-Gamma fit", wh._spend)
    engine = DuckDBEngine(path, memory_limit=memory_limit)
    engine.create_table_as = timed("per-person summary table (SQL)", engine.create_table_as)  # type: ignore[method-assign]
    engine.map_batches = timed("scoring every person (map_batches, written)", engine.map_batches)  # type: ignore[method-assign]
    began = time.perf_counter()
    rows_in, rows_out, message = wh.run_clv(engine, Settings(sections={"clv": {"model": model}}))
    total = time.perf_counter() - began
    engine.close()
    print(f"# clv step on {path}: {rows_in:,} orders → {rows_out:,} persons; {message}")
    print(f"# DuckDB memory_limit {memory_limit}, load average {os.getloadavg()}")
    for name, secs in timings.items():
        print(f"  {secs:8.2f} s  {name}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  {total:8.2f} s  total (peak RSS {peak:,.0f} MB)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="2357,100000,1000000")
    ap.add_argument("--models", default="bgnbd,pnbd,mbgnbd,gg")
    ap.add_argument("--no-peers", action="store_true")
    ap.add_argument("--peers", default="lifetimes,pymc")
    ap.add_argument("--warehouse", type=Path, help="time the clv step on this DuckDB warehouse (it is written)")
    ap.add_argument("--memory-limit", default="4GB")
    ap.add_argument("--model", default="auto", help="[clv] model for --warehouse")
    args = ap.parse_args()
    if args.warehouse:
        bench_warehouse(args.warehouse, args.memory_limit, args.model)
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    models = args.models.split(",")
    peers = {} if args.no_peers else {k: v for k, v in PEERS.items() if k in args.peers.split(",")}
    for name, python in list(peers.items()):
        if not python.exists():
            print(f"# {name}: no virtualenv at {python.parent.parent} (run bench/peers/setup_peers.sh); skipped")
            del peers[name]
    print(f"# machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{platform.platform()}")
    print(f"# {'n':>9} {'model':7} {'lib':10} {'seconds':>9} {'peak MB':>8} {'× siyu':>8}  parameters")
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            if n == 2357 and CDNOW.exists():
                s = cdnow()
                data = {"x": s.x, "t_x": s.t_x, "T": s.T, "m": s.mean_value}
            else:
                data = simulated(n)
            path = Path(tmp) / f"data_{n}.npz"
            np.savez(path, **data)
            for model in models:
                ours = run_worker(Path(sys.executable), "siyu", model, path)
                rows = [("siyu", ours), *[(name, run_worker(py, name, model, path)) for name, py in peers.items()]]
                base = ours.get("seconds")
                for lib, r in rows:
                    if r.get("error"):
                        print(f"  {n:>9} {model:7} {lib:10} {'—':>9} {'—':>8} {'—':>8}  failed: {r['error']}")
                        continue
                    secs = float(r["seconds"])  # type: ignore[arg-type]
                    ratio = secs / float(base) if base and lib != "siyu" else 1.0  # type: ignore[arg-type]
                    params = ", ".join(f"{k}={v:.3f}" for k, v in r["params"].items())  # type: ignore[union-attr]
                    print(f"  {n:>9} {model:7} {lib:10} {secs:9.3f} {float(r['peak_mb']):8.0f} "  # type: ignore[arg-type]
                          f"{ratio:8.1f}  {params}", flush=True)
            if n >= 100_000:
                arrays, table = bench_scoring(n, data)
                print(f"  {n:>9} score   siyu       {arrays:9.3f}   (P(alive), 90-day orders, 365-day CLV for every "
                      "customer, in process)", flush=True)
                print(f"  {n:>9} score   siyu       {table:9.3f}   (the same through Engine.map_batches on DuckDB, "
                      "read from a table and written as clv_score)", flush=True)


if __name__ == "__main__":
    main()
