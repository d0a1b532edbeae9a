"""person_tag_history: when each tag started and ended for each person.

Each tags run compares the new current tags with the open history rows: a tag no longer held is closed
(`ended_on` = as-of day), a new one is opened (`started_on` = as-of day). "Who became sleeping this week" is
then `started_on > today - 7 AND tag = 'sleeping'`. Re-running with the same tags changes nothing.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from siyu.engine import Engine
from siyu.profile.facts import date_literal

HISTORY = "person_tag_history"
HISTORY_SCHEMA = pa.schema([
    ("person_id", pa.string()), ("tag", pa.string()), ("family", pa.string()), ("source", pa.string()),
    ("started_on", pa.date32()), ("ended_on", pa.date32()),
])


def update_history(engine: Engine, current: str, as_of: dt.date) -> tuple[int, int]:
    """Close tags no longer in `current` and open new ones; returns (started, ended)."""
    engine.ensure_table(HISTORY, HISTORY_SCHEMA)
    day = date_literal(as_of)
    key = "h.person_id = c.person_id AND h.tag = c.tag"
    started = int(engine.scalar(
        f"SELECT count(*) FROM {current} AS c WHERE NOT EXISTS "
        f"(SELECT 1 FROM {HISTORY} AS h WHERE h.ended_on IS NULL AND {key})") or 0)
    ended = int(engine.scalar(
        f"SELECT count(*) FROM {HISTORY} AS h WHERE h.ended_on IS NULL AND NOT EXISTS "
        f"(SELECT 1 FROM {current} AS c WHERE {key})") or 0)
    if not started and not ended:
        return 0, 0
    rebuilt = f"""
        SELECT h.person_id, h.tag, h.family, h.source, h.started_on,
               CASE WHEN h.ended_on IS NULL AND NOT EXISTS (SELECT 1 FROM {current} AS c WHERE {key})
                    THEN {day} ELSE h.ended_on END AS ended_on
        FROM {HISTORY} AS h
        UNION ALL
        SELECT c.person_id, c.tag, c.family, c.source, {day} AS started_on, CAST(NULL AS DATE) AS ended_on
        FROM {current} AS c
        WHERE NOT EXISTS (SELECT 1 FROM {HISTORY} AS h WHERE h.ended_on IS NULL AND {key})
    """
    staged = f"{HISTORY}_next"
    engine.create_table_as(staged, rebuilt)
    engine.create_table_as(HISTORY, f"SELECT * FROM {staged}")
    engine.drop_table(staged)
    return started, ended
