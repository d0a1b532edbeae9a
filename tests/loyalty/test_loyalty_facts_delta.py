"""The facts export writes only the members touched since the last one, and the warehouse still holds exactly what
a full export would: after every day of a random run of orders, refunds, releases, merges, redemptions, manual
credits, coupons, stored value and expiry across a year end, on SQLite and on PostgreSQL. A crash between the
warehouse write and the clearing of the touches only exports those members again; a change made meanwhile keeps
its touch. Expiry settles the lots it emptied and skips them afterwards, until a credit opens one again."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import replace

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine as StoreEngine

from siyu.engine import Engine
from siyu.engine.duckdb_engine import DuckDBEngine
from siyu.loyalty import coupons, earning, ledger, lots, merges, touched, wallet
from siyu.loyalty.export import FACTS, SCHEMA, export_facts, facts, write_facts
from siyu.loyalty.orders import OrderRow
from siyu.loyalty.rules import LoyaltySettings
from siyu.loyalty.tables import lot

RULES = LoyaltySettings(return_window_days=3)  # lots paid in 2025 expire on 2026-12-31
START = dt.date(2026, 12, 22)
DAYS = 16  # across the year end: the 2025 lots expire on the tenth day
PERSONS = [f"P{i:02d}" for i in range(24)]


@pytest.fixture
def warehouse() -> Iterator[Engine]:
    with DuckDBEngine(":memory:") as engine:
        yield engine


def at_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(9), dt.UTC)


def exported(engine: Engine) -> list[tuple[object, ...]]:
    columns = ", ".join(SCHEMA.names)
    return [tuple(r.values()) for r in engine.rows(f"SELECT {columns} FROM {FACTS} ORDER BY {columns}")]


def full_rows(store: StoreEngine, day: dt.date) -> list[tuple[object, ...]]:
    table = facts(store, day, at_of(day))
    return sorted((tuple(r.values()) for r in table.to_pylist()), key=repr)


def points(store: StoreEngine, person: str) -> int:
    with store.connect() as conn:
        return ledger.balance(conn, person, "points")


class Day:
    """One day of random ledger activity, as the step and the API would make it."""

    def __init__(self, store: StoreEngine, rnd: random.Random, orders: dict[tuple[str, str], OrderRow]) -> None:
        self.store, self.rnd, self.orders = store, rnd, orders
        self.merged = 0

    def run(self, day: dt.date, n: int) -> None:
        rnd, at = self.rnd, at_of(day)
        rows = []
        for i in range(rnd.randrange(3, 9)):  # new orders, some paid in 2025 (expiring at the year end)
            paid = rnd.choice([dt.date(2025, 6, 1), day - dt.timedelta(days=rnd.randrange(6)), day])
            row = OrderRow(rnd.choice(PERSONS), rnd.choice(["jd", "tmall"]), f"O{n}-{i}", None, "paid",
                           rnd.randrange(1_000, 40_000), paid)
            rows.append(row)
        for old in rnd.sample(sorted(self.orders.values(), key=lambda o: o.order_id), min(2, len(self.orders))):
            rows.append(OrderRow(old.person_id, old.channel, old.order_id, None, "partially_refunded",
                                 old.net_fen // 2, old.paid_on))  # a refund of an earlier order
        earning.sync(self.store, rows, RULES, day, at=at)
        self.orders.update({(r.channel, r.order_id): r for r in rows})
        for person in rnd.sample(PERSONS, 4):  # redemptions
            held = points(self.store, person)
            if held > 0:
                lots.redeem(self.store, person, rnd.randrange(1, held + 1), f"r:{n}:{person}", at=at)
        if rnd.random() < 0.6:  # a manual credit expiring within the run
            lots.adjust(self.store, rnd.choice(PERSONS), 40, "goodwill", f"adj:{n}", at=at,
                        expires_on=day + dt.timedelta(days=rnd.randrange(1, 6)))
        c = coupons.issue(self.store, rnd.choice(PERSONS), 500, rnd.randrange(1, 4), f"c:{n}", at=at)
        if rnd.random() < 0.4:
            coupons.redeem(self.store, c.id, "jd", f"use-{n}", at=at)
        holder = rnd.choice(PERSONS)
        wallet.topup(self.store, holder, 10_000, 500, f"t:{n}", at=at)
        if rnd.random() < 0.5:
            wallet.spend(self.store, holder, 2_000, f"s:{n}", at=at)
        if n % 4 == 3:  # OneID merges two members; their later orders arrive under the survivor
            loser, survivor = rnd.sample(PERSONS, 2)
            merges.merge(self.store, loser, survivor, f"m:{n}", at=at)
            self.orders.update({k: replace(o, person_id=survivor)
                                for k, o in self.orders.items() if o.person_id == loser})


def close_day(store: StoreEngine, day: dt.date) -> None:
    """The step's store-wide work before its export: expiry of lots and coupons at one moment."""
    lots.expire(store, day, at=at_of(day))
    coupons.expire(store, at_of(day))


def test_the_incremental_export_equals_a_full_one_after_every_day(ledger_db: StoreEngine,
                                                                   warehouse: Engine) -> None:
    rnd, orders = random.Random(11), {}
    activity = Day(ledger_db, rnd, orders)
    written = []
    for n in range(DAYS):
        day = START + dt.timedelta(days=n)
        activity.run(day, n)
        close_day(ledger_db, day)
        done = export_facts(warehouse, ledger_db, day, at_of(day))
        written.append(done.members)
        assert done.full == (n == 0)  # the table was missing on the first day
        assert exported(warehouse) == sorted(full_rows(ledger_db, day)), f"day {day}"
    assert any(r[1] == "points" for r in exported(warehouse)) and min(written[1:]) < len(PERSONS)
    with ledger_db.connect() as conn:
        assert ledger.trial_balance(conn) == 0
        expired = conn.execute(select(lot.c.id).where(lot.c.expires_on < START + dt.timedelta(days=DAYS - 1),
                                                      lot.c.settled.is_(False))).all()
    assert expired == []  # every lot past its date was settled by the expiry runs


def test_a_crash_between_the_warehouse_write_and_the_clear_only_exports_again(ledger_db: StoreEngine,
                                                                              warehouse: Engine) -> None:
    rnd, orders = random.Random(5), {}
    activity = Day(ledger_db, rnd, orders)
    for n in range(3):
        day = START + dt.timedelta(days=n)
        activity.run(day, n)
        close_day(ledger_db, day)
        export_facts(warehouse, ledger_db, day, at_of(day))
    day = START + dt.timedelta(days=3)
    activity.run(day, 3)
    close_day(ledger_db, day)
    crashed = write_facts(warehouse, ledger_db, day, at_of(day))  # written; the process dies before the clear
    assert crashed.members and touched.pending(ledger_db) == crashed.seen
    rich = max(PERSONS, key=lambda p: points(ledger_db, p))
    lots.redeem(ledger_db, rich, 1, "meanwhile", at=at_of(day))  # a change after the export read the touches
    assert touched.clear(ledger_db, crashed.seen) == len(crashed.seen) - 1  # the changed member keeps its touch
    assert set(touched.pending(ledger_db)) == {rich}
    again = export_facts(warehouse, ledger_db, day, at_of(day))
    assert again.members == 1 and touched.pending(ledger_db) == {}
    assert exported(warehouse) == sorted(full_rows(ledger_db, day))
    # and the crash with nothing cleared: the next day's export writes those members again, nothing is lost
    day += dt.timedelta(days=1)
    activity.run(day, 4)
    close_day(ledger_db, day)
    write_facts(warehouse, ledger_db, day, at_of(day))
    activity.run(day, 5)
    close_day(ledger_db, day)
    export_facts(warehouse, ledger_db, day, at_of(day))
    assert exported(warehouse) == sorted(full_rows(ledger_db, day))


def test_expiry_reads_only_unsettled_lots_and_a_credit_reopens_one(ledger_db: StoreEngine) -> None:
    old = OrderRow("P1", "jd", "A", None, "paid", 10_000, dt.date(2025, 3, 1))  # 100 points, expires 2026-12-31
    earning.sync(ledger_db, [old], RULES, dt.date(2026, 3, 1))
    lots.redeem(ledger_db, "P1", 30, "r1")
    assert lots.expire(ledger_db, dt.date(2027, 1, 2)) == 1  # the 70 left expire; the lot is settled
    with ledger_db.connect() as conn:
        assert conn.execute(select(lot.c.settled)).scalars().all() == [True]
    assert lots.expire(ledger_db, dt.date(2027, 1, 3)) == 0
    # the order grows after its expiry (a late correction): the lot holds points again and is read again
    earning.sync(ledger_db, [OrderRow("P1", "jd", "A", None, "paid", 12_000, old.paid_on)], RULES,
                 dt.date(2027, 1, 3))
    with ledger_db.connect() as conn:
        assert conn.execute(select(lot.c.settled)).scalars().all() == [False]
    assert lots.expire(ledger_db, dt.date(2027, 1, 4)) == 1
    assert points(ledger_db, "P1") == 0
