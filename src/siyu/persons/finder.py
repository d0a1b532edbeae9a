"""The search table: every way a person is looked up (phone, masked phone, name, channel id) as one key column,
each key's row carrying the person's listed columns, made when a snapshot is published.

Why: a search over the tables is three lookups (identities, person_map, person_profile), and DuckDB's cost of a
point lookup is mostly fixed per query and per column read (0.35 ms, then ~0.03 ms a column at 100k persons).
Through this table a search is one equality lookup on one indexed column of one table, which is also the only
filter DuckDB 2 answers from an ART index. A guide's scope is a filter on the key's rows, before the cap on
matches, so a guide's customer who shares a name with a thousand others is still found. PII is kept in full, as
in the tables it is made from; masking happens when it is read."""

from __future__ import annotations

from typing import Any

SEARCH_TABLE = "person_search"
SEARCH_KEY = "k"
SHOWN = ("person_id", "name", "phone", "gender", "city", "orders", "net_spend", "last_order_date", "owner_staff_id",
         "owner_store_id")
_NEEDS = {"person_profile", "person_map", "identities"}


def phone_key(phone: str) -> str:
    return f"p:{phone}"


def masked_phone_key(prefix: str, suffix: str) -> str:
    return f"m:{prefix}*{suffix}"


def name_key(name: str) -> str:
    return f"n:{name}"


def uid_key(channel_uid: str, channel: str | None = None) -> str:
    """A channel id alone, or narrowed to one channel."""
    return f"c:{channel}:{channel_uid}" if channel else f"u:{channel_uid}"


def search_sql() -> str:
    """One row per (key, person): the keys of each identity of each person, with the person's listed columns."""
    keys = ("'p:' || i.phone", "'m:' || i.phone_prefix || '*' || i.phone_suffix", "'n:' || i.name",
            "'u:' || i.channel_uid", "'c:' || i.channel || ':' || i.channel_uid")
    shown = ", ".join(f"p.{c}" for c in SHOWN)
    return (f"SELECT DISTINCT unnest([{', '.join(keys)}]) AS {SEARCH_KEY}, {shown} "
            "FROM identities AS i JOIN person_map AS m ON m.channel = i.channel AND m.channel_uid = i.channel_uid "
            "JOIN person_profile AS p ON p.person_id = m.person_id")


def build_search_table(con: Any) -> bool:
    """Make the search table on a writable DuckDB connection to a serving copy (its index: siyu.persons.indexes);
    False (searches read the tables) when the warehouse lacks a table it is made from."""
    present = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    if not present >= _NEEDS:
        return False
    con.execute(f"CREATE OR REPLACE TABLE {SEARCH_TABLE} AS SELECT * FROM ({search_sql()}) "
                f"WHERE {SEARCH_KEY} IS NOT NULL")
    return True
