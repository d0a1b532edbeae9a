"""Conversations: 1:1 reply times (median and p90, both directions), script-line replies and group speakers."""

from __future__ import annotations

from siyu.engine.quote import literal
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


REPLY_QUANTILES = {  # metric: (who replies, quantile 0.5 or 0.9)
    "staff_reply_minutes_median": ("staff", 0.5), "staff_reply_minutes_p90": ("staff", 0.9),
    "customer_reply_minutes_median": ("customer", 0.5), "customer_reply_minutes_p90": ("customer", 0.9),
}


def reply_minutes(w: Window, slice_name: str, metrics: list[str]) -> str:
    """Reply-time quantiles (`REPLY_QUANTILES`) in one aggregation: (metric, period, slice_value, numerator,
    denominator = replies, value). Minutes from a message to the other side's reply; quantiles interpolate
    linearly between ranks (DuckDB quantile_cont; Spark percentile, the same definition)."""
    sv = "'all'" if slice_name == "all" else "r.staff_id"
    wanted = " UNION ALL ".join(
        f"SELECT {literal(m)} AS metric, {literal(REPLY_QUANTILES[m][0])} AS replier, {REPLY_QUANTILES[m][1]} AS q"
        for m in metrics
    )
    repliers = ", ".join(sorted({literal(REPLY_QUANTILES[m][0]) for m in metrics}))
    return f"""
        SELECT q.metric, a.period, a.slice_value, CASE WHEN q.q = 0.5 THEN a.p50 ELSE a.p90 END AS numerator,
               a.n AS denominator, CASE WHEN q.q = 0.5 THEN a.p50 ELSE a.p90 END AS value
        FROM (
            SELECT replier, period, slice_value, count(*) AS n, quantile_cont(minutes, 0.5) AS p50,
                   quantile_cont(minutes, 0.9) AS p90
            FROM (SELECT r.replier, {w.bucket('r.day')} AS period, {sv} AS slice_value, r.minutes
                  FROM mx_replies AS r WHERE r.replier IN ({repliers})) AS b
            WHERE period IS NOT NULL AND slice_value IS NOT NULL GROUP BY replier, period, slice_value
        ) AS a JOIN ({wanted}) AS q ON q.replier = a.replier
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
