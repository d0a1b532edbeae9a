"""The review queue: pairs of identities Splink scored near the threshold, with what they share, read-only."""

from __future__ import annotations

from typing import Any

from siyu.domain.masking import masked_name_sql, masked_phone_sql
from siyu.engine import Engine


def _side(alias: str) -> str:
    return (f"{alias}.channel AS {alias}_channel, {masked_name_sql(f'{alias}.name')} AS {alias}_name, "
            f"{masked_phone_sql(f'{alias}.phone')} AS {alias}_phone, {alias}.city AS {alias}_city")


def review_queue(engine: Engine, low: float, high: float, limit: int = 50, offset: int = 0
                 ) -> tuple[list[dict[str, Any]], int]:
    """(a page of pairs with low <= probability < high, most uncertain first; total). Each pair carries both
    identities masked, whether they are one person now, and the hard keys they share."""
    if not engine.table_exists("identity_match_pair"):
        return [], 0
    band = "mp.probability >= $low AND mp.probability < $high"
    params = {"low": low, "high": high}
    total = int(engine.scalar(f"SELECT count(*) FROM identity_match_pair AS mp WHERE {band}", params) or 0)
    rows = engine.query(f"""
        SELECT mp.a, mp.b, mp.probability, ma.person_id AS person_a, mb.person_id AS person_b,
               {_side('ia')}, {_side('ib')},
               (SELECT list(DISTINCT ka.key_type ORDER BY ka.key_type) FROM identity_keys ka JOIN identity_keys kb
                  ON ka.key_type = kb.key_type AND ka.key_value = kb.key_value
                WHERE ka.channel || ':' || ka.channel_uid = mp.a AND kb.channel || ':' || kb.channel_uid = mp.b
               ) AS shared_keys
        FROM identity_match_pair AS mp
        LEFT JOIN identities AS ia ON ia.channel || ':' || ia.channel_uid = mp.a
        LEFT JOIN identities AS ib ON ib.channel || ':' || ib.channel_uid = mp.b
        LEFT JOIN person_map AS ma ON ma.channel || ':' || ma.channel_uid = mp.a
        LEFT JOIN person_map AS mb ON mb.channel || ':' || mb.channel_uid = mp.b
        WHERE {band} ORDER BY abs(mp.probability - ($low + $high) / 2), mp.a, mp.b
        LIMIT {int(limit)} OFFSET {int(offset)}""", params).to_pylist()
    for r in rows:
        r["same_person"] = r["person_a"] is not None and r["person_a"] == r["person_b"]
        r["shared_keys"] = r["shared_keys"] or []
    return rows, total
