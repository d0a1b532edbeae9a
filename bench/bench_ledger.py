"""Member ledger speed: first sync of N orders, a day's delta (≈0.15% of orders new or refunded, the share of
~15k a day in ~10M), and redemptions from 20 concurrent clients (throughput and p99), on SQLite and PostgreSQL.

Orders are synthetic (persons × orders each, Tmall/JD/mini-program, paid over a year); the store is a fresh
SQLite file, and with `--pg URL` (or SIYU_TEST_PG_URL) a fresh PostgreSQL schema, dropped after. Redemptions
are measured twice: straight to siyu.loyalty, and through the HTTP API (`POST /loyalty/persons/{id}/redeem` on a
real uvicorn on loopback, each client its own keep-alive connection, each request with its Idempotency-Key, token
check and audit row; the clients share the server's process and its GIL, so the HTTP figures are a lower bound;
each client first sends HTTP_WARM_UP untimed redemptions, so p99 is that of a running server, not of its first
requests).
Prints one line per store with the load average. `--before` also times the first sync the way it was posted
before the bulk path (one posting statement per order and per release, 500 orders per transaction) on a fresh
store, for a before/after at the same size and load; `--sync-only` skips the delta and the redemptions.

`--workers N` measures HTTP against `siyu serve --workers N` in its own processes (as deployed; the clients no
longer share the server's GIL), with wrk as the client when it is installed (bench/wrk.py: a C client, so the
cores are the server's; 20 connections over the members holding 20 points or more, for 10 s after a warm-up);
`--redeem-only` skips the delta; `--delta-only` skips the redemptions; `--day N` makes the day N changed orders
(two refunds to a new order); `--stores sqlite` measures one store. With wrk, HTTP is measured twice: paced at
`--rate` redemptions/s offered (default 300, the target; latency from each request's intended send time, so a
slow answer's wait counts: no coordinated omission), then the closed loop at saturation (throughput; its latency
is mostly the queue of 20 connections sending again the moment they are answered). The day's delta is the
`loyalty` step's store-side work for a day: the day's changed orders alone (what the step reads since its
watermark) with the releases due, expiry of lots and coupons, and the `loyalty_facts` export of the members those
touched (into an in-memory DuckDB warehouse, after a full export at the first sync as the step makes on its first
run). It is printed with its parts and with what a full export of every member (what each run made before the
export was incremental) takes on the same ledger.

    python bench/bench_ledger.py [--orders 20000] [--clients 20] [--redemptions 50] [--pg postgresql://…]
                                 [--before] [--sync-only] [--redeem-only] [--delta-only] [--day 15000]
                                 [--workers 2] [--rate 300] [--stores sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import logging
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import httpx
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa
import uvicorn
import wrk

from siyu.engine.duckdb_engine import DuckDBEngine
from siyu.loyalty import coupons, earning, ledger, lots
from siyu.loyalty.export import export_facts, write_facts
from siyu.loyalty.orders import OrderRow, rows_from_arrow
from siyu.loyalty.rules import LoyaltySettings
from siyu.store import open_store

RULES = LoyaltySettings(channel_multipliers={"miniprogram": Decimal(2)})
TODAY = dt.date(2026, 6, 30)
TODAY_AT = dt.datetime(2026, 6, 30, 12, tzinfo=dt.UTC)
# untimed redemptions each HTTP client sends first: a fresh server opens its pooled connections, compiles and
# prepares its statements on its first requests, which with 1,000 timed requests would be most of the p99
HTTP_WARM_UP = 5
WRK_SECONDS = 10  # wrk's timed run (after its 2 s warm-up)


def orders(n: int, seed: int = 7) -> pa.Table:
    """n synthetic orders of n/10 members as an Arrow table (the OrderRow columns), generated column-wise: 10M
    orders as Python objects would take minutes and several GB before the sync starts."""
    rng = np.random.default_rng(seed)
    persons = pa.array(rng.integers(0, max(n // 10, 1), n)).cast(pa.string())
    days = rng.integers(0, 365, n).astype("timedelta64[D]")
    return pa.table({
        "person_id": pc.binary_join_element_wise("P", pc.utf8_lpad(persons, 10, "0"), ""),
        "channel": pa.array(np.array(["tmall", "jd", "miniprogram"])[rng.integers(0, 3, n)]),
        "order_id": pc.binary_join_element_wise("O", pa.array(np.arange(n)).cast(pa.string()), ""),
        "version": pa.array(np.ones(n, np.int64)),
        "status": pa.array(np.full(n, "paid")),
        "net_fen": pa.array(rng.integers(1_000, 100_000, n)),
        "paid_on": pa.array(np.datetime64(TODAY) - days).cast(pa.date32()),
    })


def delta(rows: pa.Table, seed: int = 8, size: int = 0) -> list[OrderRow]:
    """A day's changes: refunds of 0.1% of orders and 0.05% new orders (or `size` changes in those shares)."""
    rnd = random.Random(seed)
    n = rows.num_rows
    refunds, fresh = (size * 2 // 3, size - size * 2 // 3) if size else (n // 1000, n // 2000)
    sampled = rows.take(pa.array(rnd.sample(range(n), max(refunds, 1))))
    changed = [OrderRow(r.person_id, r.channel, r.order_id, 2, "partially_refunded", r.net_fen // 2, r.paid_on)
               for r in rows_from_arrow(sampled)]
    new = [OrderRow(f"P{rnd.randrange(n // 10 or 1):010d}", "jd", f"N{i}" if seed == 8 else f"N{seed}-{i}", 1,
                    "paid", 9_900, TODAY)
           for i in range(max(fresh, 1))]
    return changed + new


def sync_row_by_row(engine: sa.Engine, rows: list[OrderRow], as_of: dt.date) -> None:
    """The first sync as it ran before the bulk path: per order a state read and posting, per release a posting."""
    from siyu.loyalty.db import lock_persons, write
    from siyu.loyalty.tables import order

    for i in range(0, len(rows), 500):
        batch = rows[i:i + 500]
        with write(engine) as conn:
            lock_persons(conn, [r.person_id for r in batch], TODAY_AT)
            for row in batch:
                earning.post_order(conn, row, RULES, TODAY_AT)
    last_paid = as_of - dt.timedelta(days=RULES.return_window_days)
    with write(engine) as conn:
        due = conn.execute(sa.select(order).where(order.c.released.is_(False), order.c.paid_on <= last_paid)).all()
        lock_persons(conn, {s.person_id for s in due}, TODAY_AT)
        for s in due:
            if s.points:
                ledger.post(conn, f"release:{s.channel}:{s.order_id}", "release", [
                    ledger.person(s.person_id, "points_pending", -s.points, s.lot_id),
                    ledger.person(s.person_id, "points", s.points, s.lot_id)], at=TODAY_AT, person_id=s.person_id,
                    new=True)
            conn.execute(sa.update(order).where(order.c.channel == s.channel, order.c.order_id == s.order_id)
                         .values(released=True))


def stores(pg: str | None, keep: str = "", reuse: str = "") -> Iterator[tuple[str, sa.Engine]]:
    """A fresh SQLite store, then (with `pg`) a fresh PostgreSQL schema dropped after; `keep`: that schema is
    named so and kept; `reuse`: that existing schema is used as it is (a kept ledger, e.g. in a copy of its
    database made by CREATE DATABASE … TEMPLATE) and kept."""
    folder = Path(tempfile.mkdtemp())
    engine = open_store(f"sqlite:///{folder / 'bench.store.sqlite'}")
    yield "sqlite", engine
    engine.dispose()
    if not pg:
        return
    schema = reuse or keep or f"bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(pg.replace("postgresql://", "postgresql+psycopg://", 1))
    if not reuse:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    engine = open_store(f"{pg}{'&' if '?' in pg else '?'}options=-csearch_path%3D{schema}")
    try:
        yield "postgresql", engine
    finally:
        engine.dispose()
        if not (keep or reuse):
            with admin.begin() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


def redemptions(engine: sa.Engine, clients: int, each: int) -> tuple[float, float, int]:
    """(redemptions per second, p99 ms, refused) for `clients` threads redeeming 1 point `each` times."""
    rich = rich_persons(engine, clients, each)
    latencies: list[float] = []
    refused = 0
    gate = threading.Barrier(len(rich))
    lock = threading.Lock()

    def client(person: str) -> None:
        nonlocal refused
        gate.wait()
        for i in range(each):
            t = time.perf_counter()
            try:
                lots.redeem(engine, person, 1, f"bench:{person}:{i}")
            except ledger.InsufficientBalance:
                with lock:
                    refused += 1
            with lock:
                latencies.append(time.perf_counter() - t)

    threads = [threading.Thread(target=client, args=(p,)) for p in rich]
    t0 = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    seconds = time.perf_counter() - t0
    p99 = statistics.quantiles(latencies, n=100)[98] * 1000 if len(latencies) > 1 else 0.0
    return len(latencies) / seconds, p99, refused


def rich_persons(engine: sa.Engine, count: int, points: int) -> list[str]:
    with engine.connect() as conn:
        return [p for (p, kind), v in ledger.all_balances(conn).items() if kind == "points" and v >= points][:count]


def _operator_token(engine: sa.Engine) -> str:
    """A fresh operator's token (redeeming needs operator rights)."""
    from siyu.auth.users import add_user, create_token

    name = f"bench-{uuid.uuid4().hex[:6]}"
    add_user(engine, name, "operator")
    return create_token(engine, name, "bench")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(engine: sa.Engine, folder: Path) -> tuple[uvicorn.Server, threading.Thread, str, str]:
    """`siyu serve` over the store in a thread on a free loopback port: (server, thread, url, admin token)."""
    from siyu.api.app import create_app
    from siyu.api.context import service_config
    from siyu.config.settings import load_settings

    cfg = service_config(folder / "bench.duckdb", load_settings(None), engine)  # redeeming never reads it
    token, port = _operator_token(engine), _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(cfg), host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return server, thread, f"http://127.0.0.1:{port}", token


@contextmanager
def serve_apart(engine: sa.Engine, folder: Path, workers: int) -> Iterator[tuple[str, str, int]]:
    """`siyu serve --workers N` over the store in its own processes, as deployed (the clients no longer share
    the server's GIL): (url, admin token, the server's process id)."""
    import duckdb

    duckdb.connect(str(folder / "bench.duckdb")).close()  # redeeming never reads it; serve wants it to exist
    store = engine.url.render_as_string(hide_password=False).replace("+psycopg", "")
    (folder / "siyu.toml").write_text(f'warehouse = "bench.duckdb"\n\n[store]\nurl = "{store}"\n')
    token, port = _operator_token(engine), _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "siyu", "serve", "--port", str(port), "--workers", str(workers),
                             "--config", str(folder / "siyu.toml")], cwd=folder, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield url, token, proc.pid
    finally:
        proc.terminate()
        proc.wait(30)


def http_redemptions(engine: sa.Engine, clients: int, each: int, workers: int = 0,
                     rate: float = 0) -> tuple[float, float, int]:
    """(redemptions per second, p99 ms, refused) through the HTTP API, `clients` threads × `each` requests;
    `workers` > 0: against `siyu serve --workers N` in other processes, else a uvicorn in this process."""
    if workers and wrk.WRK:
        with serve_apart(engine, Path(tempfile.mkdtemp()), workers) as (url, token, pid):
            return _wrk_clients(engine, url, token, clients, rate)
    if workers:
        with serve_apart(engine, Path(tempfile.mkdtemp()), workers) as (url, token, pid):
            rich = rich_persons(engine, clients, each + HTTP_WARM_UP)
            server, spent = _server_cpu(pid), time.process_time()
            result = _http_clients(url, token, rich, each)
            n = len(rich) * each
            print(f"{'':10} CPU per HTTP redemption: server processes {(_server_cpu(pid) - server) / n * 1000:.2f} ms,"
                  f" the clients {(time.process_time() - spent) / n * 1000:.2f} ms", flush=True)
            return result
    rich = rich_persons(engine, clients, each + HTTP_WARM_UP)
    server, thread, url, token = serve(engine, Path(tempfile.mkdtemp()))
    try:
        return _http_clients(url, token, rich, each)
    finally:
        server.should_exit = True
        thread.join(10)


def _wrk_clients(engine: sa.Engine, url: str, token: str, clients: int, rate: float) -> tuple[float, float, int]:
    """wrk's `clients` connections redeem 1 point at a time from the members holding at least 20, in turn, each
    request with its own Idempotency-Key: the server's figures, without Python clients on the same cores. Twice:
    paced at `rate` redemptions/s offered (latency from each request's intended send time: the service at that
    load), then a closed loop at saturation (the most it does, latency mostly queue); prints both."""
    rich = rich_persons(engine, 5000, 20)
    requests = [wrk.Request("POST", f"/loyalty/persons/{quote(p)}/redeem", '{"points": 1}') for p in rich]
    headers = {"Authorization": f"Bearer {token}"}
    if rate > 0:
        p = wrk.paced(url, requests, headers, rate=rate, connections=clients, seconds=WRK_SECONDS,
                      unique_header="Idempotency-Key")
        load = os.getloadavg()
        print(f"{'':10} paced {p.offered:,.0f}/s offered, {clients} connections, {WRK_SECONDS} s: achieved "
              f"{p.per_second:,.0f}/s ({p.requests:,} answered, {p.bad} not 2xx), from the intended send time "
              f"p50 {p.p50_ms:.1f} ms, p95 {p.p95_ms:.1f} ms, p99 {p.p99_ms:.1f} ms, max {p.max_ms:.0f} ms | "
              f"load {load[0]:.1f}", flush=True)
    r = wrk.run(url, requests, headers, connections=clients, seconds=WRK_SECONDS, unique_header="Idempotency-Key")
    load = os.getloadavg()
    print(f"{'':10} saturation (closed loop) {clients} connections over {len(rich):,} members, {WRK_SECONDS} s: "
          f"{r.per_second:,.0f}/s ({r.requests:,} redemptions, {r.bad} not 2xx), p50 {r.p50_ms:.1f} ms, "
          f"p95 {r.p95_ms:.1f} ms, p99 {r.p99_ms:.1f} ms | load {load[0]:.1f}", flush=True)
    return r.per_second, r.p99_ms, r.bad


def _server_cpu(pid: int) -> float:
    """CPU seconds used so far by `siyu serve` (process `pid`) and its workers: the server's own cost, which the
    machine's other load moves little."""
    import psutil

    root = psutil.Process(pid)
    total = 0.0
    for proc in [root, *root.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess):
            times = proc.cpu_times()
            total += times.user + times.system
    return total


def _http_clients(url: str, token: str, rich: list[str], each: int) -> tuple[float, float, int]:
    latencies: list[float] = []
    refused = 0
    gate = threading.Barrier(len(rich))
    lock = threading.Lock()

    def client(person: str) -> None:
        nonlocal refused
        with httpx.Client(base_url=url, timeout=120, headers={"Authorization": f"Bearer {token}"}) as http:
            for _ in range(HTTP_WARM_UP):  # untimed: a running server has its connections and plans already
                http.post(f"/loyalty/persons/{person}/redeem", json={"points": 1},
                          headers={"Idempotency-Key": str(uuid.uuid4())})
            gate.wait()
            for _ in range(each):
                t = time.perf_counter()
                r = http.post(f"/loyalty/persons/{person}/redeem", json={"points": 1},
                              headers={"Idempotency-Key": str(uuid.uuid4())})
                with lock:
                    latencies.append(time.perf_counter() - t)
                    refused += r.status_code != 201

    threads = [threading.Thread(target=client, args=(p,)) for p in rich]
    t0 = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    seconds = time.perf_counter() - t0
    p99 = statistics.quantiles(latencies, n=100)[98] * 1000 if len(latencies) > 1 else 0.0
    return len(latencies) / seconds, p99, refused


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--orders", type=int, default=20_000)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--redemptions", type=int, default=50, help="per client")
    ap.add_argument("--pg", default=os.environ.get("SIYU_TEST_PG_URL"))
    ap.add_argument("--before", action="store_true", help="also time the row-by-row first sync")
    ap.add_argument("--ordinary", action="store_true",
                    help="first sync by the batched path (not PostgreSQL's set-based first load)")
    ap.add_argument("--sync-only", action="store_true", help="first sync only")
    ap.add_argument("--redeem-only", action="store_true", help="no delta; redemptions after the first sync")
    ap.add_argument("--delta-only", action="store_true", help="the first sync and the day's delta, no redemptions")
    ap.add_argument("--day", type=int, default=0, help="changed orders in the day's delta (default 0.15%% of them)")
    ap.add_argument("--workers", type=int, default=0,
                    help="HTTP against `siyu serve --workers N` in other processes (0: a server in this process)")
    ap.add_argument("--stores", default="sqlite,postgresql", help="which stores to measure")
    ap.add_argument("--keep", default="", help="PostgreSQL: first sync into this schema and keep it")
    ap.add_argument("--day-number", type=int, default=1,
                    help="the delta is of day N after the first sync, its changes drawn by seed 7 + N: with --reuse, "
                         "each run on a kept ledger one day later than the last")
    ap.add_argument("--reuse", default="", help="PostgreSQL: no first sync; this kept schema's ledger (same --orders)")
    ap.add_argument("--rate", type=float, default=300,
                    help="with --workers and wrk: the paced run's offered redemptions/s (0: saturation only)")
    args = ap.parse_args()
    logging.basicConfig(format="%(asctime)s %(message)s")
    logging.getLogger("siyu.loyalty.firstload").setLevel(logging.INFO)  # the first load's phases, timed
    path = "ordinary" if args.ordinary else "first load"
    rows = orders(args.orders)
    day = delta(rows, seed=7 + args.day_number, size=args.day)
    if args.before:
        for name, engine in stores(args.pg):
            t = time.perf_counter()
            sync_row_by_row(engine, list(rows_from_arrow(rows)), TODAY)
            before = time.perf_counter() - t
            load = os.getloadavg()
            print(f"{name:10} BEFORE (row by row) first sync {rows.num_rows:,} orders {before:6.1f} s "
                  f"({rows.num_rows / before:,.0f}/s) | load {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}", flush=True)
    for name, engine in stores(args.pg, args.keep, args.reuse):
        if name not in args.stores.split(","):
            continue
        t = time.perf_counter()
        # an Arrow table takes the set-based first load on PostgreSQL; --ordinary: orders one by one as Python
        # rows, the batched path every later sync takes
        reused = bool(args.reuse) and name == "postgresql"
        if not reused:
            earning.sync(engine, rows_from_arrow(rows) if args.ordinary else rows, RULES, TODAY)
        first = time.perf_counter() - t
        load = os.getloadavg()
        if not reused:
            print(f"{name:10} {path} first sync {rows.num_rows:,} orders {first:6.1f} s "
                  f"({rows.num_rows / first:,.0f}/s) | load {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}", flush=True)
        if args.sync_only:
            continue
        warehouse = DuckDBEngine(":memory:")
        export_facts(warehouse, engine, TODAY, TODAY_AT, full=True)  # the step's first run: every member
        changed = {(r.channel, r.order_id): r for r in day}  # what the step reads: the day's changes alone
        daily = "" if args.redeem_only else day_delta(engine, warehouse, list(changed.values()),
                                                         args.day_number)
        if args.delta_only:
            load = os.getloadavg()
            made = (f"kept ledger {args.reuse} of {rows.num_rows:,} orders, day {args.day_number}" if reused
                    else f"first sync {rows.num_rows:,} orders {first:6.1f} s ({rows.num_rows / first:,.0f}/s)")
            print(f"{name:10} {made} | {daily} | load {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}", flush=True)
            warehouse.close()
            continue
        rate, p99, refused = redemptions(engine, args.clients, args.redemptions)
        http_rate, http_p99, http_refused = http_redemptions(engine, args.clients, args.redemptions, args.workers,
                                                                args.rate)
        load = os.getloadavg()
        print(f"{name:10} {path} first sync {rows.num_rows:,} orders {first:6.1f} s "
              f"({rows.num_rows / first:,.0f}/s) | "
              f"{daily} | redeem {args.clients} clients {rate:,.0f}/s p99 {p99:.0f} ms ({refused} refused) | "
              f"HTTP{f' {args.workers} workers' if args.workers else ''} {http_rate:,.0f}/s p99 {http_p99:.0f} ms "
              f"({http_refused} refused) | "
              f"load {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}", flush=True)


def day_delta(engine: sa.Engine, warehouse: DuckDBEngine, changed: list[OrderRow], day_number: int = 1) -> str:
    """The step's store-side work for the next day, timed whole and by part: the changed orders and the releases
    due, expiry (lots, then coupons at one moment), the facts of the members touched; then, for comparison, a full
    export of every member on the same ledger (into another warehouse, touches kept)."""
    as_of = TODAY + dt.timedelta(days=day_number)
    at = TODAY_AT + dt.timedelta(days=day_number)
    t0 = time.perf_counter()
    earning.sync(engine, changed, RULES, as_of, at=at)
    t1 = time.perf_counter()
    lots.expire(engine, as_of, at=at)
    coupons.expire(engine, at)
    t2 = time.perf_counter()
    done = export_facts(warehouse, engine, as_of, at)
    t3 = time.perf_counter()
    with DuckDBEngine(":memory:") as other:
        full = write_facts(other, engine, as_of, at, full=True)
    t4 = time.perf_counter()
    return (f"day's delta {len(changed):,} orders: {t3 - t0:5.1f} s (sync + release {t1 - t0:.1f}, expiry "
            f"{t2 - t1:.2f}, facts of {done.members:,} members {t3 - t2:.2f}) | full export of {full.members:,} "
            f"members {t4 - t3:.1f} s")


if __name__ == "__main__":
    main()
