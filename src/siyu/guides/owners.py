"""Each customer's owning guide and store, and handover when a guide leaves.

The warehouse says who added whom: a person's owner is the guide of their earliest WeCom friendship still in
place (ties: the lower staff id), their store that guide's store. A handover in the operational store moves a
leaving guide's customers to a colleague; later handovers apply on top of earlier ones, and the friendships and
the handover rows stay, so who owned a customer when is never lost.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from siyu.domain.orders import paid_sql
from siyu.domain.persons import person_sql
from siyu.engine import Engine
from siyu.errors import UserError
from siyu.guides.persons import person_map_sql
from siyu.guides.tables import handover, transfer


@dataclass(frozen=True)
class Owner:
    person_id: str
    guide_id: str | None  # None: a store member no guide has added
    store_id: str | None
    since: str  # "wecom add", "store member" or "handover <id>"


def _friend_owners_sql(engine: Engine) -> str:
    store = ("(SELECT staff_id, store_id FROM staff)" if engine.table_exists("staff")
             else "(SELECT CAST(NULL AS VARCHAR) AS staff_id, CAST(NULL AS VARCHAR) AS store_id)")
    return f"""
        SELECT person_id, guide_id, s.store_id FROM (
            SELECT {person_sql("'wecom'", 'c.external_userid', 'pm.person_id')} AS person_id,
                   c.staff_id AS guide_id,
                   row_number() OVER (PARTITION BY {person_sql("'wecom'", 'c.external_userid', 'pm.person_id')}
                                      ORDER BY c.added_at, c.staff_id) AS rk
            FROM contacts AS c LEFT JOIN ({person_map_sql(engine)}) AS pm
              ON pm.channel = 'wecom' AND pm.channel_uid = c.external_userid
            WHERE c.removed_at IS NULL AND c.external_userid IS NOT NULL AND c.staff_id IS NOT NULL
        ) AS f LEFT JOIN {store} AS s ON s.staff_id = f.guide_id
        WHERE rk = 1
    """


def _store_members_sql(engine: Engine) -> str:
    """Each store buyer's store: where they last paid at a till."""
    return f"""
        SELECT person_id, store_id FROM (
            SELECT {person_sql('o.channel', 'o.channel_uid', 'pm.person_id')} AS person_id, o.store_id,
                   row_number() OVER (PARTITION BY {person_sql('o.channel', 'o.channel_uid', 'pm.person_id')}
                                      ORDER BY coalesce(o.paid_at, o.created_at) DESC, o.order_id) AS rk
            FROM orders AS o LEFT JOIN ({person_map_sql(engine)}) AS pm
              ON pm.channel = o.channel AND pm.channel_uid = o.channel_uid
            WHERE o.channel = 'store' AND o.store_id IS NOT NULL AND {paid_sql('o')}
        ) AS m WHERE rk = 1
    """


def owners(engine: Engine, store: sa.Engine) -> dict[str, Owner]:
    """Every owned person's guide and store, handovers applied, by person id; a store member no guide has added
    has their store and no guide."""
    out = {r["person_id"]: Owner(r["person_id"], r["guide_id"], r["store_id"], "wecom add")
           for r in engine.query(_friend_owners_sql(engine)).to_pylist()}
    for r in engine.query(_store_members_sql(engine)).to_pylist():
        out.setdefault(r["person_id"], Owner(r["person_id"], None, r["store_id"], "store member"))
    with store.connect() as conn:
        moves = conn.execute(sa.select(transfer.c.person_id, transfer.c.to_staff_id, transfer.c.handover_id,
                                       handover.c.store_id)
                             .join(handover, handover.c.id == transfer.c.handover_id)
                             .order_by(transfer.c.id)).all()
    for m in moves:  # in order: a later handover of the same person wins
        out[m.person_id] = Owner(m.person_id, m.to_staff_id, m.store_id, f"handover {m.handover_id}")
    return out


def hand_over(engine: Engine, store: sa.Engine, from_staff: str, to_staff: str, user_name: str, reason: str, *,
              to_store: str | None = None, at: dt.datetime | None = None) -> int:
    """Move every customer `from_staff` owns now to `to_staff`; returns the handover's id. The reason is kept."""
    if from_staff == to_staff:
        raise UserError(f"a handover needs two different guides, not {from_staff!r} twice")
    if not reason.strip():
        raise UserError("a handover needs a reason")
    at = at or dt.datetime.now(dt.UTC)
    if to_store is None and engine.table_exists("staff"):
        to_store = engine.scalar("SELECT store_id FROM staff WHERE staff_id = $s", {"s": to_staff})
    moving = sorted(p for p, o in owners(engine, store).items() if o.guide_id == from_staff)
    with store.begin() as conn:
        key = conn.execute(handover.insert().values(
            from_staff_id=from_staff, to_staff_id=to_staff, store_id=to_store, customers=len(moving),
            user_name=user_name, reason=reason, at=at)).inserted_primary_key
        assert key is not None
        hid = key[0]
        if moving:
            conn.execute(transfer.insert(), [{"handover_id": hid, "person_id": p, "from_staff_id": from_staff,
                                              "to_staff_id": to_staff, "at": at} for p in moving])
    return int(hid)


def transfers_of(store: sa.Engine, person_id: str) -> list[dict[str, object]]:
    """A customer's ownership history from handovers, oldest first."""
    with store.connect() as conn:
        rows = conn.execute(sa.select(transfer.c.from_staff_id, transfer.c.to_staff_id, transfer.c.at,
                                      handover.c.reason, handover.c.user_name)
                            .join(handover, handover.c.id == transfer.c.handover_id)
                            .where(transfer.c.person_id == person_id).order_by(transfer.c.id)).all()
    return [dict(r._mapping) for r in rows]
