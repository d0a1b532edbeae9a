"""50 redemptions (and 50 stored-value spends) on one member at once, from threads with their own connections:
the balance never goes below zero, exactly the accepted ones are posted, and each refused one posts nothing."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from siyu.loyalty import ledger, lots, wallet
from siyu.loyalty.db import LedgerBusy, write
from siyu.loyalty.tables import posting

from .loyalty_stores import store

CLIENTS = 50


def race(action: Callable[[int], object]) -> tuple[int, int]:
    """Run `action(i)` for 50 clients released together; (accepted, refused)."""
    gate = threading.Barrier(CLIENTS)

    def one(i: int) -> bool:
        gate.wait()
        try:
            action(i)
        except ledger.InsufficientBalance:
            return False
        return True

    with ThreadPoolExecutor(CLIENTS) as pool:
        outcomes = list(pool.map(one, range(CLIENTS)))
    return sum(outcomes), outcomes.count(False)


def count(engine: Engine, type_: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(posting).where(posting.c.type == type_)).scalar_one())


@pytest.fixture(params=["sqlite", "postgresql"])
def busy_db(request: pytest.FixtureRequest, tmp_path: Path) -> object:
    with store(request.param, tmp_path) as engine:
        yield engine


def test_parallel_redemptions_never_overdraw(busy_db: Engine) -> None:
    lots.adjust(busy_db, "P1", 1000, "opening balance for the race", "open")
    accepted, refused = race(lambda i: lots.redeem(busy_db, "P1", 30, f"redeem-{i}"))
    assert (accepted, refused) == (33, 17)  # 33 × 30 = 990 ≤ 1000 < 34 × 30
    with busy_db.connect() as conn:
        assert ledger.balance(conn, "P1", "points") == 1000 - 30 * accepted
        assert ledger.trial_balance(conn) == 0
    assert count(busy_db, "redeem") == accepted
    # the same 50 requests again (a client retrying after a timeout) post nothing new
    race(lambda i: lots.redeem(busy_db, "P1", 30, f"redeem-{i}"))
    assert count(busy_db, "redeem") == accepted


def test_parallel_stored_value_spends_never_overdraw(busy_db: Engine) -> None:
    wallet.topup(busy_db, "P1", 50_000, 5_000, "topup-1")  # ¥500 paid, ¥50 bonus
    accepted, _ = race(lambda i: wallet.spend(busy_db, "P1", 2_000, f"spend-{i}"))
    assert accepted == 27  # 27 × ¥20 = ¥540 ≤ ¥550 < ¥560
    with busy_db.connect() as conn:
        held = ledger.balances(conn, "P1")
    assert (held["sv_principal"], held["sv_gift"]) == (0, 55_000 - 27 * 2_000)
    assert count(busy_db, "spend") == accepted


def test_many_rounds_from_many_clients_all_complete(busy_db: Engine) -> None:
    """20 clients × 10 redemptions each: none fails on a busy database (SQLite's busy handler is not fair, so a
    writer may wait past the timeout; the write transaction tries again)."""
    for p in range(20):
        lots.adjust(busy_db, f"P{p}", 10, "opening balance", f"open-{p}")
    gate = threading.Barrier(20)
    errors: list[BaseException] = []

    def client(p: int) -> None:
        gate.wait()
        for i in range(10):
            try:
                lots.redeem(busy_db, f"P{p}", 1, f"r-{p}-{i}")
            except BaseException as exc:  # any failure is the test's failure
                errors.append(exc)

    threads = [threading.Thread(target=client, args=(p,)) for p in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert count(busy_db, "redeem") == 200
    with busy_db.connect() as conn:
        assert all(v == 0 for (_, kind), v in ledger.all_balances(conn).items() if kind == "points")


def test_a_sqlite_writer_waits_for_another_process_turn_and_gives_up_past_its_patience(tmp_path: Path) -> None:
    """Another process's writer holds the store's writer lock file (here a descriptor of our own: flock locks
    conflict between open files as between processes): a write with 0.3 s of patience gives up (LedgerBusy, as
    the API answers 503) and keeps nothing; a redemption waits and posts the moment the holder lets go."""
    with store("sqlite", tmp_path) as engine:
        lots.adjust(engine, "P1", 10, "opening balance", "open")
        other = os.open(f"{engine.url.database}-writer", os.O_RDWR)
        try:
            fcntl.flock(other, fcntl.LOCK_EX)
            start = time.monotonic()
            with pytest.raises(LedgerBusy), write(engine, patience_s=0.3) as conn:
                lots.redeem(conn, "P1", 5, "gave-up")
            assert time.monotonic() - start >= 0.3
            threading.Timer(0.2, fcntl.flock, (other, fcntl.LOCK_UN)).start()
            lots.redeem(engine, "P1", 3, "waited")
        finally:
            os.close(other)
        with engine.connect() as conn:
            assert ledger.balance(conn, "P1", "points") == 7
        assert count(engine, "redeem") == 1
