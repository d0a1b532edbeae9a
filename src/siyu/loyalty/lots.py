"""Points lots: each order's points are one lot with its expiry date; spending takes the earliest-expiring lots
first; an expiry run posts what is left of every lot past its date.

A lot's balance on an account is the sum of that account's entries in the lot. A refund after the points were
spent may leave its lot negative (a debt the member's later earnings offset in the balance); only positive lots
are spent or expired.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, func, select, true
from sqlalchemy.engine import Connection, Engine

from siyu.loyalty import ledger
from siyu.loyalty.db import custom_plans, lock_persons, now, one_of, within, write
from siyu.loyalty.tables import PERSON, account, entry, lot

FAR = dt.date.max


@dataclass(frozen=True)
class LotBalance:
    lot_id: int | None
    expires_on: dt.date | None
    amount: int


def lot_balances(conn: Connection, person_id: str, kind: str = "points") -> list[LotBalance]:
    """The member's non-zero lots on one account, earliest-expiring first (never-expiring last, then by age)."""
    rows = conn.execute(_LOT_BALANCES, {"person": person_id, "kind": kind}).all()
    found = [LotBalance(r[0], r[1], int(r[2])) for r in rows if int(r[2]) != 0]
    return sorted(found, key=lambda b: (b.expires_on or FAR, b.lot_id or 0))


# built once (a statement built per call costs a redemption more CPU than SQLite takes to run it)
_LOT_BALANCES = (select(entry.c.lot_id, lot.c.expires_on, func.sum(entry.c.amount))
                 .select_from(entry.join(account, account.c.id == entry.c.account_id)
                              .outerjoin(lot, lot.c.id == entry.c.lot_id))
                 .where(account.c.owner_type == PERSON, account.c.owner == bindparam("person"),
                        account.c.kind == bindparam("kind"))
                 .group_by(entry.c.lot_id, lot.c.expires_on))


def consume(lots: list[LotBalance], amount: int) -> list[tuple[int | None, int]]:
    """(lot, points) taken to spend `amount`: positive lots, earliest-expiring first. The caller has checked the
    balance; lots cannot fall short of it since negative lots only lower the balance."""
    taken, left = [], amount
    for b in lots:
        if left == 0:
            break
        if b.amount > 0:
            take = min(b.amount, left)
            taken.append((b.lot_id, take))
            left -= take
    if left:
        raise ValueError(f"lots hold {amount - left} of the {amount} points asked")
    return taken


def redeem(engine: Engine | Connection, person_id: str, amount: int, key: str, *, at: dt.datetime | None = None,
           reason: str | None = None, source: ledger.Source | None = None, new: bool = False,
           note: ledger.AuditNote | None = None) -> ledger.Posting:
    """Spend `amount` points of the member, earliest-expiring lots first; never below zero. Idempotent by `key`:
    a replay returns the original posting (accepted or not, nothing new is posted). `new`: the caller's
    transaction has just claimed `key` (`requests.claim`), so no posting can hold it and it is not looked up
    (were it wrong, the key's unique index refuses the posting: never a second one). `note`: the posting's audit
    row, written in its statement on PostgreSQL (the posting is then `noted`; elsewhere the caller writes it)."""
    if amount <= 0:
        raise ledger.UserError(f"points to redeem must be positive, not {amount}")
    at = at or now()
    with within(engine) as conn:
        lock_persons(conn, [person_id], at)
        if not new and (done := ledger.find(conn, key)) is not None:
            return done
        if conn.dialect.name == "postgresql":  # the same check, lots and posting in one statement
            return ledger.spend_lots_pg(conn, key, "redeem", person_id, "points", amount, "points_redeemed", at=at,
                                        reason=reason, source=source, note=note)
        found = lot_balances(conn, person_id)  # the balance is the sum of its lots: one query for both
        held = sum(b.amount for b in found)
        if held < amount:
            raise ledger.InsufficientBalance(f"member {person_id} holds {held} points, cannot redeem {amount}")
        legs = [ledger.person(person_id, "points", -n, lot_id) for lot_id, n in consume(found, amount)]
        return ledger.post(conn, key, "redeem", [*legs, ledger.system("points_redeemed", amount)], at=at,
                           person_id=person_id, reason=reason, source=source, new=True)  # looked up above


def adjust(engine: Engine | Connection, person_id: str, amount: int, reason: str, key: str, *,
           at: dt.datetime | None = None, expires_on: dt.date | None = None) -> ledger.Posting:
    """An operator's correction: a credit is a new manual lot (expiring on `expires_on`, or never); a debit takes
    the earliest-expiring lots and cannot overdraw. The reason is required and kept."""
    if not reason.strip():
        raise ledger.UserError("a manual adjustment needs a reason")
    if amount == 0:
        raise ledger.UserError("a manual adjustment of 0 points posts nothing")
    at = at or now()
    with within(engine) as conn:
        lock_persons(conn, [person_id], at)
        if (done := ledger.find(conn, key)) is not None:
            return done
        if amount > 0:
            lot_id = new_lot(conn, f"manual:{key}", "manual", expires_on, at)
            legs = [ledger.person(person_id, "points", amount, lot_id)]
        else:
            held = ledger.balance(conn, person_id, "points")
            if held < -amount:
                raise ledger.InsufficientBalance(f"member {person_id} holds {held} points, cannot take {-amount}")
            legs = [ledger.person(person_id, "points", -n, lot_id)
                    for lot_id, n in consume(lot_balances(conn, person_id), -amount)]
        return ledger.post(conn, key, "manual_adjust", [*legs, ledger.system("points_issued", -amount)], at=at,
                           person_id=person_id, reason=reason)


def new_lot(conn: Connection, key: str, origin: str, expires_on: dt.date | None, at: dt.datetime,
            channel: str | None = None, order_id: str | None = None) -> int:
    """The lot under `key`, created when new."""
    found = conn.execute(select(lot.c.id).where(lot.c.key == key)).scalar_one_or_none()
    if found is not None:
        return int(found)
    return int(conn.execute(lot.insert().values(key=key, origin=origin, expires_on=expires_on, created_at=at,
                                                channel=channel, order_id=order_id)
                            .returning(lot.c.id)).scalar_one())


EXPIRE_PERSONS = 5_000  # members whose lots one expiry transaction takes


def expire(engine: Engine, as_of: dt.date, *, at: dt.datetime | None = None,
           batch_size: int = EXPIRE_PERSONS) -> int:
    """Post the expiry of every positive lot whose last day is before `as_of`; returns the postings made: one
    posting per member (key `expire:{as_of}:{person}`), a batch of members per transaction, their lots read again
    under their locks and posted set-wise. Running it again for the same day posts nothing (the lots are empty,
    and the keys exist).

    Only lots not yet settled are read: once a run has emptied every lot past its date, those lots are settled
    (`settle`) and later runs skip them, so a day's run reads the lots that crossed their date since, not every lot
    ever past it. A later credit of a settled lot's points (a merge, a release, an increase) opens it again
    (`ledger.reopen`). Those credits come from the loyalty step, which runs expiry after them; a redemption, the
    API's only concurrent lot write, only debits."""
    at = at or now()
    with engine.connect() as conn:  # from the lots (the partial index), not from every entry
        past = sorted(conn.execute(select(lot.c.id).where(_past(as_of))).scalars())
        persons = sorted({r[0] for i in range(0, len(past), ledger.KEY_CHUNK)
                          for r in conn.execute(_expired(as_of, one_of(conn, entry.c.lot_id,
                                                                       past[i:i + ledger.KEY_CHUNK])))})
    made = 0
    for i in range(0, len(persons), batch_size):
        chunk = persons[i:i + batch_size]
        with write(engine) as conn:
            custom_plans(conn)
            lock_persons(conn, chunk, at)  # then read again: a redemption may have spent them meanwhile
            mine: dict[str, list[tuple[int, int]]] = {}
            for owner, lot_id, _, amount in conn.execute(_expired(as_of, one_of(conn, account.c.owner, chunk))):
                mine.setdefault(owner, []).append((lot_id, int(amount)))
            made += len(ledger.post_many(conn, [ledger.NewPosting(
                f"expire:{as_of.isoformat()}:{person_id}", "expire",
                (*(ledger.person(person_id, "points", -n, lot_id) for lot_id, n in held),
                 ledger.system("points_expired", sum(n for _, n in held))), person_id)
                for person_id, held in mine.items()], at=at))
    settle(engine, past)
    return made


def settle(engine: Engine, lot_ids: list[int]) -> None:
    """Mark lots past their date that an expiry run has emptied: later runs skip them."""
    with write(engine) as conn:
        for i in range(0, len(lot_ids), ledger.KEY_CHUNK):
            conn.execute(lot.update().where(lot.c.settled.is_(False),
                                            one_of(conn, lot.c.id, lot_ids[i:i + ledger.KEY_CHUNK]))
                         .values(settled=True))


def _past(as_of: dt.date) -> ColumnElement[bool]:
    """Lots past their last day that may still hold points (the partial index `ix_loyalty_lot_unsettled`)."""
    return lot.c.settled.is_(False) & (lot.c.expires_on < as_of)


def _expired(as_of: dt.date, which: ColumnElement[bool] | None = None) -> Select[Any]:
    """(member, lot, expiry, points) of the members' positive points lots past their last day and not settled, by
    member and earliest-expiring first (the order `lot_balances` gives)."""
    return (select(account.c.owner, entry.c.lot_id, lot.c.expires_on, func.sum(entry.c.amount))
            .select_from(entry.join(account, account.c.id == entry.c.account_id).join(lot, lot.c.id == entry.c.lot_id))
            .where(account.c.owner_type == PERSON, account.c.kind == "points", _past(as_of),
                   true() if which is None else which)
            .group_by(account.c.owner, entry.c.lot_id, lot.c.expires_on).having(func.sum(entry.c.amount) > 0)
            .order_by(account.c.owner, lot.c.expires_on, entry.c.lot_id))


def expiring(conn: Connection, as_of: dt.date, within_days: int = 30) -> dict[str, int]:
    """Points per member that expire within `within_days` of `as_of` (the "points expiring soon" trigger)."""
    until = as_of + dt.timedelta(days=within_days)
    rows = conn.execute(
        select(account.c.owner, entry.c.lot_id, func.sum(entry.c.amount))
        .select_from(entry.join(account, account.c.id == entry.c.account_id).join(lot, lot.c.id == entry.c.lot_id))
        .where(account.c.owner_type == PERSON, account.c.kind == "points", lot.c.expires_on >= as_of,
               lot.c.expires_on <= until)
        .group_by(account.c.owner, entry.c.lot_id).having(func.sum(entry.c.amount) > 0)).all()
    out: dict[str, int] = {}
    for owner, _, amount in rows:
        out[owner] = out.get(owner, 0) + int(amount)
    return out


def dated_balances(conn: Connection, as_of: dt.date,
                   persons: list[str] | None = None) -> list[tuple[str, dt.date, int]]:
    """(person, expiry date, points) of every member's positive lots still usable on `as_of` (or only these
    members'), summed by date: what the warehouse gets for "points expiring within N days" (a few dates per member,
    not one row per lot)."""
    per_lot = (select(account.c.owner.label("owner"), lot.c.expires_on.label("expires_on"),
                      func.sum(entry.c.amount).label("amount"))
               .select_from(entry.join(account, account.c.id == entry.c.account_id)
                            .join(lot, lot.c.id == entry.c.lot_id))
               .where(account.c.owner_type == PERSON, account.c.kind == "points", lot.c.expires_on >= as_of,
                      true() if persons is None else one_of(conn, account.c.owner, persons))
               .group_by(account.c.owner, entry.c.lot_id, lot.c.expires_on)
               .having(func.sum(entry.c.amount) > 0).subquery())
    rows = conn.execute(select(per_lot.c.owner, per_lot.c.expires_on, func.sum(per_lot.c.amount))
                        .group_by(per_lot.c.owner, per_lot.c.expires_on)
                        .order_by(per_lot.c.owner, per_lot.c.expires_on)).all()
    return [(r[0], r[1], int(r[2])) for r in rows]
