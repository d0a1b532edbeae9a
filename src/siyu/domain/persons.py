"""Who a channel identity is (docs/definitions.md "Person"): OneID's `person_id` where `person_map` holds the
identity, else the identity itself, named `channel:channel_uid`. Every layer that counts people (profiles, CLV,
metrics, guides, KOC, referrals) reads a buyer, a friend or a group member through this one rule, so a person
OneID has not mapped yet is still one person, and the same one, everywhere.
"""

from __future__ import annotations


def person_sql(channel: str, uid: str, mapped: str | None = None) -> str:
    """SQL: the person of the identity (`channel`, `uid`): `mapped` (OneID's person_id from a join with
    person_map, NULL when it has none) else `channel:uid`; without `mapped` (no person_map yet), `channel:uid`."""
    own = f"{channel} || ':' || {uid}"
    return own if mapped is None else f"coalesce({mapped}, {own})"
