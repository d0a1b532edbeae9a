"""person_tag_history: when each tag started and ended for each person.

Each tags run compares the new current tags with the open history rows: a tag no longer held is closed
(`ended_on` = as-of day), a new one is opened (`started_on` = as-of day). "Who became sleeping this week" is
then `started_on > today - 7 AND tag = 'sleeping'`. Re-running with the same tags changes nothing.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from siyu.engine import Engine
from siyu.engine.quote import literal

HISTORY = "person_tag_history"
HISTORY_SCHEMA = pa.schema([
    ("person_id", pa.string()), ("tag", pa.string()), ("family", pa.string()), ("source", pa.string()),
    ("started_on", pa.date32()), ("ended_on", pa.date32()),
])


def _on_day(engine: Engine, day: str) -> tuple[int, int]:
    """History rows started on, and ended on, this day."""
    row = engine.query(f"SELECT count(*) FILTER (WHERE started_on = {day}) AS started, "
                       f"count(*) FILTER (WHERE ended_on = {day}) AS ended FROM {HISTORY}").to_pylist()[0]
    return int(row["started"] or 0), int(row["ended"] or 0)


def update_history(engine: Engine, current: str, as_of: dt.date) -> tuple[int, int]:
    """Close tags no longer in `current` and open new ones; returns (started, ended).

    One outer join of the open rows with the current tags; closed rows are copied as they are. The counts
    come from the rows dated as_of before and after (cheap scans), not from a second join: a re-run on the
    same day finds the rows it opened or closed already there, so it reports (and changes) nothing."""
    engine.ensure_table(HISTORY, HISTORY_SCHEMA)
    day = literal(as_of)
    started_before, ended_before = _on_day(engine, day)
    # both engines build the new table before replacing the old, so it may read itself
    engine.create_table_as(HISTORY, f"""
        SELECT person_id, tag, family, source, started_on, ended_on FROM {HISTORY} WHERE ended_on IS NOT NULL
        UNION ALL
        SELECT coalesce(h.person_id, c.person_id) AS person_id, coalesce(h.tag, c.tag) AS tag,
               coalesce(h.family, c.family) AS family, coalesce(h.source, c.source) AS source,
               coalesce(h.started_on, {day}) AS started_on,
               CASE WHEN c.tag IS NULL THEN {day} END AS ended_on
        FROM (SELECT * FROM {HISTORY} WHERE ended_on IS NULL) AS h
        FULL OUTER JOIN (SELECT person_id, tag, family, source FROM {current}) AS c
            ON h.person_id = c.person_id AND h.tag = c.tag
    """)
    started_after, ended_after = _on_day(engine, day)
    return started_after - started_before, ended_after - ended_before
