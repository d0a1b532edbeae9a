"""Post, read balances and history: the only code that writes `loyalty_posting` and `loyalty_entry`.

`post` is idempotent: a posting whose key exists posts nothing and returns the original. Every posting balances
(its entries sum to zero). Callers that can overdraw (redeem, spend) lock the member's accounts first
(`db.lock_persons`) inside a `db.write` transaction, then check and post.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select, text
from sqlalchemy.engine import Connection

from siyu.errors import UserError
from siyu.loyalty import touched
from siyu.loyalty.db import bulk_insert, ensure_accounts, one_of, reserve_ids, utc
from siyu.loyalty.tables import PERSON, POSTING_TYPES, SYSTEM, account, entry, lot, posting


class InsufficientBalance(UserError):
    """A redemption or spend larger than what the member holds; nothing was posted."""


@dataclass(frozen=True)
class Leg:
    """One entry of a posting: `amount` (+ credit, − debit) on an owner's account of `kind`, in a lot or none."""

    owner_type: str
    owner: str
    kind: str
    amount: int
    lot_id: int | None = None


def person(person_id: str, kind: str, amount: int, lot_id: int | None = None) -> Leg:
    return Leg(PERSON, person_id, kind, amount, lot_id)


def system(kind: str, amount: int) -> Leg:
    return Leg(SYSTEM, kind, kind, amount)


@dataclass(frozen=True)
class Source:
    """The order a posting comes from."""

    channel: str
    order_id: str
    version: int | None = None


@dataclass(frozen=True)
class AuditNote:
    """The audit row of a new posting, written by the posting's own statement where the ledger can (PostgreSQL's
    `spend_lots_pg`: one round trip less than a statement of its own), so it commits with the posting or not at
    all. `target` is written with ' (posting <id>)' appended, cut to the column's 255 characters."""

    user_name: str
    action: str
    target: str
    reason: str = ""


@dataclass(frozen=True)
class Posting:
    id: int
    key: str
    type: str
    person_id: str | None
    reason: str | None
    posted_at: dt.datetime
    legs: tuple[Leg, ...]
    created: bool  # False when the key had been posted before (a replay)
    noted: bool = False  # its AuditNote was written with it (else the caller audits it)


def earn_key(channel: str, order_id: str, version: int) -> str:
    """The idempotency key of what an order earns at a version: posted once per version, whoever posts it."""
    return f"earn:{channel}:{order_id}:v{version}"


def release_key(channel: str, order_id: str) -> str:
    """The idempotency key of an order's release (pending → available)."""
    return f"release:{channel}:{order_id}"


# the same keys in SQL, over a row's `channel`, `order_id` and `version` (siyu.loyalty.staged posts first-seen
# orders and releases set-wise); the colon before `v` is escaped for SQLAlchemy's text(), which reads `:v` as a
# parameter even inside a quoted literal
EARN_KEY_SQL = r"'earn:' || channel || ':' || order_id || '\:v' || CAST(version AS VARCHAR(20))"
RELEASE_KEY_SQL = "'release:' || channel || ':' || order_id"


def find(conn: Connection, key: str) -> Posting | None:
    """The posting with this idempotency key, if any."""
    head = conn.execute(select(posting).where(posting.c.key == key)).one_or_none()
    if head is None:
        return None
    rows = conn.execute(
        select(account.c.owner_type, account.c.owner, account.c.kind, entry.c.amount, entry.c.lot_id)
        .join(account, account.c.id == entry.c.account_id)
        .where(entry.c.posting_id == head.id).order_by(entry.c.leg)).all()
    legs = tuple(Leg(r.owner_type, r.owner, r.kind, int(r.amount), r.lot_id) for r in rows)
    return Posting(head.id, head.key, head.type, head.person_id, head.reason, utc(head.posted_at), legs, False)


def post(conn: Connection, key: str, type_: str, legs: Sequence[Leg], *, at: dt.datetime,
         person_id: str | None = None, reason: str | None = None, source: Source | None = None,
         new: bool = False) -> Posting:
    """Post `legs` as one balanced posting under `key`, or return the posting already under `key`. `new`: the
    caller knows the key is unused (skips the lookup; a wrong claim fails on the key's unique index)."""
    if not new and (existing := find(conn, key)) is not None:
        return existing
    if type_ not in POSTING_TYPES:
        raise ValueError(f"unknown posting type {type_!r}")
    legs = [leg for leg in legs if leg.amount != 0]
    if not legs:
        raise ValueError(f"posting {key!r} has no non-zero entry")
    if sum(leg.amount for leg in legs) != 0:
        raise ValueError(f"posting {key!r} does not balance: {legs}")
    if type_ == "manual_adjust" and not (reason or "").strip():
        raise UserError("a manual adjustment needs a reason")
    ids = ensure_accounts(conn, [(leg.owner_type, leg.owner, leg.kind) for leg in legs], at)
    values = {"key": key, "type": type_, "person_id": person_id, "reason": reason, "posted_at": at,
              "channel": source.channel if source else None, "order_id": source.order_id if source else None,
              "order_version": source.version if source else None}
    ids_of = [ids[(leg.owner_type, leg.owner, leg.kind)] for leg in legs]
    if conn.dialect.name == "postgresql":  # head and entries in one statement: one round trip, not two
        posting_id = int(conn.execute(_POST_PG, {
            **values, "legs": list(range(len(legs))), "accounts": ids_of, "amounts": [leg.amount for leg in legs],
            "lots": [leg.lot_id for leg in legs]}).scalars().all()[0])
    else:
        posting_id = conn.execute(_POST_HEAD, values).scalar_one()
        conn.execute(entry.insert(), [{"posting_id": posting_id, "leg": i, "account_id": a, "amount": leg.amount,
                                       "lot_id": leg.lot_id}
                                      for i, (a, leg) in enumerate(zip(ids_of, legs, strict=True))])
    follow_entries(conn, legs)
    return Posting(posting_id, key, type_, person_id, reason, at, tuple(legs), True)


def follow_entries(conn: Connection, legs: Sequence[Leg]) -> None:
    """What entries change beside the balances, in the posting's transaction: their members are touched (their
    exported facts are written again, siyu.loyalty.touched), and a lot credited with points is open to expiry
    again (`reopen`)."""
    touched.touch(conn, {leg.owner for leg in legs if leg.owner_type == PERSON})
    reopen(conn, {leg.lot_id for leg in legs
                  if leg.owner_type == PERSON and leg.kind == "points" and leg.amount > 0 and leg.lot_id is not None})


def reopen(conn: Connection, lot_ids: set[int]) -> None:
    """Lots an expiry run settled (nothing left past their date) that now hold points again: expiry reads them
    once more. A no-op for the lots not settled, which are nearly all."""
    ids = sorted(lot_ids)
    for i in range(0, len(ids), KEY_CHUNK):
        conn.execute(lot.update().where(lot.c.settled.is_(True), one_of(conn, lot.c.id, ids[i:i + KEY_CHUNK]))
                     .values(settled=False))


_POST_HEAD = posting.insert().returning(posting.c.id)  # built once: the values are parameters

# a posting and its entries in one statement on PostgreSQL: a data-modifying CTE, the entries as bound arrays (one
# text, so SQLAlchemy compiles it once, whatever the number of legs)
_POST_PG = text("""
    WITH head AS (
        INSERT INTO loyalty_posting (key, type, person_id, reason, posted_at, channel, order_id, order_version)
        VALUES (:key, :type, :person_id, :reason, :posted_at, :channel, :order_id, :order_version) RETURNING id)
    INSERT INTO loyalty_entry (posting_id, leg, account_id, amount, lot_id)
    SELECT head.id, e.leg, e.account_id, e.amount, e.lot_id
    FROM head, unnest(CAST(:legs AS integer[]), CAST(:accounts AS integer[]), CAST(:amounts AS bigint[]),
                      CAST(:lots AS integer[])) AS e(leg, account_id, amount, lot_id)
    RETURNING posting_id""")


def spend_lots_pg(conn: Connection, key: str, type_: str, person_id: str, kind: str, amount: int, system_kind: str,
                  *, at: dt.datetime, reason: str | None = None, source: Source | None = None,
                  note: AuditNote | None = None) -> Posting:
    """PostgreSQL: take `amount` from the member's `kind` account, its earliest-expiring positive lots first (as
    `lots.consume` takes them from `lots.lot_balances`), against the `system_kind` account, in ONE statement: the
    balance check, the choice of lots, the posting and its entries (a redemption's read and write are one round
    trip, not two). Never below zero: InsufficientBalance and nothing posted when the member holds less. The
    caller holds the member's accounts (`db.lock_persons`) and has made sure `key` is unused. `note`: the audit
    row written by the same statement when the posting is (the Posting says `noted`)."""
    ids = ensure_accounts(conn, [(PERSON, person_id, kind), (SYSTEM, system_kind, system_kind)], at)
    account_id, system_id = ids[(PERSON, person_id, kind)], ids[(SYSTEM, system_kind, system_kind)]
    rows = conn.execute(_SPEND_LOTS_PG, {
        "account": account_id, "system": system_id, "amount": amount, "key": key, "type": type_,
        "person_id": person_id, "reason": reason, "posted_at": at, "channel": source.channel if source else None,
        "order_id": source.order_id if source else None, "order_version": source.version if source else None,
        "note_at": at.astimezone(dt.UTC).replace(tzinfo=None), "note_user": note.user_name if note else None,
        "note_action": note.action if note else None, "note_target": note.target if note else None,
        "note_reason": note.reason if note else None,
    }).all()
    held, posting_id = int(rows[0].held), rows[0].posting_id
    if posting_id is None:
        raise InsufficientBalance(f"member {person_id} holds {held} points, cannot redeem {amount}")
    legs = [Leg(PERSON, person_id, kind, -int(r.take), r.lot_id) for r in rows]
    return Posting(int(posting_id), key, type_, person_id, reason, at,
                   (*legs, Leg(SYSTEM, system_kind, system_kind, amount)), True, noted=note is not None)


# the member's lots (entries summed per lot), their balance, the positive lots taken earliest-expiring first (a lot
# that never expires as 9999-12-31, then by lot id, as lots.lot_balances sorts them) until `amount` is covered, and
# the posting of those takes against the system account, and the member's touch (siyu.loyalty.touched): one row
# per lot taken, or one row with no posting when the balance falls short. A lot's expiry is looked up per lot by
# its key (a join let the planner hash the whole lot table: 3 ms instead of 0.3). With a note, the posting's audit
# row too (the audit log's naive UTC `at`, as siyu.auth.audit.record writes it). Every parameter is cast:
# PostgreSQL cannot infer types in INSERT … SELECT
_SPEND_LOTS_PG = text("""
    WITH lots AS (
        SELECT s.lot_id, (SELECT l.expires_on FROM loyalty_lot l WHERE l.id = s.lot_id) AS expires_on, s.amount
        FROM (SELECT lot_id, sum(amount) AS amount FROM loyalty_entry WHERE account_id = CAST(:account AS integer)
              GROUP BY lot_id) s),
    held AS (SELECT coalesce(sum(amount), 0) AS held FROM lots),
    running AS (
        SELECT lot_id, amount, sum(amount) OVER (ORDER BY coalesce(expires_on, DATE '9999-12-31'), coalesce(lot_id, 0)
                                                 ROWS UNBOUNDED PRECEDING) AS upto
        FROM lots WHERE amount > 0),
    taken AS (
        SELECT CAST(row_number() OVER (ORDER BY upto) - 1 AS integer) AS leg, lot_id,
               least(amount, CAST(:amount AS bigint) - (upto - amount)) AS take
        FROM running
        WHERE upto - amount < CAST(:amount AS bigint) AND (SELECT held FROM held) >= CAST(:amount AS bigint)),
    head AS (
        INSERT INTO loyalty_posting (key, type, person_id, reason, posted_at, channel, order_id, order_version)
        SELECT CAST(:key AS varchar), CAST(:type AS varchar), CAST(:person_id AS varchar), CAST(:reason AS varchar),
               CAST(:posted_at AS timestamptz), CAST(:channel AS varchar), CAST(:order_id AS varchar),
               CAST(:order_version AS bigint)
        WHERE (SELECT held FROM held) >= CAST(:amount AS bigint)
        RETURNING id),
    legs AS (
        INSERT INTO loyalty_entry (posting_id, leg, account_id, amount, lot_id)
        SELECT head.id, t.leg, CAST(:account AS integer), -t.take, t.lot_id FROM head, taken t
        UNION ALL
        SELECT head.id, CAST((SELECT count(*) FROM taken) AS integer), CAST(:system AS integer),
               CAST(:amount AS bigint), NULL
        FROM head),
    noted AS (
        INSERT INTO audit (at, user_name, action, target, reason)
        SELECT CAST(:note_at AS timestamp), CAST(:note_user AS varchar), CAST(:note_action AS varchar),
               left(CAST(:note_target AS varchar) || ' (posting ' || head.id || ')', 255), CAST(:note_reason AS text)
        FROM head WHERE CAST(:note_user AS varchar) IS NOT NULL),
    touch AS (""" + touched.touch_one_pg("head") + """)
    SELECT h.held, (SELECT id FROM head) AS posting_id, t.lot_id, t.take
    FROM held h LEFT JOIN taken t ON true
    ORDER BY t.leg""")


@dataclass(frozen=True)
class NewPosting:
    """One posting of a bulk write (`post_many`)."""

    key: str
    type: str
    legs: tuple[Leg, ...]
    person_id: str | None = None
    reason: str | None = None
    source: Source | None = None


def post_many(conn: Connection, postings: Sequence[NewPosting], *, at: dt.datetime) -> list[str]:
    """Post many postings set-wise: keys checked with one query (those already posted are skipped, as `post`
    does one by one), then one multi-row INSERT for the postings and one for their entries. Returns the keys
    posted. Each posting is checked as `post` checks it; one bad posting fails them all (the caller's
    transaction rolls back)."""
    if not postings:
        return []
    keys = [p.key for p in postings]
    if len(set(keys)) != len(keys):
        raise ValueError("a bulk posting names one key twice")
    done: set[str] = set()
    for i in range(0, len(keys), KEY_CHUNK):
        done.update(conn.execute(select(posting.c.key).where(one_of(conn, posting.c.key, keys[i:i + KEY_CHUNK])))
                    .scalars())
    todo = [p for p in postings if p.key not in done]
    if not todo:
        return []
    for p in todo:
        _check(p.key, p.type, p.legs, p.reason)
    ids = ensure_accounts(conn, {(leg.owner_type, leg.owner, leg.kind) for p in todo for leg in p.legs}, at)
    heads = [{"key": p.key, "type": p.type, "person_id": p.person_id, "reason": p.reason, "posted_at": at,
              "channel": p.source.channel if p.source else None, "order_id": p.source.order_id if p.source else None,
              "order_version": p.source.version if p.source else None} for p in todo]
    posting_ids = reserve_ids(conn, posting, len(heads))
    bulk_insert(conn, posting, [{"id": pid, **h} for pid, h in zip(posting_ids, heads, strict=True)])
    bulk_insert(conn, entry, [
        {"posting_id": pid, "leg": i, "account_id": ids[(leg.owner_type, leg.owner, leg.kind)],
         "amount": leg.amount, "lot_id": leg.lot_id}
        for pid, p in zip(posting_ids, todo, strict=True) for i, leg in enumerate(p.legs)])
    follow_entries(conn, [leg for p in todo for leg in p.legs])
    return [p.key for p in todo]


KEY_CHUNK = 5_000  # keys per IN (…) list: below SQLite's and psycopg's bound-parameter limits


def _check(key: str, type_: str, legs: Sequence[Leg], reason: str | None) -> None:
    if type_ not in POSTING_TYPES:
        raise ValueError(f"unknown posting type {type_!r}")
    if not legs or any(leg.amount == 0 for leg in legs):
        raise ValueError(f"posting {key!r} has no entry, or an entry of 0")
    if sum(leg.amount for leg in legs) != 0:
        raise ValueError(f"posting {key!r} does not balance: {legs}")
    if type_ == "manual_adjust" and not (reason or "").strip():
        raise UserError("a manual adjustment needs a reason")


def balance(conn: Connection, person_id: str, kind: str) -> int:
    """What the member holds on one account (points, pending points, or fen of stored value)."""
    return int(conn.execute(
        select(func.coalesce(func.sum(entry.c.amount), 0)).join(account, account.c.id == entry.c.account_id)
        .where(account.c.owner_type == PERSON, account.c.owner == person_id, account.c.kind == kind)).scalar_one())


def balances(conn: Connection, person_id: str) -> dict[str, int]:
    """Every account of the member with its balance (kinds never posted to are absent)."""
    rows = conn.execute(
        select(account.c.kind, func.sum(entry.c.amount)).join(account, account.c.id == entry.c.account_id)
        .where(account.c.owner_type == PERSON, account.c.owner == person_id).group_by(account.c.kind)).all()
    return {r[0]: int(r[1]) for r in rows}


def all_balances(conn: Connection) -> dict[tuple[str, str], int]:
    """(person_id, kind) → balance for every member account with entries."""
    rows = conn.execute(
        select(account.c.owner, account.c.kind, func.sum(entry.c.amount))
        .join(account, account.c.id == entry.c.account_id).where(account.c.owner_type == PERSON)
        .group_by(account.c.owner, account.c.kind)).all()
    return {(r[0], r[1]): int(r[2]) for r in rows}


@dataclass(frozen=True)
class HistoryLine:
    posting_id: int
    key: str
    type: str
    kind: str
    amount: int
    lot_id: int | None
    expires_on: dt.date | None
    reason: str | None
    channel: str | None
    order_id: str | None
    posted_at: dt.datetime


def history(conn: Connection, person_id: str, limit: int = 100, offset: int = 0) -> list[HistoryLine]:
    """The member's entries, newest first (`offset` of them skipped)."""
    rows = conn.execute(
        select(posting.c.id, posting.c.key, posting.c.type, account.c.kind, entry.c.amount, entry.c.lot_id,
               lot.c.expires_on, posting.c.reason, posting.c.channel, posting.c.order_id, posting.c.posted_at)
        .select_from(entry.join(account, account.c.id == entry.c.account_id)
                     .join(posting, posting.c.id == entry.c.posting_id)
                     .outerjoin(lot, lot.c.id == entry.c.lot_id))
        .where(account.c.owner_type == PERSON, account.c.owner == person_id)
        .order_by(posting.c.id.desc(), entry.c.leg).limit(limit).offset(offset)).all()
    return [HistoryLine(r[0], r[1], r[2], r[3], int(r[4]), r[5], r[6], r[7], r[8], r[9], utc(r[10])) for r in rows]


def history_size(conn: Connection, person_id: str) -> int:
    """How many entries the member's history holds (the total of its pages)."""
    return int(conn.execute(
        select(func.count()).select_from(entry.join(account, account.c.id == entry.c.account_id))
        .where(account.c.owner_type == PERSON, account.c.owner == person_id)).scalar_one())


def trial_balance(conn: Connection) -> int:
    """The sum of every entry in the ledger: 0 when double entry holds."""
    return int(conn.execute(select(func.coalesce(func.sum(entry.c.amount), 0))).scalar_one())


def unbalanced_postings(conn: Connection) -> list[str]:
    """Keys of postings whose entries do not sum to zero (there should be none)."""
    rows = conn.execute(select(posting.c.key).join(entry, entry.c.posting_id == posting.c.id)
                        .group_by(posting.c.key).having(func.sum(entry.c.amount) != 0)).all()
    return [r[0] for r in rows]
