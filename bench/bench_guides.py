"""Benchmark: a month of store-guide attribution, every guide's statement, the leaderboard and the KOC monthly
evaluation on the demo brand, against a bare DuckDB scan of what they read (the floor).

    python bench/bench_guides.py                       # 20,000 persons (builds /tmp/siyu-bench-guides/)
    python bench/bench_guides.py --persons 1000000     # the issue's 1M target
    python bench/bench_guides.py --warehouse X.duckdb  # reuse a demo warehouse (opened read-only)

Prints each figure in seconds, its ratio to the floor, and the load average (other work slows a run down).
Target from issue 14: monthly evaluation and attribution for a month ≤ 60 s at 1M persons.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

FLOOR = [
    "SELECT count(*), count(DISTINCT channel_uid), sum(net_amount), sum(refund_amount), max(paid_at), "
    "count(staff_id), count(share_staff_id), count(store_id) FROM orders",
    "SELECT count(*), count(DISTINCT customer_id), max(sent_at), count(staff_id), count(group_id) FROM messages",
    "SELECT count(*), count(DISTINCT external_userid), max(added_at), count(state) FROM contacts",
    "SELECT count(*), count(DISTINCT member_id), max(event_at) FROM group_events",
    "SELECT count(*), count(DISTINCT person_id) FROM person_map",
]


def timed(label: str, fn: Callable[..., Any], *args: Any) -> tuple[Any, float]:
    t0 = time.perf_counter()
    out = fn(*args)
    took = time.perf_counter() - t0
    print(f"{label:<48} {took:8.2f} s   load {os.getloadavg()[0]:.2f}")
    return out, took


def build(path: Path, persons: int) -> None:
    from siyu.demo.build import build_demo
    from siyu.demo.config import DemoConfig

    t0 = time.perf_counter()
    build_demo(path, DemoConfig(persons=persons))
    print(f"{'demo brand built (not part of the figures)':<48} {time.perf_counter() - t0:8.2f} s")


def content_tasks(store: Any, people: list[str], day: dt.date) -> None:
    """Three content tasks per KOC due on `day`, one done (what the journeys would have made)."""
    from siyu.journeys.tables import task

    at = dt.datetime.combine(day, dt.time(10), dt.UTC)
    rows = [{"key": f"koc_content:{p}:{day}:{s}", "journey": "koc_content", "person_id": p, "entry_key": str(day),
             "step": s, "kind": "task", "title": s, "draft": "", "created_at": at, "due_at": at,
             "status": "done" if s == "post" else "open", "acted_at": at if s == "post" else None,
             "revenue_fen": 0} for p in people for s in ("post", "topic", "live")]
    with store.begin() as conn:
        conn.execute(task.insert(), rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--persons", type=int, default=20_000)
    ap.add_argument("--warehouse", type=Path)
    args = ap.parse_args()

    from siyu.engine.duckdb_engine import DuckDBEngine
    from siyu.guides.attribution import attribute, revenue_share
    from siyu.guides.commission import month_bounds, statements
    from siyu.guides.leaderboard import leaderboard_sql
    from siyu.guides.settings import GuideSettings
    from siyu.koc import roster
    from siyu.koc.candidates import candidates
    from siyu.koc.evaluation import evaluate_month, rotation
    from siyu.koc.groups import assign, suggest
    from siyu.koc.settings import KocSettings
    from siyu.store import open_store

    path = args.warehouse or Path(f"/tmp/siyu-bench-guides/demo-{args.persons}.duckdb")
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        build(path, args.persons)
    con = duckdb.connect(str(path), read_only=True)
    eng = DuckDBEngine.__new__(DuckDBEngine)
    eng.path, eng.con, eng._depth = str(path), con, 0  # a read-only engine as the service has (siyu.api.warehouse)
    last = eng.scalar("SELECT max(order_date) FROM orders")
    month = f"{(last.replace(day=1) - dt.timedelta(days=1)):%Y-%m}"  # the last full month
    d0, d1 = month_bounds(month)
    orders = eng.scalar(f"SELECT count(*) FROM orders WHERE order_date BETWEEN DATE '{d0}' AND DATE '{d1}'")
    print(f"{path}: {eng.row_count('orders'):,} orders ({orders:,} in {month}), "
          f"{eng.row_count('messages'):,} messages, {eng.row_count('contacts'):,} contacts")

    _, floor = timed("floor: one DuckDB pass over the inputs", lambda: [con.execute(q).fetchall() for q in FLOOR])
    cfg = GuideSettings()
    n, t_attr = timed(f"attribution of {month}", attribute, eng, cfg, d0, d1)
    share, _ = timed("revenue share", revenue_share, eng, cfg, d0, d1)
    print(f"  {n:,} orders attributed; {share['share']:.1%} of net sales through guides")
    st, t_st = timed("every guide's statement (with clawback window)", statements, eng, cfg, month)
    print(f"  {len(st):,} statements, {sum(len(s.lines) for s in st.values()):,} lines")
    _, t_lb = timed("leaderboard", lambda: eng.query(leaderboard_sql(eng, d0, d1)).num_rows)

    kcfg = KocSettings(premium_group_types=["福利群"])
    found, t_cand = timed("KOC candidates (12 months)", candidates, eng, kcfg, d1)
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{tmp}/store.sqlite")
        for r in found[:200]:
            for state in ("candidate", "approved", "active"):
                roster.change(store, r["person_id"], state, "bench", "bench")
        sugg, t_sug = timed("KOC group suggestions", suggest, eng, store, kcfg, d1)
        for s in sugg:
            assign(eng, store, kcfg, s.group_id, s.person_id, "bench")
        content_tasks(store, [r["person_id"] for r in found[:200]], d0 + dt.timedelta(days=9))
        rows, t_eval = timed(f"KOC evaluation of {month}", evaluate_month, eng, store, month)
        moves, t_rot = timed("KOC rotation suggestions", rotation, eng, store, kcfg, month)
        print(f"  {len(found):,} candidates, {len(sugg):,} groups assigned "
              f"({sum(1 for s in sugg if s.persona):,} with a persona match), {len(rows):,} KOCs ranked "
              f"({sum(r['content_done'] for r in rows):,} content tasks done), {len(moves):,} rotation suggestions")
        store.dispose()
    total = t_attr + t_st + t_lb + t_cand + t_sug + t_eval + t_rot
    print(f"{'attribution + statements + leaderboard + KOC month':<48} {total:8.2f} s   "
          f"{total / floor:5.1f}× the floor ({floor:.2f} s)   load {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
