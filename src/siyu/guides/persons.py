"""The person map the programmes (guides, KOC, referrals) join to; who an identity is comes from
`siyu.domain.persons.person_sql`, the rule the metrics use too, so a guide's figures and the dashboard count the
same people."""

from __future__ import annotations

from siyu.engine import Engine

EMPTY_MAP = ("SELECT CAST(NULL AS VARCHAR) AS channel, CAST(NULL AS VARCHAR) AS channel_uid, "
             "CAST(NULL AS VARCHAR) AS person_id FROM (SELECT 1 AS x) AS t WHERE x = 0")


def person_map_sql(engine: Engine) -> str:
    """(channel, channel_uid, person_id) of every mapped identity; none when OneID has not run."""
    if engine.table_exists("person_map"):
        return "SELECT channel, channel_uid, person_id FROM person_map"
    return EMPTY_MAP

