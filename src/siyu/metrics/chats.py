"""Conversations: 1:1 reply times (median and p90, both directions), script-line replies and group speakers."""

from __future__ import annotations

from siyu.metrics.periods import Window


def chat_sql() -> str:
    """One ordered pass over the 1:1 messages: the first message of each run from one side (for reply times)
    and each scripted staff line with the sender of the next message (for the script drop-off)."""
    return """
        SELECT * FROM (
            SELECT conversation_id, sender_type, sent_at, message_id, script_line_id,
                   max(staff_id) OVER (PARTITION BY conversation_id) AS staff_id,
                   staff_id AS sender_staff_id,
                   lag(sender_type) OVER (PARTITION BY conversation_id ORDER BY sent_at, message_id) AS prev,
                   lead(sender_type) OVER (PARTITION BY conversation_id ORDER BY sent_at, message_id) AS nxt
            FROM messages WHERE kind = '1v1' AND sent_at IS NOT NULL
        ) AS m WHERE prev IS NULL OR prev <> sender_type OR (sender_type = 'staff' AND script_line_id IS NOT NULL)
    """


def replies_sql() -> str:
    """1:1 reply times: each run of messages from one side, answered by the other side's next message.

    The wait counts from the run's first message (the customer who wrote three times waited since the first).
    """
    return """
        SELECT CASE WHEN sender_type = 'customer' THEN 'staff' ELSE 'customer' END AS replier, staff_id,
               CAST(sent_at AS DATE) AS day,
               CAST(date_diff('second', sent_at, answered_at) AS DOUBLE) / 60.0 AS minutes
        FROM (
            SELECT *, lead(sent_at) OVER (PARTITION BY conversation_id ORDER BY sent_at, message_id) AS answered_at
            FROM mx_chat WHERE prev IS NULL OR prev <> sender_type
        ) AS runs WHERE answered_at IS NOT NULL
    """


def script_sql() -> str:
    """Each scripted staff line in a 1:1 chat, and whether the customer's message came next."""
    return """
        SELECT sender_staff_id AS staff_id, script_line_id, CAST(sent_at AS DATE) AS day,
               nxt = 'customer' AS replied
        FROM mx_chat WHERE sender_type = 'staff' AND script_line_id IS NOT NULL
    """


REPLY_QUANTILES = {  # metric: (who replies, quantile)
    "staff_reply_minutes_median": ("staff", 0.5), "staff_reply_minutes_p90": ("staff", 0.9),
    "customer_reply_minutes_median": ("customer", 0.5), "customer_reply_minutes_p90": ("customer", 0.9),
}


def reply_minutes(w: Window, slice_name: str, metrics: list[str]) -> str:
    """Reply-time quantiles (`REPLY_QUANTILES`) in one sort: (metric, period, slice_value, numerator,
    denominator = replies, value). Minutes from a message to the other side's reply.

    The quantile is interpolated between ranks by hand (as DuckDB's quantile_cont does) because Spark's
    percentile functions differ in arguments and exactness; this SQL gives the same answer on both.
    """
    sv = "'all'" if slice_name == "all" else "r.staff_id"
    wanted = " UNION ALL ".join(
        f"SELECT '{m}' AS metric, '{REPLY_QUANTILES[m][0]}' AS replier, {REPLY_QUANTILES[m][1]} AS q"
        for m in metrics
    )
    repliers = ", ".join(sorted({f"'{REPLY_QUANTILES[m][0]}'" for m in metrics}))
    pos = "(1 + q.q * (r.n - 1))"
    lo = "sum(CASE WHEN rn = lo_rank THEN minutes END)"
    hi = "sum(CASE WHEN rn = hi_rank THEN minutes END)"
    return f"""
        SELECT metric, period, slice_value, value AS numerator, n AS denominator, value FROM (
            SELECT metric, period, slice_value, max(n) AS n, {lo} + max(frac) * ({hi} - {lo}) AS value
            FROM (
                SELECT q.metric, r.period, r.slice_value, r.n, r.rn, r.minutes,
                       floor({pos}) AS lo_rank, ceil({pos}) AS hi_rank, {pos} - floor({pos}) AS frac
                FROM (
                    SELECT replier, period, slice_value, minutes,
                           row_number() OVER (PARTITION BY replier, period, slice_value ORDER BY minutes) AS rn,
                           count(*) OVER (PARTITION BY replier, period, slice_value) AS n
                    FROM (SELECT r.replier, {w.bucket('r.day')} AS period, {sv} AS slice_value, r.minutes
                          FROM mx_replies AS r WHERE r.replier IN ({repliers})) AS b
                    WHERE period IS NOT NULL AND slice_value IS NOT NULL
                ) AS r JOIN ({wanted}) AS q ON q.replier = r.replier
                WHERE r.rn = floor({pos}) OR r.rn = ceil({pos})
            ) AS ranked GROUP BY metric, period, slice_value
        ) AS v
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
