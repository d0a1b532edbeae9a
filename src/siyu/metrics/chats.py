"""Conversations: 1:1 reply times (median and p90, both directions) and group speakers."""

from __future__ import annotations

from siyu.metrics.periods import Window


def reply_minutes(w: Window, slice_name: str, replier: str, quantile: float) -> str:
    """Minutes from a message to the other side's reply (`replier` 'staff' or 'customer'); denominator = replies.

    The quantile is interpolated between ranks by hand (as DuckDB's quantile_cont does) because Spark's
    percentile functions differ in arguments and exactness; this SQL gives the same answer on both.
    """
    sv = "'all'" if slice_name == "all" else "r.staff_id"
    pos = f"(1 + {quantile} * (n - 1))"
    lo = f"sum(CASE WHEN rn = floor({pos}) THEN minutes END)"
    hi = f"sum(CASE WHEN rn = ceil({pos}) THEN minutes END)"
    return f"""
        SELECT period, slice_value, value AS numerator, n AS denominator, value FROM (
            SELECT period, slice_value, max(n) AS n,
                   {lo} + (max({pos}) - floor(max({pos}))) * ({hi} - {lo}) AS value
            FROM (
                SELECT period, slice_value, minutes,
                       row_number() OVER (PARTITION BY period, slice_value ORDER BY minutes) AS rn,
                       count(*) OVER (PARTITION BY period, slice_value) AS n
                FROM (SELECT {w.bucket('r.day')} AS period, {sv} AS slice_value, r.minutes
                      FROM mx_replies AS r WHERE r.replier = '{replier}') AS b
                WHERE period IS NOT NULL AND slice_value IS NOT NULL
            ) AS ranked GROUP BY period, slice_value
        ) AS q
    """


def group_speakers(w: Window, slice_name: str) -> str:
    """Group active members: distinct customers who spoke in a group in the period."""
    sv = "'all'" if slice_name == "all" else "m.group_id"
    return f"""
        SELECT period, slice_value, n AS numerator, CAST(NULL AS DOUBLE) AS denominator FROM (
            SELECT {w.bucket('CAST(m.sent_at AS DATE)')} AS period, {sv} AS slice_value,
                   count(DISTINCT m.customer_id) AS n
            FROM messages AS m WHERE m.kind = 'group' AND m.sender_type = 'customer' AND m.customer_id IS NOT NULL
            GROUP BY 1, 2
        ) AS q WHERE period IS NOT NULL AND slice_value IS NOT NULL
    """
