"""Members' points, stored value and coupons. Thin: each route parses, calls one siyu.loyalty function and answers.

Every write needs an `Idempotency-Key` header: a replay with the same key and body posts nothing and answers the
original result with 200 (the first answer is 201); the same key with another body is 409. A redemption, spend or
refund larger than what the member holds is 409 and posts nothing. Every posting is audited. A guide reads and
redeems only for their own or their store's customers; anyone else is 404, as in the persons API.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Path, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from siyu.api.context import ServiceConfig
from siyu.api.fastjson import fast_json
from siyu.api.pages import Limit, Offset, Page
from siyu.api.security import config, guarded, scope_of, user_of
from siyu.auth import audit
from siyu.loyalty import coupons, ledger, lots, requests, wallet
from siyu.loyalty.db import LedgerBusy, write
from siyu.loyalty.rules import loyalty_settings
from siyu.persons import visible

router = APIRouter(prefix="/loyalty", tags=["loyalty"])

PersonId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$",
                               examples=["P0000000002"])]
IdempotencyKey = Annotated[str, Header(
    alias="Idempotency-Key", min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$",
    description="any unique string per intended write (e.g. a UUID); a retry with the same key posts nothing")]
Money = Annotated[str, Field(pattern=r"^\d{1,9}(\.\d{1,2})?$", description="yuan, as a decimal string",
                             examples=["100.00"])]
Reason = Annotated[str, Field(min_length=1, max_length=500, pattern=r"\S", description="why (audited)")]
Channel = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[a-z_]+$", examples=["store"])]
OrderId = Annotated[str, Field(min_length=1, max_length=128, examples=["SO20260601001"])]
MONEY_KINDS = frozenset(wallet.KIND.values())
KEY_PREFIX = "api:"  # ledger keys of API writes (the CLI's are cli:…)
WRITE: dict[str, Any] = {"status_code": 201, "response_model": dict[str, Any]}  # a write: 201 (a replay: 200)
WRITE_PATIENCE_S = 8.0  # how long a write waits for SQLite's lock before answering 503


def fen(money: str) -> int:
    return int(Decimal(money) * 100)


def yuan(amount_fen: int) -> str:
    sign = "-" if amount_fen < 0 else ""
    return f"{sign}{abs(amount_fen) // 100}.{abs(amount_fen) % 100:02d}"


def amount(kind: str, value: int) -> int | str:
    """Points stay integers; stored value (fen in the ledger) is answered as yuan strings."""
    return yuan(value) if kind in MONEY_KINDS else value


# --- bodies -------------------------------------------------------------------------------------------------------

class Redeem(BaseModel):
    points: int = Field(gt=0, le=1_000_000_000)
    reason: str | None = Field(default=None, max_length=500)
    channel: Channel | None = None
    order_id: OrderId | None = None


class Adjust(BaseModel):
    points: int = Field(ge=-1_000_000_000, le=1_000_000_000, description="+ credits a new lot, − takes points")
    reason: Reason
    expires_on: dt.date | None = Field(default=None, description="a credit's expiry; none: never")


class TopUp(BaseModel):
    principal: Money
    gift: Money = "0"


class Spend(BaseModel):
    amount: Money
    channel: Channel | None = None
    order_id: OrderId | None = None


class Refund(BaseModel):
    principal: Money
    reason: str | None = Field(default=None, max_length=500)


class CouponIssue(BaseModel):
    value: Money
    valid_days: int = Field(default=30, ge=1, le=3650)


class CouponRedeem(BaseModel):
    channel: Channel
    order_id: OrderId


# --- helpers ------------------------------------------------------------------------------------------------------

def member(request: Request, person_id: str) -> ServiceConfig:
    """The service config, after checking a guide may see the member (404 otherwise, as for the persons API).
    Other roles are not checked against the warehouse: a merged-away person's ledger still answers."""
    cfg, user = config(request), user_of(request)
    if user.scoped:
        with cfg.serving.reader() as eng:
            if not visible(eng, person_id, scope_of(user)):
                raise HTTPException(404, "no such person")
    return cfg


@contextmanager
def ledger_write(cfg: ServiceConfig) -> Iterator[Connection]:
    """The request's one write transaction: key claim, posting and audit row commit together or not at all.
    A store kept locked by other writers past WRITE_PATIENCE_S is 503 with Retry-After, never 500."""
    try:
        with write(cfg.store, patience_s=WRITE_PATIENCE_S) as conn:
            yield conn
    except LedgerBusy:
        raise busy() from None
    except OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise busy() from None
        raise


def busy() -> HTTPException:
    return HTTPException(503, "the ledger is busy with other writes; try again", headers={"Retry-After": "1"})


def claimed(conn: Connection, key: str, operation: str, subject: str, body: BaseModel,
            member_id: str | None = None) -> str:
    """The ledger key for the caller's key, bound to this request (409 when it was used for another). `member_id`:
    the member whose accounts the write will lock, locked along with the claim (one round trip on PostgreSQL)."""
    return claim(conn, key, operation, subject, body, member_id)[0]


def claim(conn: Connection, key: str, operation: str, subject: str, body: BaseModel,
          member_id: str | None = None) -> tuple[str, bool]:
    """(ledger key, new): as `claimed`, and whether the key was first used just now (nothing posted under it)."""
    try:
        new = requests.claim(conn, KEY_PREFIX + key, requests.fingerprint(operation, subject, body.model_dump()),
                             lock=[member_id] if member_id else [])
    except requests.KeyReused as exc:
        raise HTTPException(409, str(exc)) from None
    return KEY_PREFIX + key, new


def answer(created: bool, payload: dict[str, Any]) -> Response:
    """201 for a new write, 200 for a replay, serialised once (`fast_json`: a write's answer is small and built
    here, so FastAPI's response validation would only cost the request CPU)."""
    response = fast_json(payload, 201 if created else 200)
    response.headers["Idempotent-Replayed"] = "false" if created else "true"
    return response


def posting_json(p: ledger.Posting) -> dict[str, Any]:
    return {"posting_id": p.id, "type": p.type, "person_id": p.person_id, "reason": p.reason,
            "posted_at": p.posted_at.isoformat(),
            "entries": [{"kind": leg.kind, "amount": amount(leg.kind, leg.amount), "lot_id": leg.lot_id}
                        for leg in p.legs if leg.owner_type == "person"]}


def coupon_json(c: coupons.Coupon) -> dict[str, Any]:
    return {"coupon_id": c.id, "person_id": c.person_id, "value": yuan(c.value_fen),
            "valid_until": c.valid_until.isoformat(), "status": c.status, "order_id": c.order_id}


def audited(conn: Connection, request: Request, p: ledger.Posting, action: str, target: str,
            reason: str | None = None) -> ledger.Posting:
    """Audit a new posting in the request's transaction (a replay was audited the first time; a posting `noted`
    had its row written with it)."""
    if p.created and not p.noted:
        audit.record(conn, user_of(request), action, f"{target} (posting {p.id})", reason or "")
    return p


def posted(p: ledger.Posting) -> Response:
    return answer(p.created, posting_json(p))


def overdraw(exc: ledger.InsufficientBalance) -> HTTPException:
    return HTTPException(409, str(exc).splitlines()[0])


def source(channel: str | None, order_id: str | None) -> ledger.Source | None:
    return ledger.Source(channel, order_id) if channel and order_id else None


# --- reads --------------------------------------------------------------------------------------------------------

@router.get("/persons/{person_id}", **guarded("loyalty:read"))
def balances(request: Request, person_id: PersonId) -> dict[str, Any]:
    """Points (available and pending), stored value (principal and gift), points lots with their expiry, and the
    coupons still to use."""
    cfg = member(request, person_id)
    with cfg.store.connect() as conn:
        held = ledger.balances(conn, person_id)
        found = lots.lot_balances(conn, person_id)
        usable = coupons.held(conn, person_id)
    principal, gift = held.get("sv_principal", 0), held.get("sv_gift", 0)
    return {"person_id": person_id, "points": held.get("points", 0), "points_pending": held.get("points_pending", 0),
            "stored_value": {"principal": yuan(principal), "gift": yuan(gift), "total": yuan(principal + gift)},
            "lots": [{"lot_id": b.lot_id, "expires_on": b.expires_on.isoformat() if b.expires_on else None,
                      "points": b.amount} for b in found],
            "coupons": [coupon_json(c) for c in usable]}


@router.get("/persons/{person_id}/history", response_model=Page, **guarded("loyalty:read"))
def history(request: Request, person_id: PersonId, limit: Limit = 50, offset: Offset = 0) -> Page:
    """The member's ledger entries, newest first: what moved on which account, why, from which order."""
    cfg = member(request, person_id)
    with cfg.store.connect() as conn:
        lines = ledger.history(conn, person_id, limit, offset)
        total = ledger.history_size(conn, person_id)
    items = [{"posting_id": h.posting_id, "type": h.type, "kind": h.kind, "amount": amount(h.kind, h.amount),
              "lot_id": h.lot_id, "expires_on": h.expires_on.isoformat() if h.expires_on else None,
              "reason": h.reason, "channel": h.channel, "order_id": h.order_id,
              "posted_at": h.posted_at.isoformat()} for h in lines]
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.get("/wallet/liability", **guarded("loyalty:report"))
def liability(request: Request) -> dict[str, Any]:
    """Outstanding stored value over all members at the end of each month with activity."""
    with config(request).store.connect() as conn:
        months = wallet.liability_by_month(conn)
    return {"months": [{"month": m.month, "principal": yuan(m.principal_fen), "gift": yuan(m.gift_fen),
                        "total": yuan(m.principal_fen + m.gift_fen)} for m in months]}


@router.get("/coupons/expiring", response_model=Page, **guarded("loyalty:report"))
def expiring(request: Request, within_days: Annotated[int, Query(ge=0, le=366)] = 3,
             limit: Limit = 100, offset: Offset = 0) -> Page:
    """Issued coupons whose validity ends within `within_days` from now, soonest first (for reminders)."""
    with config(request).store.connect() as conn:
        found = coupons.expiring(conn, dt.datetime.now(dt.UTC), within_days)
    return Page(items=[coupon_json(c) for c in found[offset:offset + limit]], total=len(found), limit=limit,
                offset=offset)


# --- writes -------------------------------------------------------------------------------------------------------

@router.post("/persons/{person_id}/redeem", **WRITE, **guarded("loyalty:redeem"))
def redeem(request: Request, person_id: PersonId, body: Redeem,
           idempotency_key: IdempotencyKey) -> Response:
    """Spend points, earliest-expiring lots first; 409 when the member holds fewer."""
    cfg = member(request, person_id)
    with ledger_write(cfg) as conn:
        key, new = claim(conn, idempotency_key, "redeem", person_id, body, person_id)
        note = ledger.AuditNote(user_of(request).name, "points.redeem", f"{person_id} -{body.points}",
                                body.reason or "")
        try:
            p = lots.redeem(conn, person_id, body.points, key, reason=body.reason,
                            source=source(body.channel, body.order_id), new=new, note=note)
        except ledger.InsufficientBalance as exc:
            raise overdraw(exc) from None
        audited(conn, request, p, note.action, note.target, body.reason)
    return posted(p)


@router.post("/persons/{person_id}/adjust", **WRITE, **guarded("loyalty:write"))
def adjust(request: Request, person_id: PersonId, body: Adjust,
           idempotency_key: IdempotencyKey) -> Response:
    """A manual correction with its reason: a credit is a new lot, a debit cannot overdraw (409)."""
    if body.points == 0:
        raise HTTPException(422, "an adjustment of 0 points posts nothing")
    cfg = member(request, person_id)
    with ledger_write(cfg) as conn:
        key = claimed(conn, idempotency_key, "adjust", person_id, body, person_id)
        try:
            p = lots.adjust(conn, person_id, body.points, body.reason, key, expires_on=body.expires_on)
        except ledger.InsufficientBalance as exc:
            raise overdraw(exc) from None
        audited(conn, request, p, "points.adjust", f"{person_id} {body.points:+}", body.reason)
    return posted(p)


@router.post("/persons/{person_id}/wallet/topup", **WRITE, **guarded("loyalty:write"))
def topup(request: Request, person_id: PersonId, body: TopUp,
          idempotency_key: IdempotencyKey) -> Response:
    """A paid top-up (principal) with its bonus (gift), kept apart."""
    if fen(body.principal) <= 0:
        raise HTTPException(422, "a top-up needs a principal above 0")
    cfg = member(request, person_id)
    with ledger_write(cfg) as conn:
        key = claimed(conn, idempotency_key, "topup", person_id, body, person_id)
        p = wallet.topup(conn, person_id, fen(body.principal), fen(body.gift), key)
        audited(conn, request, p, "wallet.topup", f"{person_id} +{body.principal}+{body.gift}")
    return posted(p)


@router.post("/persons/{person_id}/wallet/spend", **WRITE, **guarded("loyalty:write"))
def spend(request: Request, person_id: PersonId, body: Spend,
          idempotency_key: IdempotencyKey) -> Response:
    """Pay from stored value in the `[loyalty] stored_value_order`; 409 when the member holds less."""
    if fen(body.amount) <= 0:
        raise HTTPException(422, "an amount to spend must be above 0")
    cfg = member(request, person_id)
    order = loyalty_settings(cfg.settings).stored_value_order
    with ledger_write(cfg) as conn:
        key = claimed(conn, idempotency_key, "spend", person_id, body, person_id)
        try:
            p = wallet.spend(conn, person_id, fen(body.amount), key, order=order,
                             source=source(body.channel, body.order_id))
        except ledger.InsufficientBalance as exc:
            raise overdraw(exc) from None
        audited(conn, request, p, "wallet.spend", f"{person_id} -{body.amount}")
    return posted(p)


@router.post("/persons/{person_id}/wallet/refund", **WRITE, **guarded("loyalty:write"))
def refund(request: Request, person_id: PersonId, body: Refund,
           idempotency_key: IdempotencyKey) -> Response:
    """Pay back unused principal (the gift that came with it is forfeited in proportion, unless
    `[loyalty] forfeit_gift_on_refund = false`); 409 beyond the unused principal."""
    if fen(body.principal) <= 0:
        raise HTTPException(422, "an amount to refund must be above 0")
    cfg = member(request, person_id)
    forfeit = loyalty_settings(cfg.settings).forfeit_gift_on_refund
    with ledger_write(cfg) as conn:
        key = claimed(conn, idempotency_key, "refund", person_id, body, person_id)
        try:
            p = wallet.refund(conn, person_id, fen(body.principal), key, forfeit_gift=forfeit)
        except ledger.InsufficientBalance as exc:
            raise overdraw(exc) from None
        audited(conn, request, p, "wallet.refund", f"{person_id} -{body.principal}", body.reason)
    return posted(p)


@router.post("/persons/{person_id}/coupons", **WRITE, **guarded("loyalty:write"))
def issue_coupon(request: Request, person_id: PersonId, body: CouponIssue,
                 idempotency_key: IdempotencyKey) -> Response:
    """Issue a coupon worth `value`, valid for `valid_days` from now."""
    if fen(body.value) <= 0:
        raise HTTPException(422, "a coupon's value must be above 0")
    cfg = member(request, person_id)
    with ledger_write(cfg) as conn:
        key = claimed(conn, idempotency_key, "coupon-issue", person_id, body)
        before = coupons.find(conn, key) is None
        c = coupons.issue(conn, person_id, fen(body.value), body.valid_days, key)
        if before:
            audit.record(conn, user_of(request), "coupon.issue", f"{person_id} coupon {c.id} {body.value}")
    return answer(before, coupon_json(c))


@router.post("/persons/{person_id}/coupons/{coupon_id}/redeem", **WRITE, **guarded("loyalty:redeem"))
def redeem_coupon(request: Request, person_id: PersonId,
                  coupon_id: Annotated[int, Path(ge=1, le=2**31 - 1)], body: CouponRedeem,
                  idempotency_key: IdempotencyKey) -> Response:
    """Use the member's coupon on an order; 409 when it is used or expired, 404 when it is not theirs."""
    cfg = member(request, person_id)
    with ledger_write(cfg) as conn:
        found = coupons.get(conn, coupon_id)
        if found is None or found.person_id != person_id:
            raise HTTPException(404, "no such coupon for this person")
        claimed(conn, idempotency_key, "coupon-redeem", f"{person_id}/{coupon_id}", body)
        try:
            c = coupons.redeem(conn, coupon_id, body.channel, body.order_id)
        except ledger.UserError as exc:
            raise HTTPException(409, str(exc).splitlines()[0]) from None
        created = found.status == "issued"
        if created:
            audit.record(conn, user_of(request), "coupon.redeem",
                         f"{person_id} coupon {coupon_id} on {body.channel}:{body.order_id}")
    return answer(created, coupon_json(c))
