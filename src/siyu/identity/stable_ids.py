"""Person ids that stay put across runs (DESIGN.md: stable person ids).

Each component of this run inherits the previous id most of whose identities it holds; when a component
is heir to several ids (two persons merged), the oldest survives (ids are sequential, so the smallest)
and the others are recorded as 'merged' into it. A component that inherits nothing gets a new id: 'split'
from the ids its identities had, or 'created' when they are all new.
"""

from __future__ import annotations

import datetime as dt

from siyu.engine import Engine
from siyu.engine.quote import literal

CLAIMS = "tmp_identity_claims"
ASSIGNED = "tmp_identity_assigned"


def _id_sql(seq: str) -> str:
    return f"('P' || lpad(CAST({seq} AS VARCHAR), 10, '0'))"


def _last_seq(engine: Engine) -> int:
    """Highest sequence number ever issued (merged-away ids live on in person_history only)."""
    sql = """
        SELECT max(CAST(substr(person_id, 2) AS BIGINT)) FROM (
            SELECT person_id FROM person_map UNION ALL SELECT person_id FROM person_history
        ) q WHERE person_id LIKE 'P%'
    """
    return int(engine.scalar(sql) or 0)


def assign_person_ids(engine: Engine, labels: str, nodes: str, run_id: str, at: dt.datetime) -> tuple[int, int]:
    """Rewrite person_map from `labels(node, label)` and append person_history; returns (persons, events)."""
    engine.create_table_as(
        CLAIMS,
        f"""
        WITH cur AS (SELECT n.channel, n.channel_uid, l.label FROM {labels} l JOIN {nodes} n ON n.node = l.node),
        counts AS (
            SELECT pm.person_id, cur.label, count(*) AS n FROM person_map pm
            JOIN cur ON cur.channel = pm.channel AND cur.channel_uid = pm.channel_uid
            GROUP BY pm.person_id, cur.label
        ),
        heirs AS (
            SELECT person_id, label, n, row_number() OVER (PARTITION BY person_id ORDER BY n DESC, label) AS r
            FROM counts
        )
        SELECT person_id, label, r = 1 AS is_heir FROM heirs
        """,
    )
    base = _last_seq(engine)
    engine.create_table_as(
        ASSIGNED,
        f"""
        WITH comps AS (SELECT DISTINCT label FROM {labels}),
        kept AS (SELECT label, min(person_id) AS person_id FROM {CLAIMS} WHERE is_heir GROUP BY label),
        fresh AS (
            SELECT c.label, row_number() OVER (ORDER BY c.label) AS seq
            FROM comps c LEFT JOIN kept k ON k.label = c.label WHERE k.label IS NULL
        )
        SELECT c.label, coalesce(k.person_id, {_id_sql(f'f.seq + {base}')}) AS person_id, k.person_id IS NULL AS is_new
        FROM comps c LEFT JOIN kept k ON k.label = c.label LEFT JOIN fresh f ON f.label = c.label
        """,
    )
    stamp = literal(at)
    events = engine.insert_select(
        "person_history",
        f"""
        SELECT a.person_id, CASE WHEN c.is_heir THEN 'merged' ELSE 'split' END AS event,
               c.person_id AS other_id, {stamp} AS "at", {literal(run_id)} AS run_id
        FROM {CLAIMS} c JOIN {ASSIGNED} a ON a.label = c.label
        WHERE c.person_id <> a.person_id
        UNION ALL
        SELECT a.person_id, 'created' AS event, CAST(NULL AS VARCHAR) AS other_id, {stamp} AS at,
               {literal(run_id)} AS run_id
        FROM {ASSIGNED} a WHERE a.is_new AND NOT EXISTS (SELECT 1 FROM {CLAIMS} c WHERE c.label = a.label)
        """,
    )
    # CLAIMS and ASSIGNED already hold what the old person_map said, so it can be replaced directly
    engine.create_table_as(
        "person_map",
        f"SELECT n.channel, n.channel_uid, a.person_id FROM {labels} l JOIN {nodes} n ON n.node = l.node "
        f"JOIN {ASSIGNED} a ON a.label = l.label",
    )
    for name in (CLAIMS, ASSIGNED):
        engine.drop_table(name)
    return int(engine.scalar("SELECT count(DISTINCT person_id) FROM person_map") or 0), events
