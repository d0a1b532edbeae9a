"""Coupons: issued to a member with a value and a validity (e.g. ¥10 for 30 days), redeemed once against an
order, expired after their last moment. A coupon's state changes only by a guarded update (issued → redeemed or
expired), so two redemptions of one coupon cannot both succeed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, true, update
from sqlalchemy.engine import Connection, Engine

from siyu.errors import UserError
from siyu.loyalty import touched
from siyu.loyalty.db import insert_ignore, now, one_of, utc, within, write
from siyu.loyalty.tables import coupon


@dataclass(frozen=True)
class Coupon:
    id: int
    person_id: str
    value_fen: int
    valid_until: dt.datetime
    status: str
    order_id: str | None


def _coupon(r: Any) -> Coupon:
    return Coupon(r.id, r.person_id, int(r.value_fen), utc(r.valid_until), r.status, r.order_id)


def issue(engine: Engine | Connection, person_id: str, value_fen: int, valid_days: int, key: str, *,
          at: dt.datetime | None = None) -> Coupon:
    """Issue a coupon valid for `valid_days` from `at`; idempotent by `key`."""
    if value_fen <= 0 or valid_days <= 0:
        raise UserError(f"a coupon needs a positive value and validity, not {value_fen} fen for {valid_days} days")
    at = at or now()
    with within(engine) as conn:
        found = conn.execute(select(coupon).where(coupon.c.key == key)).one_or_none()
        if found is None:
            conn.execute(coupon.insert().values(key=key, person_id=person_id, value_fen=value_fen, issued_at=at,
                                                valid_until=at + dt.timedelta(days=valid_days), status="issued"))
            touched.touch(conn, [person_id])
            found = conn.execute(select(coupon).where(coupon.c.key == key)).one()
        return _coupon(found)


def issue_many(engine: Engine | Connection, wanted: dict[str, tuple[str, int, int]], *,
               at: dt.datetime | None = None) -> dict[str, int]:
    """Issue coupons by key → (person, value in fen, valid days), all in one statement; idempotent by key like
    `issue`. Returns every key's coupon id (those issued before included)."""
    if not wanted:
        return {}
    if any(v <= 0 or d <= 0 for _, v, d in wanted.values()):
        raise UserError("a coupon needs a positive value and validity")
    at = at or now()
    keys = sorted(wanted)
    with within(engine) as conn:
        insert_ignore(conn, coupon, [{"key": k, "person_id": wanted[k][0], "value_fen": wanted[k][1], "issued_at": at,
                                      "valid_until": at + dt.timedelta(days=wanted[k][2]), "status": "issued"}
                                     for k in keys])
        touched.touch(conn, {p for p, _, _ in wanted.values()})  # those issued before too: harmless
        return {r.key: r.id for i in range(0, len(keys), 5000)
                for r in conn.execute(select(coupon.c.key, coupon.c.id).where(one_of(conn, coupon.c.key,
                                                                                     keys[i:i + 5000])))}


def get(conn: Connection, coupon_id: int) -> Coupon | None:
    row = conn.execute(select(coupon).where(coupon.c.id == coupon_id)).one_or_none()
    return _coupon(row) if row is not None else None


def find(conn: Connection, key: str) -> Coupon | None:
    """The coupon issued under an idempotency key, if any."""
    row = conn.execute(select(coupon).where(coupon.c.key == key)).one_or_none()
    return _coupon(row) if row is not None else None


def held(conn: Connection, person_id: str) -> list[Coupon]:
    """The member's coupons still to use (issued, not yet expired by a run), soonest-ending first."""
    rows = conn.execute(select(coupon).where(coupon.c.person_id == person_id, coupon.c.status == "issued")
                        .order_by(coupon.c.valid_until, coupon.c.id)).all()
    return [_coupon(r) for r in rows]


def redeem(engine: Engine | Connection, coupon_id: int, channel: str, order_id: str, *,
           at: dt.datetime | None = None) -> Coupon:
    """Use the coupon on an order. Redeeming it again for the same order returns it; anything else that is not a
    valid issued coupon is refused."""
    at = at or now()
    with within(engine) as conn:
        row = conn.execute(select(coupon).where(coupon.c.id == coupon_id)).one_or_none()
        if row is None:
            raise UserError(f"no coupon {coupon_id}")
        if row.status == "redeemed" and (row.channel, row.order_id) == (channel, order_id):
            return _coupon(row)
        if row.status != "issued":
            raise UserError(f"coupon {coupon_id} is {row.status}")
        if utc(row.valid_until) < at:
            raise UserError(f"coupon {coupon_id} expired at {utc(row.valid_until):%Y-%m-%d %H:%M} UTC")
        done = conn.execute(update(coupon).where(coupon.c.id == coupon_id, coupon.c.status == "issued")
                            .values(status="redeemed", channel=channel, order_id=order_id, closed_at=at))
        if done.rowcount != 1:
            raise UserError(f"coupon {coupon_id} was used meanwhile")
        touched.touch(conn, [row.person_id])
        return _coupon(conn.execute(select(coupon).where(coupon.c.id == coupon_id)).one())


def expire(engine: Engine, at: dt.datetime | None = None) -> int:
    """Mark every issued coupon past its validity expired; returns how many."""
    at = at or now()
    with write(engine) as conn:
        owners = conn.execute(update(coupon).where(coupon.c.status == "issued", coupon.c.valid_until < at)
                              .values(status="expired", closed_at=at).returning(coupon.c.person_id)).scalars().all()
        touched.touch(conn, owners)
        return len(owners)


def expiring(conn: Connection, at: dt.datetime, within_days: int = 3) -> list[Coupon]:
    """Issued coupons whose validity ends within `within_days` of `at` (the "coupon about to expire" trigger)."""
    rows = conn.execute(select(coupon).where(coupon.c.status == "issued", coupon.c.valid_until >= at,
                                             coupon.c.valid_until <= at + dt.timedelta(days=within_days))
                        .order_by(coupon.c.valid_until, coupon.c.id)).all()
    return [_coupon(r) for r in rows]


def usable(conn: Connection, at: dt.datetime, persons: list[str] | None = None) -> list[Coupon]:
    """Issued coupons still valid at `at`, every member's or these members' (what the warehouse gets for "coupon
    expiring")."""
    which = true() if persons is None else one_of(conn, coupon.c.person_id, persons)
    rows = conn.execute(select(coupon).where(coupon.c.status == "issued", coupon.c.valid_until >= at, which)
                        .order_by(coupon.c.person_id, coupon.c.valid_until, coupon.c.id)).all()
    return [_coupon(r) for r in rows]
