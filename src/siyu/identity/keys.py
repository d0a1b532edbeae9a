"""Deterministic links: identities sharing a hard key (unionid, full phone, member number, email …).

A key value shared by more identities than `superkey_threshold` (a store's phone typed for walk-ins, a
family phone) links none of them: it is written to `superkey` for review instead. Edges are a star from
each identity to the smallest identity holding the same value, which connects the same identities as all
pairs would, in linear size.
"""

from __future__ import annotations

from siyu.engine import Engine
from siyu.identity.tables import node_sql

KEYS_TABLE = "tmp_identity_keys"


def _normalised(key: str) -> str:
    """How a key's values are compared: trimmed text; e-mail also lower-cased (Foo@X.com = foo@x.com)."""
    value = f"trim(CAST({key} AS VARCHAR))"
    return f"lower({value})" if key == "email" else value


def build_key_values(engine: Engine, keys: list[str]) -> int:
    """One row per (identity, key, value) for every non-empty key; returns the number of rows.

    Values come from `identities` (latest value), `identity_keys` (every value ever seen, so a changed
    phone still links) and `contacts` (a WeCom friend's unionid and remark phone), whichever exist.
    """
    have = set(engine.table_schema("identities").names)
    missing = [k for k in keys if k not in have]
    if missing:
        raise ValueError(
            f"siyu.toml [identity] keys: {', '.join(missing)} not a column of identities "
            f"(columns: {', '.join(sorted(have))})"
        )
    parts = [
        f"SELECT {node_sql()} AS node, '{k}' AS key_name, {_normalised(k)} AS key_value FROM identities "
        f"WHERE {k} IS NOT NULL"
        for k in keys
    ]
    if keys and engine.table_exists("identity_keys"):
        names = ", ".join(f"'{k}'" for k in keys)
        parts.append(
            f"SELECT {node_sql()} AS node, key_type AS key_name, "
            f"CASE WHEN key_type = 'email' THEN lower(trim(key_value)) ELSE trim(key_value) END AS key_value "
            f"FROM identity_keys WHERE key_type IN ({names}) AND key_value IS NOT NULL"
        )
    if engine.table_exists("contacts"):
        parts += [
            f"SELECT 'wecom:' || external_userid AS node, '{k}' AS key_name, trim({k}) AS key_value "
            f"FROM contacts WHERE {k} IS NOT NULL AND external_userid IS NOT NULL"
            for k in ("unionid", "phone") if k in keys
        ]
    if not parts:
        parts = ["SELECT '' AS node, '' AS key_name, '' AS key_value WHERE 1 = 0"]
    union = " UNION ALL ".join(parts)
    return engine.create_table_as(KEYS_TABLE, f"SELECT DISTINCT node, key_name, key_value FROM ({union}) q "
                                              f"WHERE key_value <> ''")


def nodes_sql() -> str:
    """Every identity to resolve: the clean identities, plus WeCom friends known only from `contacts`."""
    return f"SELECT DISTINCT {node_sql()} AS node, channel, channel_uid FROM identities"


def contact_nodes_sql() -> str:
    return (
        "SELECT DISTINCT 'wecom:' || external_userid AS node, 'wecom' AS channel, external_userid AS channel_uid "
        "FROM contacts WHERE external_userid IS NOT NULL"
    )


def superkeys_sql(threshold: int, run_id: str) -> str:
    """Key values held by more than `threshold` distinct identities."""
    return (
        f"SELECT key_name, key_value, count(DISTINCT node) AS n_identities, '{run_id}' AS run_id "
        f"FROM {KEYS_TABLE} GROUP BY key_name, key_value HAVING count(DISTINCT node) > {int(threshold)}"
    )


def key_edges_sql(threshold: int, run_id: str) -> str:
    """Star edges between identities sharing a key value held by 2..threshold identities."""
    return f"""
        WITH groups AS (
            SELECT key_name, key_value, min(node) AS hub, count(DISTINCT node) AS n
            FROM {KEYS_TABLE} GROUP BY key_name, key_value
        )
        SELECT DISTINCT k.node AS a, g.hub AS b, 'key' AS kind, k.key_name, k.key_value,
               CAST(NULL AS DOUBLE) AS probability, '{run_id}' AS run_id
        FROM {KEYS_TABLE} k JOIN groups g ON g.key_name = k.key_name AND g.key_value = k.key_value
        WHERE g.n BETWEEN 2 AND {int(threshold)} AND k.node <> g.hub
    """
