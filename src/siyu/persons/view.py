"""The 360 view of one person: profile, identities, orders, messages, groups, tags with history, CLV, owner.

PII is masked unless the caller unmasks, chat text included: customers type phones and e-mails into chats."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from siyu.domain.masking import mask_text
from siyu.engine import Engine
from siyu.engine.quote import literal_list
from siyu.persons.columns import pii
from siyu.persons.scope import Scope

RECENT = 50  # orders and messages shown; the rest are a search away


def _rows(engine: Engine, sql: str, params: Mapping[str, object]) -> list[dict[str, Any]]:
    return engine.query(sql, params).to_pylist()


def visible(engine: Engine, person_id: str, scope: Scope) -> bool:
    """Whether the person exists and the scope may see them (what a guide's 404 is decided on)."""
    where, params = scope.where("p")
    return bool(_rows(engine, f"SELECT 1 AS one FROM person_profile AS p WHERE p.person_id = $pid AND {where}",
                      {**params, "pid": person_id}))


def person_360(engine: Engine, person_id: str, scope: Scope, unmask: bool = False) -> dict[str, Any] | None:
    """The person as one document, or None when unknown *or outside the scope* (the API answers 404 to both)."""
    where, params = scope.where("p")
    params = {**params, "pid": person_id}
    birthday = "p.birthday" if unmask else "CAST(NULL AS DATE) AS birthday"  # the month stays, for greetings
    head = _rows(engine, f"SELECT p.* EXCLUDE (name, phone, birthday), {pii('p.name', 'name', unmask)}, "
                         f"{pii('p.phone', 'phone', unmask)}, {birthday} FROM person_profile AS p "
                         f"WHERE p.person_id = $pid AND {where}", params)
    if not head:
        return None
    profile = head[0]
    key: dict[str, object] = {"key": profile.pop("person_key")}
    pid: dict[str, object] = {"pid": person_id}
    own = _rows(engine, "SELECT channel, channel_uid FROM person_map WHERE person_id = $pid", pid)
    # lookups by literal lists use the serving indexes; a join would scan identities and messages whole
    uids = literal_list(sorted({str(r["channel_uid"]) for r in own}))
    wecom = [str(r["channel_uid"]) for r in own if r["channel"] == "wecom"]
    pairs = {(r["channel"], r["channel_uid"]) for r in own}
    identities = [r for r in _rows(engine, (
        f"SELECT i.channel, i.channel_uid, {pii('i.name', 'name', unmask)}, {pii('i.phone', 'phone', unmask)}, "
        f"i.gender, i.province, i.city, i.district, {pii('i.address', 'address', unmask)}, i.first_seen_at, "
        f"i.last_seen_at FROM identities AS i WHERE i.channel_uid IN {uids} ORDER BY i.channel, i.channel_uid"),
        {}) if (r["channel"], r["channel_uid"]) in pairs]
    refs = literal_list(sorted(f"{c}:{u}" for c, u in pairs))
    # why the identities are one person: the edges among them (a hard key's name, never its value, or the model's
    # probability, or an operator's override)
    links = _rows(engine, f"SELECT a, b, kind, key_name, probability FROM identity_edge WHERE a IN {refs} "
                          f"AND b IN {refs} ORDER BY kind, key_name, a, b", {}) \
        if pairs and engine.table_exists("identity_edge") else []
    messages = _rows(engine, (
        f"SELECT message_id, kind, staff_id, sender_type, sent_at, content FROM messages "
        f"WHERE customer_id IN {literal_list(wecom)} ORDER BY sent_at DESC LIMIT {RECENT}"), {}) if wecom else []
    if not unmask:  # in Python, on the few rows shown: the rule needs look-arounds DuckDB's regexes lack
        for message in messages:
            message["content"] = mask_text(message["content"])
    return {
        "person_id": person_id,
        "profile": profile,
        "identities": identities,
        "links": links,
        "orders": _rows(engine, (
            f"SELECT channel, order_id, created_at, status, amount_paid, refund_amount, net_amount, store_id, "
            f"is_purchase FROM person_orders WHERE person_key = $key ORDER BY created_at DESC LIMIT {RECENT}"), key),
        "messages": messages,
        "groups": _rows(engine, "SELECT group_id, group_name, group_type, joined_at, left_at, is_member "
                                "FROM person_groups WHERE person_id = $pid ORDER BY joined_at", pid),
        "tags": _rows(engine, "SELECT tag, family, source FROM person_tag WHERE person_id = $pid ORDER BY tag", pid),
        "tag_history": _rows(engine, "SELECT tag, family, source, started_on, ended_on FROM person_tag_history "
                                     "WHERE person_id = $pid ORDER BY started_on, tag", pid),
        "clv": next(iter(_rows(engine, "SELECT p_alive, expected_orders_90d, expected_aov, clv, model, scored_at "
                                       "FROM clv_score WHERE person_id = $pid", pid)), None),
        "owner": {
            "staff": next(iter(_rows(engine, "SELECT staff_id, name, store_id, role FROM staff WHERE staff_id = $s",
                                     {"s": profile.get("owner_staff_id")})), None),
            "store": next(iter(_rows(engine, "SELECT store_id, name, province, city, district FROM stores "
                                             "WHERE store_id = $s", {"s": profile.get("owner_store_id")})), None),
        },
    }
