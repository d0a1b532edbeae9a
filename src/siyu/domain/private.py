"""Who is in the private domain (DOMAIN.md "Private-domain person"): a WeCom friend not removed, or a member of a
brand group, at the end of the day asked. A group membership is the member's last event in that group by then (a
join and a leave at the same moment: the leave wins).

The rule is stated once, as *reach intervals* [start_at, end_at) (end_at NULL = still open) and one predicate,
"the interval covers the end of day d". Every reader derives from these: `private_domain_sql` (CLV's covariate),
the profile's `active` / `is_member` (so `in_private_domain`) at its as-of day, and the metrics' spells, which
merge the same intervals per person, staff member, store and group and count them over time.
"""

from __future__ import annotations

import datetime as dt

from siyu.engine.quote import literal


def covers_end_of(day: dt.date, start: str = "start_at", end: str = "end_at") -> str:
    """SQL: the interval [start, end) reaches past the end of `day`: it began on or before that day and ends
    (if at all) on a later day. An interval that opens and closes on the same day never covers it."""
    d = literal(day)
    return f"(CAST({start} AS DATE) <= {d} AND ({end} IS NULL OR CAST({end} AS DATE) > {d}))"


def friendship_intervals_sql() -> str:
    """Every WeCom friendship (all `contacts` columns) with its interval: start_at = added_at, end_at =
    removed_at (NULL while the friend is not removed)."""
    return """
        SELECT c.*, c.added_at AS start_at, c.removed_at AS end_at FROM contacts AS c
        WHERE c.external_userid IS NOT NULL AND c.added_at IS NOT NULL
    """


def _group_timeline_sql() -> str:
    """Every group event of a member with the member's next event in that group (`next_at`). Events at the same
    moment sort join before leave, so a join and a leave at one moment end that join at once: the leave wins."""
    return """
        SELECT group_id, member_id, event, event_at,
               lead(event_at) OVER (PARTITION BY group_id, member_id ORDER BY event_at, event) AS next_at
        FROM group_events WHERE member_id IS NOT NULL
    """


def membership_intervals_sql() -> str:
    """Group membership intervals (group_id, member_id, start_at, end_at): each join, to the member's next event
    in that group (open while there is none; empty for a leave at the same moment)."""
    # selected straight from the timeline, with no computed column in between: the metrics read this twice in
    # one query and DuckDB then shares one evaluation (window and person join) between both reads
    return f"""
        SELECT group_id, member_id, event_at AS start_at, next_at AS end_at FROM ({_group_timeline_sql()}) AS t
        WHERE event = 'join'
    """


def membership_events_sql() -> str:
    """Every group event (group_id, member_id, event, event_at) with the interval it opens: a join's is its
    membership interval above, a leave's is empty. For readers that also need the events themselves (the
    profile's first join and last leave), in the same pass over group_events."""
    return f"""
        SELECT group_id, member_id, event, event_at, event_at AS start_at,
               CASE WHEN event = 'join' THEN next_at ELSE event_at END AS end_at
        FROM ({_group_timeline_sql()}) AS t
    """


def private_domain_sql(day: dt.date) -> str:
    """(channel, channel_uid) of each WeCom identity in the private domain at the end of `day`."""
    return f"""
        SELECT 'wecom' AS channel, external_userid AS channel_uid FROM ({friendship_intervals_sql()}) AS f
        WHERE {covers_end_of(day)}
        UNION
        SELECT 'wecom', member_id FROM ({membership_intervals_sql()}) AS m WHERE {covers_end_of(day)}
    """
