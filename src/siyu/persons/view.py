"""The 360 view of one person: profile, identities, orders, messages, groups, tags with history, CLV, owner.

PII is masked unless the caller unmasks, chat text included: customers type phones, e-mails, their names and
addresses into chats (siyu.domain.masking.mask_message)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from siyu.domain.masking import mask_address, mask_message, mask_name, mask_phone, mask_profile
from siyu.engine import Engine
from siyu.engine.quote import literal_list
from siyu.persons.card import CARD_DOCUMENT, CARD_SECTIONS, CARD_SHAPE, CARD_TABLE, RECENT, CardDecoder
from siyu.persons.columns import pii
from siyu.persons.scope import Scope


def _rows(engine: Engine, sql: str, params: Mapping[str, object]) -> list[dict[str, Any]]:
    return engine.rows(sql, params)


def visible(engine: Engine, person_id: str, scope: Scope) -> bool:
    """Whether the person exists and the scope may see them (what a guide's 404 is decided on)."""
    where, params = scope.where("p")
    return bool(_rows(engine, f"SELECT 1 AS one FROM person_profile AS p WHERE p.person_id = $pid AND {where}",
                      {**params, "pid": person_id}))


def _list(columns: str, source: str, where: str, order: str, limit: int | None = None) -> str:
    """A scalar subquery: the matching rows as a list of structs, in order (empty list, not NULL, for none).

    With a limit the matching rows are materialized first: DuckDB would otherwise plan ORDER BY … LIMIT as a
    top-N over a whole-table scan (late materialization), not an index lookup."""
    if limit:
        rows = (f"(WITH m AS MATERIALIZED (SELECT {columns} FROM {source} WHERE {where}) "
                f"SELECT * FROM m ORDER BY {order} LIMIT {int(limit)})")
    else:
        rows = f"(SELECT {columns} FROM {source} WHERE {where})"
    return f"(SELECT coalesce(list(t ORDER BY {order}), []) FROM {rows} AS t)"


def _first(columns: str, source: str, where: str) -> str:
    """The one matching row as a struct (an aggregate: a correlated LIMIT 1 would be planned as a window)."""
    return f"(SELECT first(t) FROM (SELECT {columns} FROM {source} WHERE {where}) AS t)"


def person_360(engine: Engine, person_id: str, scope: Scope, unmask: bool = False) -> dict[str, Any] | None:
    """The person as one document, or None when unknown *or outside the scope* (the API answers 404 to both).

    From the person's card (siyu.persons.card) when the snapshot has one, else from the tables themselves."""
    if engine.table_exists(CARD_SHAPE):  # a card published before the card was a document has none: the tables
        return _from_card(engine, person_id, scope, unmask)
    return _from_tables(engine, person_id, scope, unmask)


def _profile_columns(unmask: bool) -> str:
    birthday = "p.birthday" if unmask else "CAST(NULL AS DATE) AS birthday"  # the month stays, for greetings
    return (f"p.* EXCLUDE (name, phone, birthday), {pii('p.name', 'name', unmask)}, "
            f"{pii('p.phone', 'phone', unmask)}, {birthday}")


def _decoder(engine: Engine) -> CardDecoder:
    """The card's decoder, made once per snapshot (the serving reader's memo) when the engine has one."""
    memo: dict[str, Any] | None = getattr(engine, "memo", None)
    if memo is not None and "card decoder" in memo:
        decoder: CardDecoder = memo["card decoder"]
        return decoder
    decoder = CardDecoder.of(engine)
    if memo is not None:
        memo["card decoder"] = decoder
    return decoder


def _from_card(engine: Engine, person_id: str, scope: Scope, unmask: bool) -> dict[str, Any] | None:
    """One lookup of one row, by the person id through its index: the card's document and the owners, the guide's
    scope checked on those, the document decoded and masked here by the domain's own rules (DuckDB spends longer
    planning the masks' expressions than reading the row: 10 ms against 2.7 at 200k persons)."""
    found = _rows(engine, f"SELECT owner_staff_id, owner_store_id, {CARD_DOCUMENT} FROM {CARD_TABLE} "
                          "WHERE person_id = $pid", {"pid": person_id})
    if not found or not scope.admits(found[0]["owner_staff_id"], found[0]["owner_store_id"]):
        return None
    profile = _decoder(engine).row(found[0][CARD_DOCUMENT])
    card = {k: profile.pop(f"_{k}") for k in CARD_SECTIONS}
    del profile["person_key"]
    name = profile["name"]
    if not unmask:
        profile = mask_profile(profile)
    identities, messages = card["identities"], card["messages"]
    if not unmask:  # in Python, the domain's own rules, on the person's few rows
        if messages:
            names = [name, *(r["name"] for r in identities)]
            for message in messages:
                message["content"] = mask_message(message["content"], names, (r["address"] for r in identities))
        for r in identities:
            r.update(name=mask_name(r["name"]), phone=mask_phone(r["phone"]), address=mask_address(r["address"]))
    return {
        "person_id": person_id,
        "profile": profile,
        "identities": identities,
        "links": card["links"],
        "orders": card["orders"],
        "messages": messages,
        "groups": card["groups"],
        "tags": card["tags"],
        "tag_history": card["tag_history"],
        "clv": card["clv"],
        "owner": {"staff": card["staff"], "store": card["store"]},
    }


def _from_tables(engine: Engine, person_id: str, scope: Scope, unmask: bool) -> dict[str, Any] | None:
    """Two round trips: everything keyed by the person id (with the scope check), then what is keyed by values
    the first one found (channel ids, the person key) as literals, so each lookup uses a serving index; a join
    or a correlated subquery would scan identities, messages and orders whole."""
    where, params = scope.where("p")
    by_pid = "person_id = $pid"
    keyed = {
        "_own": _list("channel, channel_uid", "person_map", by_pid, "channel, channel_uid"),
        "_groups": _list("group_id, group_name, group_type, joined_at, left_at, is_member", "person_groups", by_pid,
                         "joined_at, group_id"),
        "_tags": _list("tag, family, source", "person_tag", by_pid, "tag"),
        "_tag_history": _list("tag, family, source, started_on, ended_on", "person_tag_history", by_pid,
                              "started_on, tag"),
        # no clv_score when the clv step could fit no model reliably (it says so and writes nothing)
        "_clv": _first("p_alive, expected_orders_90d, expected_aov, clv, model, scored_at", "clv_score", by_pid)
        if engine.table_exists("clv_score") else "NULL",
        "_staff": _first("staff_id, name, store_id, role", "staff", "staff_id = p.owner_staff_id"),
        "_store": _first("store_id, name, province, city, district", "stores", "store_id = p.owner_store_id"),
        "_name": "p.name",  # in full, only to mask it in chat text; never returned
    }
    first = _rows(engine, (
        f"SELECT {_profile_columns(unmask)}, {', '.join(f'{sql} AS {k}' for k, sql in keyed.items())} "
        f"FROM person_profile AS p WHERE p.person_id = $pid AND {where}"), {**params, "pid": person_id})
    if not first:
        return None
    profile = first[0]
    sections = {k: profile.pop(k) for k in keyed}
    own = sections["_own"]
    wecom = [str(r["channel_uid"]) for r in own if r["channel"] == "wecom"]
    pairs = {(r["channel"], r["channel_uid"]) for r in own}
    refs = literal_list(sorted(f"{c}:{u}" for c, u in pairs))
    identity_columns = (f"channel, channel_uid, {pii('name', 'name', unmask)}, {pii('phone', 'phone', unmask)}, "
                        f"gender, province, city, district, {pii('address', 'address', unmask)}, first_seen_at, "
                        f"last_seen_at")
    by_uid = f"channel_uid IN {literal_list(sorted({str(r['channel_uid']) for r in own}))}"
    by_value = {
        "identities": _list(identity_columns, "identities", by_uid, "channel, channel_uid"),
        "known": _list("channel, channel_uid, name, address", "identities", by_uid, "channel, channel_uid")
        if wecom and not unmask else "[]",  # in full, only to mask them in chat text; never returned
        "orders": _list("channel, order_id, created_at, status, amount_paid, refund_amount, net_amount, store_id, "
                        "is_purchase", "person_orders", "person_key = $key", "created_at DESC, order_id", RECENT),
        # why the identities are one person: the edges among them (a hard key's name, never its value, or the
        # model's probability, or an operator's override)
        # (b is filtered after the lookup on a: with both in one WHERE, DuckDB scans the table instead)
        "links": _list("a, b, kind, key_name, probability",
                       f"(WITH m AS MATERIALIZED (SELECT * FROM identity_edge WHERE a IN {refs}) SELECT * FROM m) AS e",
                       f"b IN {refs}", "kind, key_name, a, b") if pairs else "[]",  # written before the profile
        "messages": _list("message_id, kind, staff_id, sender_type, sent_at, content", "messages",
                          f"customer_id IN {literal_list(wecom)}", "sent_at DESC, message_id", RECENT)
        if wecom else "[]",
    }
    second = _rows(engine, f"SELECT {', '.join(f'{sql} AS {k}' for k, sql in by_value.items())}",
                   {"key": profile.pop("person_key")})[0]
    messages = second["messages"]
    if not unmask:  # in Python, on the few rows shown: the rule needs look-arounds DuckDB's regexes lack
        known = [r for r in second["known"] if (r["channel"], r["channel_uid"]) in pairs]
        names = [sections["_name"], *(r["name"] for r in known)]
        for message in messages:
            message["content"] = mask_message(message["content"], names, (r["address"] for r in known))
    return {
        "person_id": person_id,
        "profile": profile,
        "identities": [r for r in second["identities"] if (r["channel"], r["channel_uid"]) in pairs],
        "links": second["links"],
        "orders": second["orders"],
        "messages": messages,
        "groups": sections["_groups"],
        "tags": sections["_tags"],
        "tag_history": sections["_tag_history"],
        "clv": sections["_clv"],
        "owner": {"staff": sections["_staff"], "store": sections["_store"]},
    }
