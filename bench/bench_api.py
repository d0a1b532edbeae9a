"""Benchmark: the HTTP API under 20 concurrent clients on loopback, against the same queries run directly on
DuckDB (the floor: the persons and segment layers on one read-only connection, no HTTP, one at a time).

    python bench/bench_api.py                         # 1M persons (builds /tmp/siyu-bench-api/)
    python bench/bench_api.py --persons 20000         # smaller
    python bench/bench_api.py --warehouse X.duckdb    # a demo warehouse (its snapshot gets the 360 card and indexes)

The server is `siyu serve` in its own process, run once with 1 worker and once with --workers N (default: the
number of cores). The clients are wrk's 20 connections when wrk is installed (`apt-get install wrk`; bench/wrk.py:
a closed loop in C, 2 s untimed warm-up, then `--seconds` timed per kind), else one asyncio/httpx process with
20 connections, each doing a bounded number of requests per kind after one untimed warm-up request. Python
clients on the same cores cost about as much CPU per request as the server, so their figures are the clients'
and the server's together; wrk's are the server's. Prints p50/p95 (and p99 and throughput with wrk) per kind for
the API and for the floor, and the load average beside each (other work on the machine slows a run down).
`health` is the HTTP floor: the same clients on an endpoint that does no work; with 20 closed-loop clients a
latency is about 20 / throughput.
Targets from issue 10 at 1M persons: 360 view p95 <= 100 ms, search p95 <= 50 ms, segment count p95 <= 300 ms.

The web console (issue 12): one logged-in browser session, one request at a time, times the server's whole
answer for the home page, a customer 360 page and the builder's live count (POST /segments/count with the session
cookie and the CSRF header, as the page's script sends it).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import duckdb
import httpx
import wrk

SEGMENTS = ["orders >= 2 and city = '上海市'", "net_spend > 1000 and in_private_domain",
            "has_tag('active') and orders_365d >= 3", "recency_days > 180 and p_alive < 0.5"]
CLIENTS = 20


def build(path: Path, persons: int) -> None:
    from siyu.demo.build import build_demo
    from siyu.demo.config import DemoConfig

    t0 = time.perf_counter()
    build_demo(path, DemoConfig(persons=persons, start=dt.date(2025, 11, 1), end=dt.date(2026, 10, 31)),
               direct=True)
    print(f"demo brand built in {time.perf_counter() - t0:.1f} s (not part of the figures)")


def sample(path: Path, n: int) -> tuple[list[str], list[str]]:
    """Random person ids and full phones to ask for."""
    with duckdb.connect(str(path), read_only=True) as con:
        ids = [r[0] for r in con.execute(f"SELECT person_id FROM person_profile USING SAMPLE {n} ROWS").fetchall()]
        phones = [r[0] for r in con.execute(
            f"SELECT phone FROM identities WHERE regexp_matches(phone, '^1[0-9]{{10}}$') USING SAMPLE {n} ROWS"
        ).fetchall()]
    return ids, phones


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def report(label: str, times: list[float]) -> None:
    ms = [t * 1000 for t in times]
    print(f"{label:<48} n={len(ms):5d}  p50 {pct(ms, 50):8.1f} ms  p95 {pct(ms, 95):8.1f} ms")


def floor(path: Path, ids: list[str], phones: list[str], per_kind: int) -> dict[str, list[float]]:
    """The same work as each endpoint, in-process, one call at a time."""
    from siyu.api.warehouse import Serving
    from siyu.persons import Query, person_360, search
    from siyu.persons.scope import Scope
    from siyu.segment.language import segment_sql
    from siyu.segment.vocabulary import vocabulary

    serving = Serving(path)
    out: dict[str, list[float]] = {}

    def run(kind: str, fn: Callable[[Any, int], object]) -> None:
        times = []
        for i in range(per_kind):
            with serving.reader() as eng:
                t0 = time.perf_counter()
                fn(eng, i)
                times.append(time.perf_counter() - t0)
        out[kind] = times

    run("search", lambda e, i: search(e, Query(phone=phones[i % len(phones)]), Scope()))
    run("360", lambda e, i: person_360(e, ids[i % len(ids)], Scope()))
    with serving.reader() as eng:  # read once per snapshot, as the service does
        words = vocabulary(eng)
    run("segment count", lambda e, i: e.scalar(
        f"SELECT count(*) FROM ({segment_sql(SEGMENTS[i % len(SEGMENTS)], words)}) s"))
    run("metrics", lambda e, i: e.query(
        "SELECT * FROM metric_value WHERE grain = 'month' AND slice = 'channel' ORDER BY metric, slice_value, "
        "period LIMIT 100").num_rows)
    serving.close()
    return out


async def load(url: str, token: str, ids: list[str], phones: list[str], per_kind: int) -> dict[str, list[float]]:
    """CLIENTS connections share the work of each kind in turn; returns each request's latency."""
    headers = {"Authorization": f"Bearer {token}"}
    kinds: dict[str, Callable[[int], tuple[str, str, dict[str, Any]]]] = {
        "health (the HTTP floor)": lambda i: ("GET", "/health", {}),
        "search": lambda i: ("GET", "/persons", {"params": {"phone": phones[i % len(phones)]}}),
        "360": lambda i: ("GET", f"/persons/{ids[i % len(ids)]}", {}),
        "segment count": lambda i: ("POST", "/segments/count", {"json": {"expression": SEGMENTS[i % len(SEGMENTS)]}}),
        "metrics": lambda i: ("GET", "/metrics", {"params": {"grain": "month", "slice": "channel", "limit": 100}}),
    }
    out: dict[str, list[float]] = {}
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=120, limits=limits) as client:
        for kind, make in kinds.items():
            times: list[float] = []
            queue = iter(range(per_kind))

            async def worker(make: Callable[[int], tuple[str, str, dict[str, Any]]] = make,
                             queue: Any = queue, times: list[float] = times) -> None:
                method, path, kw = make(0)
                await client.request(method, path, **kw)  # warm-up, untimed: the connection and first pages
                for i in queue:
                    method, path, kw = make(i)
                    t0 = time.perf_counter()
                    r = await client.request(method, path, **kw)
                    times.append(time.perf_counter() - t0)
                    if r.status_code != 200:
                        raise RuntimeError(f"{method} {path}: {r.status_code} {r.text[:200]}")

            await asyncio.gather(*(worker() for _ in range(CLIENTS)))
            out[kind] = times
    return out


def wrk_load(url: str, token: str, ids: list[str], phones: list[str], seconds: int) -> dict[str, wrk.Result]:
    """The same kinds of request from wrk's 20 connections (C, a few microseconds of CPU per request)."""
    body = [json.dumps({"expression": e}) for e in SEGMENTS]
    kinds = {
        "health (the HTTP floor)": [wrk.Request("GET", "/health")],
        "search": [wrk.Request("GET", f"/persons?phone={quote(p)}") for p in phones],
        "360": [wrk.Request("GET", f"/persons/{quote(i)}") for i in ids],
        "segment count": [wrk.Request("POST", "/segments/count", b) for b in body],
        "metrics": [wrk.Request("GET", "/metrics?grain=month&slice=channel&limit=100")],
    }
    out = {}
    for kind, requests in kinds.items():
        out[kind] = result = wrk.run(url, requests, {"Authorization": f"Bearer {token}"}, connections=CLIENTS,
                                     seconds=seconds)
        if result.bad:
            raise RuntimeError(f"{kind}: {result.bad} of {result.requests} requests failed")
    return out


def report_wrk(label: str, r: wrk.Result) -> None:
    print(f"{label:<48} n={r.requests:5d}  p50 {r.p50_ms:8.1f} ms  p95 {r.p95_ms:8.1f} ms  "
          f"p99 {r.p99_ms:8.1f} ms  {r.per_second:6.0f}/s")


CONSOLE_USER, CONSOLE_PASSWORD = "bench-console", "bench-console-pw"


def console(url: str, ids: list[str], per_kind: int) -> dict[str, list[float]]:
    """Console pages as a logged-in browser gets them, one at a time: the server's time to the last byte."""
    out: dict[str, list[float]] = {"console home": [], "console 360": [], "console segment count": []}
    with httpx.Client(base_url=url, timeout=120) as client:
        login = client.post("/auth/login", json={"name": CONSOLE_USER, "password": CONSOLE_PASSWORD})
        login.raise_for_status()
        csrf = {"X-CSRF-Token": login.json()["csrf_token"]}
        for i in range(per_kind):
            for kind, method, path, kw in (
                    ("console home", "GET", "/console/", {}),
                    ("console 360", "GET", f"/console/customers/{ids[i % len(ids)]}", {}),
                    ("console segment count", "POST", "/segments/count",
                     {"json": {"expression": SEGMENTS[i % len(SEGMENTS)]}, "headers": csrf})):
                t0 = time.perf_counter()
                r = client.request(method, path, **kw)
                out[kind].append(time.perf_counter() - t0)
                if r.status_code != 200:
                    raise RuntimeError(f"{method} {path}: {r.status_code} {r.text[:200]}")
    return out


def serve(path: Path, port: int, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    from siyu.auth.users import add_user, create_token, get_user
    from siyu.config.settings import load_settings
    from siyu.errors import UserError
    from siyu.store import open_store, store_url

    store = open_store(store_url(load_settings(None), path))
    try:
        get_user(store, "bench")
    except UserError:
        add_user(store, "bench", "analyst")
    try:
        get_user(store, CONSOLE_USER)
    except UserError:
        add_user(store, CONSOLE_USER, "analyst", password=CONSOLE_PASSWORD)
    token = create_token(store, "bench", "bench_api")
    proc = subprocess.Popen([sys.executable, "-m", "siyu", "serve", "--warehouse", str(path), "--port", str(port),
                             "--workers", str(workers)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seen: set[str] = set()
    for _ in range(1200):  # every worker up (each opens the snapshot), not just the first
        try:
            seen.add(httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).headers["x-siyu-worker"])
            if len(seen) == workers:
                return proc, token
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("siyu serve did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--warehouse", type=Path)
    parser.add_argument("--requests", type=int, default=400, help="requests per kind")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="the multi-worker run's workers")
    parser.add_argument("--client", choices=("wrk", "python"), default="wrk" if wrk.WRK else "python",
                        help="the load generator: wrk (C; the default when installed) or 20 asyncio httpx clients")
    parser.add_argument("--seconds", type=int, default=10, help="with wrk: the timed run's length per kind")
    args = parser.parse_args()
    if args.client == "python":
        print("clients: Python asyncio/httpx on the same cores (install wrk for the server's own figures)")
    path = args.warehouse or Path(f"/tmp/siyu-bench-api/demo-{args.persons}.duckdb")
    if not path.exists():
        build(path, args.persons)
    from siyu.api.warehouse import serving_path
    from siyu.engine.snapshot import publish
    from siyu.persons.card import CARD_SHAPE
    from siyu.persons.finder import SEARCH_TABLE
    from siyu.persons.indexes import index_snapshot

    t0 = time.perf_counter()
    if serving_path(path) == path:  # never published: publish it, as a run would
        publish(path, prepare=index_snapshot)
    else:  # the card, search table and indexes belong on the snapshot the service reads (an older demo published
        # without them or with an older card)
        with duckdb.connect(str(serving_path(path)), read_only=True) as con:
            ready = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name IN ($c, $s)",
                                {"c": CARD_SHAPE, "s": SEARCH_TABLE}).fetchone() == (2,)
        if not ready:
            index_snapshot(serving_path(path))
    with duckdb.connect(str(serving_path(path)), read_only=True) as con:
        persons = con.execute("SELECT count(*) FROM person_profile").fetchone()[0]  # type: ignore[index]
    print(f"{persons:,} persons; serving indexes on the published snapshot in {time.perf_counter() - t0:.1f} s")
    ids, phones = sample(serving_path(path), 2000)
    random.seed(7)
    print(f"{os.cpu_count()} cores; other work on the machine slows every figure: see the load averages")
    print(f"load before the floor: {load_average()}")
    for kind, times in floor(path, ids, phones, min(args.requests, 200)).items():
        report(f"floor (DuckDB direct) {kind}", times)
    for workers in dict.fromkeys((1, args.workers)):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        proc, token = serve(path, port, workers)
        print(f"load before {workers} worker(s): {load_average()}")
        url = f"http://127.0.0.1:{port}"
        try:
            if args.client == "wrk":
                for kind, result in wrk_load(url, token, ids, phones, args.seconds).items():
                    report_wrk(f"API, wrk {CLIENTS} conns, {workers} worker(s): {kind}", result)
            else:
                for kind, times in asyncio.run(load(url, token, ids, phones, args.requests)).items():
                    report(f"API, {CLIENTS} clients, {workers} worker(s): {kind}", times)
            pages = console(url, ids, min(args.requests, 100)) if workers == 1 else {}
        finally:
            proc.terminate()
            proc.wait(30)
        for kind, times in pages.items():
            report(f"1 browser: {kind}", times)
        print(f"load after {workers} worker(s): {load_average()}")


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
