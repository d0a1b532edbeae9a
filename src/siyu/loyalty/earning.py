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
from sqlalchemy import select, tuple_, update
from sqlalchemy.engine import Connection, Engine

from siyu.loyalty import ledger
from siyu.loyalty.db import lock_persons, now, write
from siyu.loyalty.merges import move_order
from siyu.loyalty.orders import OrderRow, basis_fen, rows_from_arrow
from siyu.loyalty.rules import LoyaltySettings, points
from siyu.loyalty.tables import lot, order
from siyu.loyalty.tiers import current_tier

BATCH = 500


@dataclass
class SyncResult:
    orders: int = 0
    postings: dict[str, int] = field(default_factory=dict)

    def count(self, type_: str) -> None:
        self.postings[type_] = self.postings.get(type_, 0) + 1


def sync(engine: Engine, orders: Iterable[OrderRow] | pa.Table, rules: LoyaltySettings, as_of: dt.date, *,
         at: dt.datetime | None = None) -> SyncResult:
    """Post what the orders earn as of `as_of`, then release every order whose window has closed by then."""
    at = at or now()
    rows = rows_from_arrow(orders) if isinstance(orders, pa.Table) else iter(orders)
    result = SyncResult()
    batch: list[OrderRow] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            _post_batch(engine, batch, rules, at, result)
            batch = []
    if batch:
        _post_batch(engine, batch, rules, at, result)
    release_due(engine, rules, as_of, at=at, result=result)
    return result


def _post_batch(engine: Engine, batch: list[OrderRow], rules: LoyaltySettings, at: dt.datetime,
                result: SyncResult) -> None:
    with write(engine) as conn:
        lock_persons(conn, [r.person_id for r in batch], at)
        pairs = sorted({(r.channel, r.order_id) for r in batch})
        states = {(s.channel, s.order_id): s for s in conn.execute(
            select(order).where(tuple_(order.c.channel, order.c.order_id).in_(pairs))).all()}
        seen: set[tuple[str, str]] = set()
        for row in batch:
            pair = (row.channel, row.order_id)  # a second row of the same order reads its state afresh
            post_order(conn, row, rules, at, result, MISSING if pair in seen else states.get(pair))
            seen.add(pair)


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
        row = replace(row, version=1 if row.version is None else row.version)
        source = ledger.Source(row.channel, row.order_id, row.version)
        earned = points(basis_fen(row, rules), rate := rules.rate_ppm(row.channel, current_tier(conn, row.person_id)))
        lot_id = int(conn.execute(lot.insert().values(
            key=f"order:{row.channel}:{row.order_id}", origin="order", expires_on=rules.expires_on(row.paid_on),
            created_at=at, channel=row.channel, order_id=row.order_id).returning(lot.c.id)).scalar_one())
        conn.execute(order.insert().values(
            channel=row.channel, order_id=row.order_id, person_id=row.person_id, version=row.version, rate_ppm=rate,
            basis_fen=basis_fen(row, rules), points=earned, paid_on=row.paid_on, released=False, lot_id=lot_id,
            moves=0))
        if earned:
            ledger.post(conn, _key(row), "earn_pending", [
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
        ledger.post(conn, _key(row), type_, [
            ledger.person(row.person_id, kind, diff, state.lot_id),
            ledger.system("points_issued", -diff)], at=at, person_id=row.person_id, source=source,
            new=True)  # versions only rise, so this key has never been posted
        result.count(type_)
    conn.execute(update(order).where(where).values(version=row.version, basis_fen=basis, points=earned))


def _key(row: OrderRow) -> str:
    return f"earn:{row.channel}:{row.order_id}:v{row.version}"


def release_due(engine: Engine, rules: LoyaltySettings, as_of: dt.date, *, at: dt.datetime | None = None,
                result: SyncResult | None = None) -> int:
    """Move the pending points of every order whose return window closed by `as_of` to available."""
    at = at or now()
    result = result or SyncResult()
    last_paid = as_of - dt.timedelta(days=rules.return_window_days)
    made = 0
    with write(engine) as conn:
        due = select(order).where(order.c.released.is_(False), order.c.paid_on <= last_paid)
        lock_persons(conn, {s.person_id for s in conn.execute(due).all()}, at)
        for state in conn.execute(due.order_by(order.c.person_id, order.c.channel, order.c.order_id)).all():
            made += _release(conn, state, at, result)  # read again under the locks
    return made


def _release(conn: Connection, state: Any, at: dt.datetime, result: SyncResult) -> int:
    """Until release an order's pending points are exactly `state.points`, all on its holder (earning moves
    pending by differences, a transfer moves the whole lot), and its release key is unused."""
    made = 0
    if state.points:
        p = ledger.post(conn, f"release:{state.channel}:{state.order_id}", "release", [
            ledger.person(state.person_id, "points_pending", -state.points, state.lot_id),
            ledger.person(state.person_id, "points", state.points, state.lot_id)], at=at, person_id=state.person_id,
            source=ledger.Source(state.channel, state.order_id), new=True)
        made = int(p.created)
        result.count("release")
    conn.execute(update(order).where(order.c.channel == state.channel, order.c.order_id == state.order_id)
                 .values(released=True))
    return made
