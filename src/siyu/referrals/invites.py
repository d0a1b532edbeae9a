"""Codes, links and rewards.

`sync` is safe to run any number of times: a link is made once per invitee (the earliest add carrying a code
wins), a reward is posted under the ledger key `referral:<invitee>`, which the ledger honours once, so a rerun
(or a crash between the ledger and this table) never pays twice.

The rules, in order, for a linked invitee:
- an invitee who had bought before the invitation is not new: rejected;
- the first order after the link must be paid and carry no refund (a refunded first order: rejected), and its
  return window (`settle_days`) must have passed (until then the link waits);
- invitees of one inviter sharing a phone or an address with `suspicious_invitees` − 1 others (counting every
  invitee the inviter ever had, settled or not) are held for a reviewer, who clears or rejects them;
- an inviter past `max_rewards_per_inviter` this year gets no more (over_limit).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import sqlalchemy as sa

from siyu.domain.orders import paid_sql
from siyu.domain.persons import person_sql
from siyu.engine import Engine
from siyu.engine.quote import literal
from siyu.errors import UserError
from siyu.guides.persons import person_map_sql
from siyu.guides.scratch import scratch_arrow
from siyu.loyalty import coupons, lots
from siyu.referrals.settings import ReferralSettings
from siyu.referrals.tables import code, invite

SCRATCH = "referral_scratch"
SHARED = "referral_shared_scratch"


def issue_code(store: sa.Engine, cfg: ReferralSettings, person_id: str, *, at: dt.datetime | None = None) -> str:
    """The person's code (the same one on every call): what their QR's `state` carries."""
    with store.begin() as conn:
        found = conn.execute(sa.select(code.c.code).where(code.c.person_id == person_id)).scalar_one_or_none()
        if found is not None:
            return str(found)
        new = f"{cfg.code_prefix}{secrets.token_hex(5)}"
        conn.execute(code.insert().values(code=new, person_id=person_id, created_at=at or dt.datetime.now(dt.UTC)))
        return new


@dataclass
class SyncResult:
    linked: int = 0
    rewarded: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    over_limit: list[str] = field(default_factory=list)


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _link(engine: Engine, store: sa.Engine, cfg: ReferralSettings, now: dt.datetime) -> int:
    """Record a link for every new invitee whose WeCom add carried a known code; returns links made."""
    with store.connect() as conn:
        codes = dict(conn.execute(sa.select(code.c.code, code.c.person_id)).all())
        known = set(conn.execute(sa.select(invite.c.invitee_id)).scalars())
    rows = engine.query(f"""
        SELECT {person_sql("'wecom'", 'c.external_userid', 'pm.person_id')} AS invitee_id, c.state, c.added_at
        FROM contacts AS c LEFT JOIN ({person_map_sql(engine)}) AS pm
          ON pm.channel = 'wecom' AND pm.channel_uid = c.external_userid
        WHERE c.external_userid IS NOT NULL AND substr(c.state, 1, {len(cfg.code_prefix)}) = {literal(cfg.code_prefix)}
        ORDER BY c.added_at, c.external_userid
    """).to_pylist()
    new = []
    for r in rows:
        inviter = codes.get(r["state"])
        if inviter is None or r["invitee_id"] in known or inviter == r["invitee_id"]:
            continue
        known.add(r["invitee_id"])
        new.append({"invitee_id": r["invitee_id"], "inviter_id": inviter, "code": r["state"],
                    "linked_at": _utc(r["added_at"]), "status": "linked", "note": "", "updated_at": now})
    if new:
        with store.begin() as conn:
            conn.execute(invite.insert(), new)
    return len(new)


def _orders(engine: Engine, waiting: list[Any]) -> dict[str, dict[str, Any]]:
    """Per invitee: the first paid order ever, and whether they had bought before the link."""
    scratch_arrow(engine, SCRATCH, pa.table({
        "invitee_id": [w.invitee_id for w in waiting],
        "linked_at": pa.array([_utc(w.linked_at).replace(tzinfo=None) for w in waiting], pa.timestamp("us"))}))
    try:
        rows = engine.query(f"""
            SELECT * FROM (
                SELECT s.invitee_id, s.linked_at, o.channel, o.order_id, o.status, o.refund_amount, o.order_date,
                       coalesce(o.paid_at, o.created_at) AS ts,
                       row_number() OVER (PARTITION BY s.invitee_id
                                          ORDER BY coalesce(o.paid_at, o.created_at), o.channel, o.order_id) AS rk
                FROM {SCRATCH} AS s
                JOIN (SELECT o.*, {person_sql('o.channel', 'o.channel_uid', 'pm.person_id')} AS person_id
                      FROM orders AS o LEFT JOIN ({person_map_sql(engine)}) AS pm
                        ON pm.channel = o.channel AND pm.channel_uid = o.channel_uid
                      WHERE {paid_sql('o')}) AS o ON o.person_id = s.invitee_id
            ) AS f WHERE rk = 1
        """).to_pylist()
    finally:
        engine.drop_table(SCRATCH)
    return {r["invitee_id"]: r for r in rows}


def _shared_contacts(engine: Engine, invitees: dict[str, str], threshold: int) -> dict[str, str]:
    """invitee → why, for invitees of one inviter sharing a phone or an address with threshold − 1 others.
    `invitees` is every invitee the inviter ever had (rewarded, rejected or waiting): a pattern builds up over
    months, so invitees settled one by one still count against the next one."""
    if not invitees or not engine.table_exists("identities"):
        return {}
    scratch_arrow(engine, SHARED, pa.table({"invitee_id": list(invitees), "inviter_id": list(invitees.values())}))
    try:
        rows = engine.query(f"""
            WITH ids AS (
                SELECT {person_sql('i.channel', 'i.channel_uid', 'pm.person_id')} AS person_id, i.phone, i.address
                FROM identities AS i LEFT JOIN ({person_map_sql(engine)}) AS pm
                  ON pm.channel = i.channel AND pm.channel_uid = i.channel_uid
                WHERE i.phone IS NOT NULL OR i.address IS NOT NULL
            ),
            k AS (
                SELECT DISTINCT s.inviter_id, s.invitee_id, 'phone' AS kind, d.phone AS v
                FROM {SHARED} AS s JOIN ids AS d ON d.person_id = s.invitee_id WHERE d.phone IS NOT NULL
                UNION
                SELECT DISTINCT s.inviter_id, s.invitee_id, 'address' AS kind, d.address AS v
                FROM {SHARED} AS s JOIN ids AS d ON d.person_id = s.invitee_id WHERE d.address IS NOT NULL
            )
            SELECT invitee_id, inviter_id, kind, n FROM (
                SELECT invitee_id, inviter_id, kind, v, count(*) OVER (PARTITION BY inviter_id, kind, v) AS n FROM k
            ) AS c WHERE n >= {int(threshold)}
            ORDER BY invitee_id, kind DESC, n DESC, v
        """).to_pylist()
    finally:
        engine.drop_table(SHARED)
    out: dict[str, str] = {}
    for r in rows:  # per invitee, a shared phone before a shared address
        out.setdefault(r["invitee_id"], f"one {r['kind']} behind {r['n']} invitees of {r['inviter_id']}")
    return out


def _set(store: sa.Engine, invitee: str, now: dt.datetime, **values: Any) -> None:
    with store.begin() as conn:
        conn.execute(invite.update().where(invite.c.invitee_id == invitee).values(updated_at=now, **values))


def _reward(store: sa.Engine, cfg: ReferralSettings, inviter: str, invitee: str, now: dt.datetime) -> str:
    key = f"referral:{invitee}"
    reason = f"referral reward: {invitee} joined and bought"
    if cfg.reward == "points":
        lots.adjust(store, inviter, cfg.points, reason, key, at=now)
    else:
        coupons.issue(store, inviter, cfg.coupon_fen, cfg.coupon_days, key, at=now)
    return key


def sync(engine: Engine, store: sa.Engine, cfg: ReferralSettings, as_of: dt.date, *,
         now: dt.datetime | None = None) -> SyncResult:
    """Link new invitees and settle every waiting one as of `as_of` (rules in the module's docstring)."""
    now = now or dt.datetime.now(dt.UTC)
    result = SyncResult(linked=_link(engine, store, cfg, now))
    with store.connect() as conn:
        waiting = conn.execute(sa.select(invite).where(invite.c.status.in_(("linked", "cleared")))).all()
        done = conn.execute(sa.select(invite.c.inviter_id, invite.c.updated_at)
                            .where(invite.c.status == "rewarded")).all()
        everyone = conn.execute(sa.select(invite.c.invitee_id, invite.c.inviter_id)).all()
    if not waiting:
        return result
    used = Counter(r.inviter_id for r in done if _utc(r.updated_at).year == as_of.year)
    first = _orders(engine, list(waiting))
    suspicious = _shared_contacts(engine, {r.invitee_id: r.inviter_id for r in everyone}, cfg.suspicious_invitees)
    for w in sorted(waiting, key=lambda r: (_utc(r.linked_at), r.invitee_id)):
        o = first.get(w.invitee_id)
        if o is None:
            continue
        ref = f"{o['channel']}:{o['order_id']}"
        if _utc(o["ts"]) < _utc(w.linked_at):
            _set(store, w.invitee_id, now, status="rejected", order_ref=ref, note="bought before the invitation")
            result.rejected.append(w.invitee_id)
        elif o["status"] != "paid" or (o["refund_amount"] or 0) > 0:
            _set(store, w.invitee_id, now, status="rejected", order_ref=ref, note="first order refunded")
            result.rejected.append(w.invitee_id)
        elif o["order_date"] + dt.timedelta(days=cfg.settle_days) > as_of:
            continue
        elif w.status == "linked" and w.invitee_id in suspicious:  # a reviewer cleared the others
            _set(store, w.invitee_id, now, status="held", order_ref=ref, note=suspicious[w.invitee_id])
            result.held.append(w.invitee_id)
        elif used[w.inviter_id] >= cfg.max_rewards_per_inviter:
            _set(store, w.invitee_id, now, status="over_limit", order_ref=ref,
                 note=f"{w.inviter_id} had {used[w.inviter_id]} rewards in {as_of.year}")
            result.over_limit.append(w.invitee_id)
        else:
            key = _reward(store, cfg, w.inviter_id, w.invitee_id, now)
            _set(store, w.invitee_id, now, status="rewarded", order_ref=ref, reward_key=key)
            used[w.inviter_id] += 1
            result.rewarded.append(w.invitee_id)
    return result


def review(store: sa.Engine, invitee_id: str, clear: bool, user_name: str, reason: str, *,
           now: dt.datetime | None = None) -> str:
    """A reviewer's decision on a held invitee: cleared (settled at the next sync) or rejected."""
    if not reason.strip():
        raise UserError("a referral review needs a reason")
    with store.connect() as conn:
        status = conn.execute(sa.select(invite.c.status).where(invite.c.invitee_id == invitee_id)).scalar_one_or_none()
    if status != "held":
        raise UserError(f"{invitee_id} is {status or 'not an invitee'}: only a held invitation is reviewed")
    new = "cleared" if clear else "rejected"
    _set(store, invitee_id, now or dt.datetime.now(dt.UTC), status=new, note=f"{new} by {user_name}: {reason}")
    return new


def invitations(store: sa.Engine, inviter_id: str | None = None, status: str | None = None) -> list[dict[str, Any]]:
    q = sa.select(invite).order_by(invite.c.linked_at, invite.c.invitee_id)
    if inviter_id is not None:
        q = q.where(invite.c.inviter_id == inviter_id)
    if status is not None:
        q = q.where(invite.c.status == status)
    with store.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(q)]
