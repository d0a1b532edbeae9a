"""The 360 card: each person's profile and lists (identities, recent orders and messages, links, groups, tags, CLV,
owner) gathered once, when a snapshot is published, into one row per person.

Why: a 360 view assembled per request is a dozen index lookups, and DuckDB spends more time planning them (one
big query or many small ones alike: 15-30 ms of CPU) than running them; under 20 concurrent clients on two cores
that planning is the latency. Read from the card, the view is one lookup of one row (the profile is copied in:
uncompressed, its columns read faster than from person_profile: 3.2 ms of CPU against 4.4 for both rows). The
card holds PII in full, as the tables it is made from do; masking happens when it is read (siyu.persons.view).
Built on the serving copy only (engine.snapshot.publish's `prepare`), so a request never waits for it and the
card always matches the snapshot's tables."""

from __future__ import annotations

from typing import Any

from siyu.engine.quote import ident

CARD_TABLE = "person_card"
RECENT = 50  # orders and messages shown; the rest are a search away
CARD_SECTIONS = ("identities", "orders", "links", "messages", "groups", "tags", "tag_history", "clv", "staff",
                 "store")
IDENTITY_FIELDS = ("channel", "channel_uid", "name", "phone", "gender", "province", "city", "district", "address",
                   "first_seen_at", "last_seen_at")
_NEEDS = {"person_profile", "person_map", "identities", "person_orders", "messages", "identity_edge", "person_tag",
          "person_tag_history", "person_groups", "staff", "stores"}


def _lists(key: str, columns: str, source: str, order: str, name: str, limit: int | None = None) -> str:
    """One row per `key`: the rows of `source` as a list of structs in `order`, the first `limit` of them."""
    ranked = source
    if limit:
        ranked = (f"(SELECT * FROM {source} QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY {order}) "
                  f"<= {int(limit)})")
    return (f"SELECT {key}, list(struct_pack({columns}) ORDER BY {order}) AS {name} FROM {ranked} AS s "
            f"GROUP BY {key}")


def card_sql(has_clv: bool) -> str:
    """The SELECT that makes the card from the published tables: each person_profile row, whole, followed by
    the person's lists, each named with a leading underscore (CARD_SECTIONS; the profile has a `clv` of its own)."""
    identity = ", ".join(f"i.{c}" for c in IDENTITY_FIELDS)
    parts = {
        "identities": _lists("person_id", ", ".join(IDENTITY_FIELDS),
                             f"(SELECT m.person_id, {identity} FROM person_map AS m JOIN identities AS i "
                             "ON i.channel = m.channel AND i.channel_uid = m.channel_uid)",
                             "channel, channel_uid", "identities"),
        "orders": _lists("person_key", "channel, order_id, created_at, status, amount_paid, refund_amount, "
                         "net_amount, store_id, is_purchase", "person_orders", "created_at DESC, order_id",
                         "orders", RECENT),
        # why the identities are one person: the edges among them (a hard key's name, never its value, or the
        # model's probability, or an operator's override)
        "links": _lists("person_id", "a, b, kind, key_name, probability",
                        "(SELECT ra.person_id, e.a, e.b, e.kind, e.key_name, e.probability FROM identity_edge AS e "
                        "JOIN (SELECT person_id, channel || ':' || channel_uid AS ref FROM person_map) AS ra "
                        "ON e.a = ra.ref JOIN (SELECT person_id, channel || ':' || channel_uid AS ref "
                        "FROM person_map) AS rb ON e.b = rb.ref AND rb.person_id = ra.person_id)",
                        "kind, key_name, a, b", "links"),
        "messages": _lists("person_id", "message_id, kind, staff_id, sender_type, sent_at, content",
                           "(SELECT m.person_id, g.message_id, g.kind, g.staff_id, g.sender_type, g.sent_at, "
                           "g.content FROM messages AS g JOIN person_map AS m ON m.channel = 'wecom' "
                           "AND m.channel_uid = g.customer_id)", "sent_at DESC, message_id", "messages", RECENT),
        "groups": _lists("person_id", "group_id, group_name, group_type, joined_at, left_at, is_member",
                         "person_groups", "joined_at, group_id", "groups"),
        "tags": _lists("person_id", "tag, family, source", "person_tag", "tag", "tags"),
        "tag_history": _lists("person_id", "tag, family, source, started_on, ended_on", "person_tag_history",
                              "started_on, tag", "tag_history"),
    }
    clv = ("(SELECT person_id, first(struct_pack(p_alive, expected_orders_90d, expected_aov, clv, model, "
           "scored_at)) AS clv FROM clv_score GROUP BY person_id)") if has_clv else None
    keys = {name: "person_key" if name == "orders" else "person_id" for name in parts}  # orders: by the key
    joins = " ".join(f"LEFT JOIN ({sql}) AS {ident(name)} ON {ident(name)}.{keys[name]} = p.{keys[name]}"
                     for name, sql in parts.items())
    lists = ", ".join(f"coalesce({ident(name)}.{ident(name)}, []) AS {ident('_' + name)}" for name in parts)
    return (
        f"SELECT p.*, {lists}, {'c.clv' if clv else 'NULL'} AS _clv, "
        "(SELECT first(struct_pack(staff_id, name, store_id, role)) FROM staff AS s "
        "WHERE s.staff_id = p.owner_staff_id) AS _staff, "
        "(SELECT first(struct_pack(store_id, name, province, city, district)) FROM stores AS s "
        "WHERE s.store_id = p.owner_store_id) AS _store "
        f"FROM person_profile AS p {joins} {f'LEFT JOIN {clv} AS c ON c.person_id = p.person_id' if clv else ''}")


def build_card(con: Any) -> bool:
    """Make the card on a writable DuckDB connection to a serving copy; False (no card: the 360 view reads the
    tables one by one) when the warehouse lacks a table it is made from."""
    present = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    if not present >= _NEEDS:
        return False
    # uncompressed: fetching one row of a compressed list of structs decodes far more than the row (3-7 ms
    # against 0.6 ms at 200k persons); the setting applies to what this checkpoint writes, the card alone
    con.execute("SET enable_progress_bar = false")  # publication's output is the run's, not DuckDB's
    con.execute("SET force_compression = 'uncompressed'")
    try:
        con.execute(f"CREATE OR REPLACE TABLE {CARD_TABLE} AS {card_sql('clv_score' in present)}")
        con.execute("CHECKPOINT")
    finally:
        con.execute("RESET force_compression")
    return True
