"""The 360 card: each person's profile and lists (identities, recent orders and messages, links, groups, tags, CLV,
owner) gathered once, when a snapshot is published, into one row per person.

Why: a 360 view assembled per request is a dozen index lookups, and DuckDB spends more time planning them (one
big query or many small ones alike: 15-30 ms of CPU) than running them; under 20 concurrent clients on two cores
that planning is the latency. Read from the card, the view is one lookup of one row (the profile is copied in).
The row is one JSON document (with the owners, for a guide's scope, and the person id, indexed) because DuckDB's
cost of fetching a row grows with its columns, ~0.03 ms each and more for lists: the 67 typed columns of a card
cost 1.8 ms of CPU at 100k persons, the one document 0.4 ms. The document is decoded back to the values the
typed columns give (dates, times, decimals) through the card's shape, a typed table of no rows kept beside it
(CardDecoder). The card holds PII in full, as the tables it is made from do; masking happens when it is read
(siyu.persons.view).
Built on the serving copy only (engine.snapshot.publish's `prepare`), so a request never waits for it and the
card always matches the snapshot's tables."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from siyu.engine.quote import ident

CARD_TABLE = "person_card"
CARD_SHAPE = "person_card_shape"  # the document's columns and types, no rows
CARD_DOCUMENT = "document"
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
    # uncompressed: fetching one row of a compressed column decodes far more than the row (a list of structs:
    # 3-7 ms against 0.6 ms at 200k persons); the setting applies to what this checkpoint writes, the card alone
    con.execute("SET enable_progress_bar = false")  # publication's output is the run's, not DuckDB's
    con.execute("SET force_compression = 'uncompressed'")
    sql = card_sql("clv_score" in present)
    try:
        con.execute(f"CREATE OR REPLACE TABLE {CARD_SHAPE} AS SELECT * FROM ({sql}) LIMIT 0")
        con.execute(f"CREATE OR REPLACE TABLE {CARD_TABLE} AS SELECT c.person_id, c.owner_staff_id, "
                    f"c.owner_store_id, to_json(c)::VARCHAR AS {CARD_DOCUMENT} FROM ({sql}) AS c")
        con.execute("CHECKPOINT")
    finally:
        con.execute("RESET force_compression")
    return True


Decode = Callable[[Any], Any]


def _same(value: Any) -> Any:
    return value


def _maybe(convert: Decode) -> Decode:
    return lambda value: None if value is None else convert(value)


def _decoder(kind: Any) -> Decode | None:
    """How a JSON value of DuckDB type `kind` (a DuckDBPyType) becomes what DuckDB's fetch gives; None: as parsed."""
    name = kind.id
    if name == "timestamp":
        return _maybe(dt.datetime.fromisoformat)
    if name == "date":
        return _maybe(dt.date.fromisoformat)
    if name in ("double", "float"):
        return _maybe(float)  # parsed as Decimal (see CardDecoder), as DuckDB printed it
    if name == "decimal":
        return _maybe(lambda v: v if isinstance(v, Decimal) else Decimal(v))
    if name in ("varchar", "bigint", "integer", "smallint", "tinyint", "hugeint", "ubigint", "uinteger", "boolean"):
        return None
    if name == "list":
        item = _decoder(kind.children[0][1])
        return None if item is None else _maybe(lambda v: [item(x) for x in v])
    if name == "struct":
        fields = {k: f for k, f in ((k, _decoder(t)) for k, t in kind.children) if f is not None}
        if not fields:
            return None

        def struct(value: dict[str, Any]) -> dict[str, Any]:
            for k, f in fields.items():
                value[k] = f(value[k])
            return value

        return _maybe(struct)
    raise TypeError(f"the 360 card cannot hold a {kind}")  # caught by the card's test on the demo warehouse


class CardDecoder:
    """A card's JSON document back to the row DuckDB's fetch of the typed card gives, for one snapshot."""

    def __init__(self, shape: list[tuple[str, Any]]) -> None:
        self._fields = [(name, f) for name, f in ((n, _decoder(t)) for n, t in shape) if f is not None]

    @classmethod
    def of(cls, engine: Any) -> CardDecoder:
        """From the card's shape table, in the snapshot's catalogue (read with an Engine's `rows`)."""
        import duckdb

        columns = engine.rows("SELECT column_name, data_type FROM information_schema.columns "
                              f"WHERE table_name = '{CARD_SHAPE}' ORDER BY ordinal_position")
        return cls([(c["column_name"], duckdb.sqltype(c["data_type"])) for c in columns])

    def row(self, document: str) -> dict[str, Any]:
        row: dict[str, Any] = json.loads(document, parse_float=Decimal)
        for name, f in self._fields:
            row[name] = f(row[name])
        return row
