"""Orders → points. Each order earns on its net paid (a purchase by `siyu.domain.orders`; other statuses and
the `[loyalty]` exclusions earn nothing): pending while the return window is open, available after. A later
version of the order posts only the difference between what it earns now and what was posted (a refund before
or after release takes points back in proportion; an amount change posts the difference). A version already
posted posts nothing, so syncing the same orders again changes nothing.

Per order the rate (points per yuan × channel × tier multiplier) is fixed when the order is first seen, so a
refund takes back exactly what the order earned even if the member's tier changed since.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import pyarrow as pa
from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Connection, Engine

from siyu.loyalty import firstload, ledger, staged
from siyu.loyalty.db import custom_plans, lock_persons, now, one_of, write
from siyu.loyalty.merges import move_order
from siyu.loyalty.orders import OrderRow, basis_fen, rows_from_arrow
from siyu.loyalty.rules import LoyaltySettings, points
from siyu.loyalty.tables import lot, order
from siyu.loyalty.tiers import current_tier, current_tiers

BATCH = 5_000  # orders per write transaction
RELEASE_PERSONS = 2_000  # members whose due orders one release transaction takes


@dataclass
class SyncResult:
    orders: int = 0
    postings: dict[str, int] = field(default_factory=dict)

    def count(self, type_: str, n: int = 1) -> None:
        if n:
            self.postings[type_] = self.postings.get(type_, 0) + n


def sync(engine: Engine, orders: Iterable[OrderRow] | pa.Table, rules: LoyaltySettings, as_of: dt.date, *,
         at: dt.datetime | None = None, batch_size: int = BATCH) -> SyncResult:
    """Post what the orders earn as of `as_of`, then release every order whose window has closed by then;
    `batch_size` orders per write transaction. The first sync of a PostgreSQL ledger (no order ever posted) of an
    Arrow table is posted set-wise in the server in one transaction (siyu.loyalty.firstload), the same ledger."""
    at = at or now()
    if isinstance(orders, pa.Table) and (counts := firstload.load(engine, orders, rules, as_of, at)) is not None:
        result = SyncResult(orders.num_rows, counts)
        release_due(engine, rules, as_of, at=at, result=result, batch_size=min(batch_size, RELEASE_PERSONS))
        return result
    rows = rows_from_arrow(orders) if isinstance(orders, pa.Table) else iter(orders)
    result = SyncResult()
    batch: list[OrderRow] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= batch_size:
            _post_batch(engine, batch, rules, as_of, at, result)
            batch = []
    if batch:
        _post_batch(engine, batch, rules, as_of, at, result)
    release_due(engine, rules, as_of, at=at, result=result, batch_size=min(batch_size, RELEASE_PERSONS))
    return result


def _post_batch(engine: Engine, batch: list[OrderRow], rules: LoyaltySettings, as_of: dt.date, at: dt.datetime,
                result: SyncResult) -> None:
    """One write transaction for the batch: its orders' states read with one query, what each earns computed in
    Python, then written with a few set-wise INSERTs (`_Plan`). A batch commits whole or not at all, so a sync
    killed anywhere leaves each order either fully posted at a version or untouched, and a rerun finishes it."""
    with write(engine) as conn:
        custom_plans(conn)
        lock_persons(conn, [r.person_id for r in batch], at)
        states = _states(conn, sorted({(r.channel, r.order_id) for r in batch}))
        first: list[OrderRow] = []
        again: list[OrderRow] = []  # a second row of an order in the batch: posted after, on the state it leaves
        seen: set[tuple[str, str]] = set()
        for row in batch:
            pair = (row.channel, row.order_id)
            (again if pair in seen else first).append(row)
            seen.add(pair)
        for row in first:  # OneID gave an order to someone else: its points follow it (rare; one by one)
            state = states.get((row.channel, row.order_id))
            if state is not None and state.person_id != row.person_id:
                move_order(conn, state, row.person_id, at)
                result.count("transfer_split")
                states.update(_states(conn, [(row.channel, row.order_id)]))
        fresh = [r for r in first if (r.channel, r.order_id) not in states]
        tiers = current_tiers(conn, {r.person_id for r in fresh})
        plan = _Plan(rules, at, result, rules.released_paid_by(as_of),
                     {(r.channel, r.order_id) for r in again})
        for row in first:
            plan.add(row, states.get((row.channel, row.order_id)), tiers.get(row.person_id))
        plan.write(conn)
        for row in again:
            post_order(conn, row, rules, at, result)


def _states(conn: Connection, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], Any]:
    """`loyalty_order` rows of these orders, by (channel, order_id): one query per channel and few thousand."""
    by_channel: dict[str, list[str]] = {}
    for channel, order_id in pairs:
        by_channel.setdefault(channel, []).append(order_id)
    found: dict[tuple[str, str], Any] = {}
    for channel, ids in sorted(by_channel.items()):
        for i in range(0, len(ids), ledger.KEY_CHUNK):
            found.update({(s.channel, s.order_id): s for s in conn.execute(
                select(order).where(order.c.channel == channel,
                                    one_of(conn, order.c.order_id, ids[i:i + ledger.KEY_CHUNK]))).all()})
    return found


@dataclass
class _Plan:
    """What a batch of orders posts, gathered in one pass and written with a few statements: first-seen orders
    set-wise from a staging table (siyu.loyalty.staged), new versions of known orders as postings (few a day)."""

    rules: LoyaltySettings
    at: dt.datetime
    result: SyncResult
    last_paid: dt.date  # first-seen orders paid by then are released at once (their window has closed)…
    later: set[tuple[str, str]]  # …unless a later row of the batch changes them (release_due releases those)
    new: list[dict[str, Any]] = field(default_factory=list)  # first-seen orders (siyu.loyalty.staged.new_order)
    changes: list[dict[str, Any]] = field(default_factory=list)  # new version of known orders
    postings: list[ledger.NewPosting] = field(default_factory=list)
    rates: dict[tuple[str, str | None], int] = field(default_factory=dict)

    def add(self, row: OrderRow, state: Any, tier: str | None) -> None:
        self.result.orders += 1
        basis = basis_fen(row, self.rules)
        if state is None:
            version = 1 if row.version is None else row.version
            rate = self.rates.get((row.channel, tier))
            if rate is None:
                rate = self.rates[(row.channel, tier)] = self.rules.rate_ppm(row.channel, tier)
            earned = points(basis, rate)
            self.new.append({"person_id": row.person_id, "channel": row.channel, "order_id": row.order_id,
                             "version": version, "rate_ppm": rate, "basis_fen": basis, "points": earned,
                             "paid_on": row.paid_on, "expires_on": self.rules.expires_on(row.paid_on),
                             "due": row.paid_on <= self.last_paid and (row.channel, row.order_id) not in self.later})
            if earned:
                self.result.count("earn_pending")
            return
        given = row.version
        version = (state.version + 1 if basis != state.basis_fen else state.version) if given is None else given
        if version <= state.version:
            return
        earned = points(basis, state.rate_ppm)
        diff = earned - state.points
        if diff:
            type_ = "reverse" if diff < 0 else ("earn_available" if state.released else "earn_pending")
            self._post(row, version, type_, "points" if state.released else "points_pending", diff, state.lot_id)
        self.changes.append({"b_channel": row.channel, "b_order_id": row.order_id, "b_version": version,
                             "b_basis": basis, "b_points": earned})

    def _post(self, row: OrderRow, version: int, type_: str, kind: str, amount: int, lot_id: int) -> None:
        legs = (ledger.person(row.person_id, kind, amount, lot_id), ledger.system("points_issued", -amount))
        self.postings.append(ledger.NewPosting(ledger.earn_key(row.channel, row.order_id, version), type_, legs,
                                               row.person_id, None, ledger.Source(row.channel, row.order_id, version)))
        self.result.count(type_)

    def write(self, conn: Connection) -> None:
        self.result.count("release", staged.post_new_orders(conn, self.new, self.at))
        ledger.post_many(conn, self.postings, at=self.at)
        if self.changes:
            conn.execute(update(order).where(order.c.channel == bindparam("b_channel"),
                                             order.c.order_id == bindparam("b_order_id"))
                         .values(version=bindparam("b_version"), basis_fen=bindparam("b_basis"),
                                 points=bindparam("b_points")), self.changes)


MISSING: Any = object()


def post_order(conn: Connection, row: OrderRow, rules: LoyaltySettings, at: dt.datetime,
               result: SyncResult | None = None, state: Any = MISSING) -> None:
    """Inside a write transaction: bring one order's points to what its version `row.version` earns (`state`:
    the order's `loyalty_order` row when the caller read it under the same locks, None when there is none)."""
    result = result or SyncResult()
    result.orders += 1
    where = (order.c.channel == row.channel) & (order.c.order_id == row.order_id)
    if state is MISSING:
        state = conn.execute(select(order).where(where)).one_or_none()
    if state is None:  # first seen: no posting of this order exists, so its keys are new
        version = 1 if row.version is None else row.version
        row = replace(row, version=version)
        source = ledger.Source(row.channel, row.order_id, version)
        earned = points(basis_fen(row, rules), rate := rules.rate_ppm(row.channel, current_tier(conn, row.person_id)))
        lot_id = int(conn.execute(lot.insert().values(
            key=f"order:{row.channel}:{row.order_id}", origin="order", expires_on=rules.expires_on(row.paid_on),
            created_at=at, channel=row.channel, order_id=row.order_id).returning(lot.c.id)).scalar_one())
        conn.execute(order.insert().values(
            channel=row.channel, order_id=row.order_id, person_id=row.person_id, version=row.version, rate_ppm=rate,
            basis_fen=basis_fen(row, rules), points=earned, paid_on=row.paid_on, released=False, lot_id=lot_id,
            moves=0))
        if earned:
            ledger.post(conn, ledger.earn_key(row.channel, row.order_id, version), "earn_pending", [
                ledger.person(row.person_id, "points_pending", earned, lot_id),
                ledger.system("points_issued", -earned)], at=at, person_id=row.person_id, source=source, new=True)
            result.count("earn_pending")
        return
    if state.person_id != row.person_id:  # OneID gave the order to someone else: its points follow it
        move_order(conn, state, row.person_id, at)
        result.count("transfer_split")
    basis = basis_fen(row, rules)
    if row.version is None:
        row = replace(row, version=state.version + 1 if basis != state.basis_fen else state.version)
    assert row.version is not None
    if row.version <= state.version:
        return
    source = ledger.Source(row.channel, row.order_id, row.version)
    earned = points(basis, state.rate_ppm)
    diff = earned - state.points
    if diff:
        kind = "points" if state.released else "points_pending"
        type_ = "reverse" if diff < 0 else ("earn_available" if state.released else "earn_pending")
        ledger.post(conn, ledger.earn_key(row.channel, row.order_id, row.version), type_, [
            ledger.person(row.person_id, kind, diff, state.lot_id),
            ledger.system("points_issued", -diff)], at=at, person_id=row.person_id, source=source,
            new=True)  # versions only rise, so this key has never been posted
        result.count(type_)
    conn.execute(update(order).where(where).values(version=row.version, basis_fen=basis, points=earned))


def release_due(engine: Engine, rules: LoyaltySettings, as_of: dt.date, *, at: dt.datetime | None = None,
                result: SyncResult | None = None, batch_size: int = RELEASE_PERSONS) -> int:
    """Move the pending points of every order whose return window closed by `as_of` to available, a batch of
    orders per write transaction (each batch read again under its members' locks, then posted set-wise)."""
    at = at or now()
    result = result or SyncResult()
    last_paid = rules.released_paid_by(as_of)
    due = (order.c.released.is_(False)) & (order.c.paid_on <= last_paid)
    made = 0
    while True:  # the members with due orders, then a batch of them per transaction with all their due orders
        with engine.connect() as conn:  # a plain read: the partial index by date (a GROUP BY or ORDER BY here
            # led SQLite to scan every order by person: 4 s of a 1M-order ledger's day)
            persons = sorted(set(conn.execute(select(order.c.person_id).where(due)).scalars()))
        if not persons:  # read again after the batches: a merge may have moved an order to someone not read
            return made
        for i in range(0, len(persons), batch_size):
            chunk = persons[i:i + batch_size]
            with write(engine) as conn:
                custom_plans(conn)
                lock_persons(conn, chunk, at)  # then read under the locks: a merge may have moved orders meanwhile
                released = staged.release_orders(conn, due & one_of(conn, order.c.person_id, chunk), at)
                made += released
                result.count("release", released)
