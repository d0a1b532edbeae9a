"""The ledger against a plain Python model of the rules (hypothesis, stateful): random orders, refunds, amount
changes, OneID merges, splits and reassignments, redemptions (and their replays), expiry runs, manual credits and
stored value. After every step each member's balances equal the model's, every posting balances, the whole
ledger sums to zero; after a sync, reconcile finds nothing and a second sync of the same orders posts nothing.
Runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import unittest
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from sqlalchemy import func, select

from siyu.loyalty import earning, ledger, lots, merges, wallet
from siyu.loyalty.orders import OrderRow
from siyu.loyalty.reconcile import reconcile
from siyu.loyalty.rules import LoyaltySettings
from siyu.loyalty.tables import posting

from .loyalty_stores import PG_URL, store

RULES = LoyaltySettings(channel_multipliers={"tmall": 2}, return_window_days=7)
RATE = {"tmall": 2, "jd": 1}  # points per yuan
START = dt.date(2026, 1, 1)
AT = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
FAR = dt.date.max


@dataclass
class Order:  # the warehouse's view of an order
    person: str
    channel: str
    version: int
    net: int
    status: str
    paid_on: dt.date


@dataclass
class Posted:  # what the model has posted for an order
    holder: str
    points: int
    released: bool
    lot: str
    version: int


@dataclass
class Model:
    day: dt.date = START
    orders: dict[tuple[str, str], Order] = field(default_factory=dict)
    posted: dict[tuple[str, str], Posted] = field(default_factory=dict)
    lots: dict[str, tuple[dt.date, int]] = field(default_factory=dict)  # lot → (expires, creation order)
    held: dict[tuple[str, str, str | None], int] = field(default_factory=dict)  # (person, kind, lot) → amount

    def add(self, person: str, kind: str, lot: str | None, amount: int) -> None:
        self.held[(person, kind, lot)] = self.held.get((person, kind, lot), 0) + amount

    def balances(self) -> dict[tuple[str, str], int]:
        out: dict[tuple[str, str], int] = {}
        for (person, kind, _), amount in self.held.items():
            out[(person, kind)] = out.get((person, kind), 0) + amount
        return {k: v for k, v in out.items() if v}

    def move_lot(self, src: str, dst: str, lot: str) -> None:
        for kind in ("points_pending", "points"):
            amount = self.held.pop((src, kind, lot), 0)
            if amount:
                self.add(dst, kind, lot, amount)

    def sync(self) -> None:
        for key in sorted(self.orders):
            o = self.orders[key]
            basis = o.net if o.status in ("paid", "partially_refunded") and o.net > 0 else 0
            earned = basis * RATE[o.channel] // 100
            state = self.posted.get(key)
            if state is None:
                lot = f"order:{key}"
                self.lots[lot] = (dt.date(o.paid_on.year + 1, 12, 31), len(self.lots))
                self.posted[key] = Posted(o.person, earned, False, lot, o.version)
                self.add(o.person, "points_pending", lot, earned)
                continue
            if state.holder != o.person:
                self.move_lot(state.holder, o.person, state.lot)
                state.holder = o.person
            if o.version > state.version:
                self.add(o.person, "points" if state.released else "points_pending", state.lot, earned - state.points)
                state.points, state.version = earned, o.version
        for key in sorted(self.posted, key=lambda k: (self.posted[k].holder, *k)):
            state = self.posted[key]
            if not state.released and self.orders[key].paid_on + dt.timedelta(days=7) <= self.day:
                amount = self.held.pop((state.holder, "points_pending", state.lot), 0)
                if amount:
                    self.add(state.holder, "points", state.lot, amount)
                state.released = True

    def positive_lots(self, person: str) -> list[tuple[str, int]]:
        found = [(lot, n) for (p, kind, lot), n in self.held.items()
                 if p == person and kind == "points" and n > 0 and lot is not None]
        return sorted(found, key=lambda ln: self.lots[ln[0]])


class LedgerMachine(RuleBasedStateMachine):
    KIND = "sqlite"

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp())
        self.stack = ExitStack()
        self.engine = self.stack.enter_context(store(self.KIND, self.folder))
        self.model = Model()
        self.persons = ["P1", "P2"]
        self.n = 0
        self.redeemed: list[tuple[str, ledger.Posting]] = []

    def teardown(self) -> None:
        self.stack.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def next_id(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{self.n}"

    def at(self) -> dt.datetime:
        return dt.datetime.combine(self.model.day, dt.time(12), dt.UTC)

    def rows(self) -> list[OrderRow]:
        return [OrderRow(o.person, o.channel, oid, o.version, o.status, o.net, o.paid_on)
                for (_, oid), o in sorted(self.model.orders.items())]

    @rule(who=st.integers(0, 9), channel=st.sampled_from(["tmall", "jd"]), net=st.integers(1, 50_000))
    def order(self, who: int, channel: str, net: int) -> None:
        person = self.persons[who % len(self.persons)]
        self.model.orders[(channel, self.next_id("o"))] = Order(person, channel, 1, net, "paid", self.model.day)

    @precondition(lambda self: self.model.orders)
    @rule(pick=st.integers(0, 999), share=st.integers(1, 100))
    def refund(self, pick: int, share: int) -> None:
        o = self.model.orders[sorted(self.model.orders)[pick % len(self.model.orders)]]
        o.net = o.net * (100 - share) // 100
        o.version += 1
        o.status = "refunded" if o.net == 0 else "partially_refunded"

    @precondition(lambda self: self.model.orders)
    @rule(pick=st.integers(0, 999), net=st.integers(1, 50_000))
    def amount_changes(self, pick: int, net: int) -> None:
        o = self.model.orders[sorted(self.model.orders)[pick % len(self.model.orders)]]
        o.net, o.version, o.status = net, o.version + 1, "paid"

    @rule()
    def sync(self) -> None:
        earning.sync(self.engine, self.rows(), RULES, self.model.day, at=self.at())
        self.model.sync()
        with self.engine.connect() as conn:
            before = conn.execute(select(func.count()).select_from(posting)).scalar_one()
            assert reconcile(conn, self.rows(), RULES, self.model.day) == []
        earning.sync(self.engine, self.rows(), RULES, self.model.day, at=self.at())
        with self.engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(posting)).scalar_one() == before

    @rule(days=st.integers(1, 400))
    def time_passes(self, days: int) -> None:
        self.model.day += dt.timedelta(days=days)

    @rule(who=st.integers(0, 9), amount=st.integers(1, 300))
    def redeem(self, who: int, amount: int) -> None:
        person = self.persons[who % len(self.persons)]
        lots_now = self.model.positive_lots(person)
        held = self.model.balances().get((person, "points"), 0)
        key = self.next_id("redeem-")
        try:
            p = lots.redeem(self.engine, person, amount, key, at=self.at())
        except ledger.InsufficientBalance:
            assert held < amount
            return
        assert held >= amount
        left = amount
        for lot, n in lots_now:
            take = min(n, left)
            self.model.add(person, "points", lot, -take)
            left -= take
            if not left:
                break
        self.redeemed.append((key, p))

    @precondition(lambda self: self.redeemed)
    @rule(pick=st.integers(0, 999))
    def redeem_replayed(self, pick: int) -> None:
        key, original = self.redeemed[pick % len(self.redeemed)]
        again = lots.redeem(self.engine, original.person_id or "", 1, key, at=self.at())
        assert (again.id, again.created, again.legs) == (original.id, False, original.legs)

    @rule()
    def expiry_run(self) -> None:
        lots.expire(self.engine, self.model.day, at=self.at())
        for (person, kind, lot), n in list(self.model.held.items()):
            if kind == "points" and lot is not None and n > 0 and self.model.lots[lot][0] < self.model.day:
                self.model.held[(person, kind, lot)] = 0

    @rule(who=st.integers(0, 9), amount=st.integers(1, 500))
    def manual_credit(self, who: int, amount: int) -> None:
        person = self.persons[who % len(self.persons)]
        key = self.next_id("adjust-")
        lots.adjust(self.engine, person, amount, "goodwill after a late parcel", key, at=self.at())
        self.model.lots[f"manual:{key}"] = (FAR, len(self.model.lots))
        self.model.add(person, "points", f"manual:{key}", amount)

    @precondition(lambda self: len(self.persons) >= 2)
    @rule(a=st.integers(0, 9), b=st.integers(0, 9))
    def merge(self, a: int, b: int) -> None:
        loser, survivor = self.persons[a % len(self.persons)], self.persons[b % len(self.persons)]
        if loser == survivor:
            return
        merges.merge(self.engine, loser, survivor, self.next_id("m"), at=self.at())
        for (person, kind, lot), n in list(self.model.held.items()):
            if person == loser and n:
                del self.model.held[(person, kind, lot)]
                self.model.add(survivor, kind, lot, n)
        for state in self.model.posted.values():
            if state.holder == loser:
                state.holder = survivor
        for o in self.model.orders.values():
            if o.person == loser:
                o.person = survivor
        self.persons.remove(loser)

    @rule(who=st.integers(0, 9), mask=st.integers(0, 2**16))
    def split(self, who: int, mask: int) -> None:
        person = self.persons[who % len(self.persons)]
        new = self.next_id("P")
        mine = [k for k in sorted(self.model.orders) if self.model.orders[k].person == person]
        moving = [k for i, k in enumerate(mine) if mask >> (i % 16) & 1]
        merges.split(self.engine, person, {k: new for k in moving}, self.next_id("s"), at=self.at())
        for k in moving:
            self.model.orders[k].person = new
            state = self.model.posted.get(k)
            if state is not None and state.holder == person:
                self.model.move_lot(person, new, state.lot)
                state.holder = new
        self.persons.append(new)

    @precondition(lambda self: self.model.orders)
    @rule(pick=st.integers(0, 999), who=st.integers(0, 9))
    def reassigned(self, pick: int, who: int) -> None:
        """OneID gives one order to someone else; the next sync moves its points."""
        o = self.model.orders[sorted(self.model.orders)[pick % len(self.model.orders)]]
        o.person = self.persons[who % len(self.persons)]

    @rule(who=st.integers(0, 9), principal=st.integers(1, 100_000), gift=st.integers(0, 20_000))
    def topup(self, who: int, principal: int, gift: int) -> None:
        person = self.persons[who % len(self.persons)]
        wallet.topup(self.engine, person, principal, gift, self.next_id("topup-"), at=self.at())
        self.model.add(person, "sv_principal", None, principal)
        self.model.add(person, "sv_gift", None, gift)

    @rule(who=st.integers(0, 9), amount=st.integers(1, 60_000))
    def spend(self, who: int, amount: int) -> None:
        person = self.persons[who % len(self.persons)]
        bal = self.model.balances()
        principal, gift = bal.get((person, "sv_principal"), 0), bal.get((person, "sv_gift"), 0)
        try:
            wallet.spend(self.engine, person, amount, self.next_id("spend-"), at=self.at())
        except ledger.InsufficientBalance:
            assert principal + gift < amount
            return
        take = min(principal, amount)
        self.model.add(person, "sv_principal", None, -take)
        self.model.add(person, "sv_gift", None, -(amount - take))

    @rule(who=st.integers(0, 9), amount=st.integers(1, 60_000))
    def refund_stored_value(self, who: int, amount: int) -> None:
        person = self.persons[who % len(self.persons)]
        bal = self.model.balances()
        principal, gift = bal.get((person, "sv_principal"), 0), bal.get((person, "sv_gift"), 0)
        try:
            wallet.refund(self.engine, person, amount, self.next_id("svrefund-"), at=self.at())
        except ledger.InsufficientBalance:
            assert principal < amount
            return
        self.model.add(person, "sv_principal", None, -amount)
        self.model.add(person, "sv_gift", None, -(gift * amount // principal))

    @invariant()
    def balances_equal_the_model(self) -> None:
        with self.engine.connect() as conn:
            found = {k: v for k, v in ledger.all_balances(conn).items() if v}
            assert found == self.model.balances()
            assert ledger.trial_balance(conn) == 0
            assert ledger.unbalanced_postings(conn) == []
            for (person, kind), amount in found.items():
                if kind in ("sv_principal", "sv_gift"):
                    assert amount >= 0, (person, kind, amount)


SETTINGS = settings(max_examples=20, stateful_step_count=30, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


class SqliteLedger(LedgerMachine):
    KIND = "sqlite"


class PostgresLedger(LedgerMachine):
    KIND = "postgresql"


TestLedgerOnSqlite = SqliteLedger.TestCase
TestLedgerOnSqlite.settings = SETTINGS
TestLedgerOnPostgres = unittest.skipUnless(PG_URL, "PostgreSQL tests need SIYU_TEST_PG_URL")(PostgresLedger.TestCase)
TestLedgerOnPostgres.settings = SETTINGS
