"""OneID and the ledger: when two persons merge, everything the loser holds moves to the survivor; when a person
is split, each order's points follow the identity that placed the order; manual entries stay and are flagged
for an operator (`loyalty_review`), since no order says whose they are.

Moves are `transfer_merge` / `transfer_split` postings between the two members' accounts, lot by lot, so
expiry dates travel with the points and the history of both members stays as it was.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection, Engine

from siyu.errors import UserError
from siyu.loyalty import ledger, touched
from siyu.loyalty.db import lock_persons, now, write
from siyu.loyalty.lots import lot_balances
from siyu.loyalty.tables import PERSON_KINDS, coupon, order, posting, review


def merge(engine: Engine, loser: str, survivor: str, merge_id: str, *, at: dt.datetime | None = None) -> int:
    """Move every balance and lot of `loser` to `survivor` (one posting keyed by `merge_id`), and the orders and
    unused coupons with them. Returns the entries moved; replaying the same merge moves nothing."""
    if loser == survivor:
        raise UserError("a person cannot merge into itself")
    at = at or now()
    with write(engine) as conn:
        if ledger.find(conn, f"merge:{merge_id}") is not None:
            return 0
        lock_persons(conn, [loser, survivor], at)
        legs = []
        for kind in PERSON_KINDS:
            for b in lot_balances(conn, loser, kind):
                legs += [ledger.person(loser, kind, -b.amount, b.lot_id),
                         ledger.person(survivor, kind, b.amount, b.lot_id)]
        moved = 0
        if legs:
            p = ledger.post(conn, f"merge:{merge_id}", "transfer_merge", legs, at=at, person_id=survivor,
                            reason=f"{loser} merged into {survivor}")
            moved = len(legs) if p.created else 0
        conn.execute(update(order).where(order.c.person_id == loser).values(person_id=survivor))
        conn.execute(update(coupon).where(coupon.c.person_id == loser, coupon.c.status == "issued")
                     .values(person_id=survivor))
        touched.touch(conn, [loser, survivor])  # coupons move without entries
        return moved


def move_order(conn: Connection, state: Any, new_person: str, at: dt.datetime) -> None:
    """Inside a write transaction: move one order's points (pending and available, its lot only) from the member
    who holds them to `new_person`, and record the new holder."""
    old = state.person_id
    lock_persons(conn, [old, new_person], at)
    legs = []
    for kind in ("points_pending", "points"):
        for b in lot_balances(conn, old, kind):
            if b.lot_id == state.lot_id:
                legs += [ledger.person(old, kind, -b.amount, b.lot_id),
                         ledger.person(new_person, kind, b.amount, b.lot_id)]
    if legs:
        ledger.post(conn, f"move:{state.channel}:{state.order_id}:{state.moves + 1}", "transfer_split", legs, at=at,
                    person_id=new_person, reason=f"order moved from {old}",
                    source=ledger.Source(state.channel, state.order_id))
    conn.execute(update(order).where(order.c.channel == state.channel, order.c.order_id == state.order_id)
                 .values(person_id=new_person, moves=state.moves + 1))


def split(engine: Engine, person_id: str, owners: Mapping[tuple[str, str], str], split_id: str, *,
          at: dt.datetime | None = None) -> int:
    """After OneID split `person_id`: each of its orders whose (channel, order_id) now belongs to another person
    in `owners` moves there with its points; manual adjustments stay and are flagged. Returns orders moved."""
    at = at or now()
    with write(engine) as conn:
        states = conn.execute(select(order).where(order.c.person_id == person_id)
                              .order_by(order.c.channel, order.c.order_id)).all()
        moving = [(s, owners[(s.channel, s.order_id)]) for s in states
                  if owners.get((s.channel, s.order_id), person_id) != person_id]
        lock_persons(conn, [person_id, *(p for _, p in moving)], at)
        for state, new_person in moving:
            move_order(conn, state, new_person, at)
        flag_manual(conn, person_id, _split_note(split_id), at)
        return len(moving)


def _split_note(split_id: str) -> str:
    return f"kept on split {split_id}: a manual entry has no order to follow"


def flag_split(engine: Engine, person_id: str, split_id: str, *, at: dt.datetime | None = None) -> None:
    """OneID split `person_id` (its orders move when next posted): flag its manual adjustments, once per split."""
    with write(engine) as conn:
        flag_manual(conn, person_id, _split_note(split_id), at or now())


def flag_manual(conn: Connection, person_id: str, note: str, at: dt.datetime) -> None:
    """Flag the member's manual adjustments for review, once per note."""
    manual = conn.execute(select(posting.c.id).where(posting.c.person_id == person_id,
                                                     posting.c.type == "manual_adjust")).scalars().all()
    flagged = set(conn.execute(select(review.c.posting_id).where(review.c.person_id == person_id,
                                                                 review.c.note == note)).scalars().all())
    rows = [{"person_id": person_id, "posting_id": pid, "note": note, "created_at": at}
            for pid in manual if pid not in flagged]
    if rows:
        conn.execute(review.insert(), rows)


def flagged(conn: Connection, person_id: str) -> list[tuple[int | None, str]]:
    """(posting id, note) of the member's entries waiting for an operator."""
    rows = conn.execute(select(review.c.posting_id, review.c.note).where(review.c.person_id == person_id)
                        .order_by(review.c.id)).all()
    return [(r[0], r[1]) for r in rows]
