"""Stored value (储值), in fen: a top-up credits principal (what the member paid) and gift (the bonus) apart; a
spend uses them in the configured order; a refund pays back unused principal and forfeits the gift in
proportion; nothing ever goes below zero. The outstanding principal and gift are the brand's liability.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select, true
from sqlalchemy.engine import Connection, Engine

from siyu.loyalty import ledger
from siyu.loyalty.db import lock_persons, now, one_of, utc, within
from siyu.loyalty.tables import PERSON, account, entry, posting

KIND = {"principal": "sv_principal", "gift": "sv_gift"}


def topup(engine: Engine | Connection, person_id: str, principal_fen: int, gift_fen: int, key: str, *,
          at: dt.datetime | None = None, source: ledger.Source | None = None) -> ledger.Posting:
    """Credit a paid top-up and its bonus; idempotent by `key`."""
    if principal_fen <= 0 or gift_fen < 0:
        raise ledger.UserError(f"a top-up needs principal > 0 and gift ≥ 0 fen, not {principal_fen} and {gift_fen}")
    at = at or now()
    with within(engine) as conn:
        lock_persons(conn, [person_id], at)
        return ledger.post(conn, key, "topup", [
            ledger.person(person_id, "sv_principal", principal_fen), ledger.system("sv_cash", -principal_fen),
            ledger.person(person_id, "sv_gift", gift_fen), ledger.system("sv_bonus", -gift_fen)],
            at=at, person_id=person_id, source=source)


def spend(engine: Engine | Connection, person_id: str, amount_fen: int, key: str, *,
          order: Sequence[str] = ("principal", "gift"), at: dt.datetime | None = None,
          source: ledger.Source | None = None) -> ledger.Posting:
    """Pay `amount_fen` from stored value, taking principal and gift in `order`; refused when the member holds
    less. Idempotent by `key`."""
    if amount_fen <= 0:
        raise ledger.UserError(f"an amount to spend must be positive, not {amount_fen}")
    at = at or now()
    with within(engine) as conn:
        lock_persons(conn, [person_id], at)
        if (done := ledger.find(conn, key)) is not None:
            return done
        held = {part: ledger.balance(conn, person_id, KIND[part]) for part in order}
        if sum(held.values()) < amount_fen:
            raise ledger.InsufficientBalance(
                f"member {person_id} holds {sum(held.values())} fen of stored value, cannot spend {amount_fen}")
        legs, left = [], amount_fen
        for part in order:
            take = min(held[part], left)
            legs.append(ledger.person(person_id, KIND[part], -take))
            left -= take
        return ledger.post(conn, key, "spend", [*legs, ledger.system("sv_spent", amount_fen)], at=at,
                           person_id=person_id, source=source)


def refund(engine: Engine | Connection, person_id: str, principal_fen: int, key: str, *, forfeit_gift: bool = True,
           at: dt.datetime | None = None) -> ledger.Posting:
    """Pay back `principal_fen` of unused principal; with `forfeit_gift`, the gift goes in the same proportion
    (rounded down), so refunding all principal forfeits all gift. Idempotent by `key`."""
    if principal_fen <= 0:
        raise ledger.UserError(f"an amount to refund must be positive, not {principal_fen}")
    at = at or now()
    with within(engine) as conn:
        lock_persons(conn, [person_id], at)
        if (done := ledger.find(conn, key)) is not None:
            return done
        principal = ledger.balance(conn, person_id, "sv_principal")
        if principal < principal_fen:
            raise ledger.InsufficientBalance(
                f"member {person_id} holds {principal} fen of unused principal, cannot refund {principal_fen}")
        gift = ledger.balance(conn, person_id, "sv_gift")
        forfeit = gift * principal_fen // principal if forfeit_gift else 0
        return ledger.post(conn, key, "refund", [
            ledger.person(person_id, "sv_principal", -principal_fen), ledger.system("sv_cash", principal_fen),
            ledger.person(person_id, "sv_gift", -forfeit), ledger.system("sv_bonus", forfeit)],
            at=at, person_id=person_id)


@dataclass(frozen=True)
class Liability:
    month: str  # YYYY-MM
    principal_fen: int  # outstanding at the month's end
    gift_fen: int


def liability_by_month(conn: Connection) -> list[Liability]:
    """Outstanding principal and gift over all members at the end of each month with stored-value activity."""
    rows = conn.execute(
        select(posting.c.posted_at, account.c.kind, entry.c.amount)
        .select_from(entry.join(account, account.c.id == entry.c.account_id)
                     .join(posting, posting.c.id == entry.c.posting_id))
        .where(account.c.owner_type == PERSON, account.c.kind.in_(list(KIND.values())))).all()
    moves: dict[str, dict[str, int]] = {}
    for posted_at, kind, amount in rows:
        month = utc(posted_at).strftime("%Y-%m")
        moves.setdefault(month, {"sv_principal": 0, "sv_gift": 0})[kind] += int(amount)
    out, principal, gift = [], 0, 0
    for month in sorted(moves):
        principal += moves[month]["sv_principal"]
        gift += moves[month]["sv_gift"]
        out.append(Liability(month, principal, gift))
    return out


def holders(conn: Connection) -> int:
    """Members who ever topped up (the numerator of the stored-value rate)."""
    return int(conn.execute(select(func.count(func.distinct(posting.c.person_id)))
                            .where(posting.c.type == "topup")).scalar_one())


def holdings(conn: Connection, persons: list[str] | None = None) -> dict[str, tuple[dt.datetime, int]]:
    """Every member who ever topped up (or those of these members) → (first top-up, the stored value in fen they
    hold now)."""
    first = dict(conn.execute(select(posting.c.person_id, func.min(posting.c.posted_at))
                              .where(posting.c.type == "topup",
                                     true() if persons is None else one_of(conn, posting.c.person_id, persons))
                              .group_by(posting.c.person_id)).all())
    held = dict(conn.execute(
        select(account.c.owner, func.sum(entry.c.amount)).join(entry, entry.c.account_id == account.c.id)
        .where(account.c.owner_type == PERSON, account.c.kind.in_(list(KIND.values())),
               true() if persons is None else one_of(conn, account.c.owner, persons))
        .group_by(account.c.owner)).all())
    return {p: (utc(at), int(held.get(p, 0))) for p, at in first.items()}
