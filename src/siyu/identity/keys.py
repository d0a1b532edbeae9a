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


def build_key_values(engine: Engine, keys: list[str], source: str = "identities") -> int:
    """One row per (identity, key, value) for every non-empty key; returns the number of rows."""
    have = set(engine.table_schema(source).names)
    missing = [k for k in keys if k not in have]
    if missing:
        raise ValueError(
            f"siyu.toml [identity] keys: {', '.join(missing)} not a column of {source} "
            f"(columns: {', '.join(sorted(have))})"
        )
    parts = [
        f"SELECT {node_sql()} AS node, '{k}' AS key_name, {_normalised(k)} AS key_value FROM {source} "
        f"WHERE {k} IS NOT NULL AND {_normalised(k)} <> ''"
        for k in keys
    ]
    sql = " UNION ALL ".join(parts) if parts else "SELECT '' AS node, '' AS key_name, '' AS key_value WHERE 1 = 0"
    return engine.create_table_as(KEYS_TABLE, sql)


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
