"""Recompute what every order should have posted from the orders and the rules alone, and list where the ledger
differs (`siyu points reconcile`). A clean ledger lists nothing.

Per order: the points issued for it (its earn and reverse postings) equal what its current net earns at a rate
the rules allow; its lot is held by the person the order belongs to now; an order past its return window has
nothing pending; an order that earns has been posted. Over the ledger: every posting balances.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from siyu.config.settings import Settings
from siyu.engine import Engine
from siyu.loyalty import ledger
from siyu.loyalty.orders import OrderRow, basis_fen, rows_from_arrow
from siyu.loyalty.rules import LoyaltySettings, loyalty_settings, points
from siyu.loyalty.tables import PERSON, SYSTEM, account, entry, order, posting

EARNING = ("earn_pending", "earn_available", "reverse")


@dataclass(frozen=True)
class Difference:
    person_id: str | None
    channel: str | None
    order_id: str | None
    what: str
    expected: int | str
    found: int | str


def reconcile_warehouse(engine: Engine, settings: Settings, store: sa.Engine,
                        as_of: dt.date | None = None) -> tuple[int, list[Difference]]:
    """Every paid order of the warehouse against the ledger in `store`, as of `as_of` (the brand's today by
    default): (orders read, differences). What `siyu points reconcile` lists."""
    from siyu.loyalty.step import orders_sql  # the step's own reading of the orders, not a second one

    rules = loyalty_settings(settings)
    rows = list(rows_from_arrow(engine.query(orders_sql(rules))))
    with store.connect() as conn:
        return len(rows), reconcile(conn, rows, rules, as_of or settings.brand.today())


def reconcile(conn: Connection, orders: Iterable[OrderRow], rules: LoyaltySettings, as_of: dt.date) -> list[
        Difference]:
    """Every difference between the ledger and the orders under the rules, as of `as_of`."""
    issued = _issued_per_order(conn)
    holders = _lot_holders(conn)
    states = {(s.channel, s.order_id): s for s in conn.execute(select(order)).all()}
    tiers = [None, *(t.name for t in rules.tiers)]
    out: list[Difference] = []
    for row in orders:
        key = (row.channel, row.order_id)
        state = states.get(key)
        if state is None:
            if points(basis_fen(row, rules), rules.rate_ppm(row.channel)) > 0:
                out.append(Difference(row.person_id, *key, "order not posted", "posted", "missing"))
            continue
        if int(state.rate_ppm) not in {rules.rate_ppm(row.channel, t) for t in tiers}:
            out.append(Difference(row.person_id, *key, "rate not allowed by the rules", rules.rate_ppm(row.channel),
                                  int(state.rate_ppm)))
        expected = points(basis_fen(row, rules), int(state.rate_ppm))
        if issued.get(key, 0) != expected:
            out.append(Difference(row.person_id, *key, "points issued", expected, issued.get(key, 0)))
        for (holder, kind), amount in holders.get(int(state.lot_id), {}).items():
            if holder != row.person_id and amount:
                out.append(Difference(holder, *key, f"{kind} held by another person", 0, amount))
            if kind == "points_pending" and amount and rules.release_on(row.paid_on) <= as_of:
                out.append(Difference(holder, *key, "pending after the return window", 0, amount))
    for bad in ledger.unbalanced_postings(conn):
        out.append(Difference(None, None, None, f"posting {bad} does not balance", 0, "≠ 0"))
    return out


def _issued_per_order(conn: Connection) -> dict[tuple[str, str], int]:
    """Points issued per order: minus its earning postings' entries on `points_issued`."""
    rows = conn.execute(
        select(posting.c.channel, posting.c.order_id, func.sum(entry.c.amount))
        .select_from(entry.join(posting, posting.c.id == entry.c.posting_id)
                     .join(account, account.c.id == entry.c.account_id))
        .where(posting.c.type.in_(EARNING), account.c.owner_type == SYSTEM, account.c.kind == "points_issued")
        .group_by(posting.c.channel, posting.c.order_id)).all()
    return {(r[0], r[1]): -int(r[2]) for r in rows}


def _lot_holders(conn: Connection) -> dict[int, dict[tuple[str, str], int]]:
    """lot → (person, kind) → balance, for order lots."""
    rows = conn.execute(
        select(entry.c.lot_id, account.c.owner, account.c.kind, func.sum(entry.c.amount))
        .join(account, account.c.id == entry.c.account_id)
        .where(account.c.owner_type == PERSON, entry.c.lot_id.is_not(None))
        .group_by(entry.c.lot_id, account.c.owner, account.c.kind)).all()
    out: dict[int, dict[tuple[str, str], int]] = {}
    for lot_id, owner, kind, amount in rows:
        if int(amount):
            out.setdefault(int(lot_id), {})[(owner, kind)] = int(amount)
    return out
