"""Private-domain spells: the intervals a person is reachable, merged per person (and per staff, store, group).

The intervals are siyu.domain.private's (a WeCom friendship not removed, a group membership); they are merged
into non-overlapping *spells* so two staff members' friendships count once and a gap is a gap. A merged spell
covers the end of a day exactly when one of its intervals does. The spells intersected with "active" and "has
topped up" are built here once, so activity and the stored-value rate are running totals like size (no
per-query join).
"""

from __future__ import annotations

from siyu.domain.persons import person_sql
from siyu.domain.private import membership_intervals_sql
from siyu.engine.quote import literal

FAR = "TIMESTAMP '9999-12-31 00:00:00'"
FAR_DAY = "DATE '9999-12-31'"


def person(channel: str, uid: str, alias: str = "pm") -> str:
    """SQL: the person of an identity, falling back to `channel:uid` when OneID has not mapped it."""
    return person_sql(channel, uid, f"{alias}.person_id")


def pm_join(channel: str, uid: str, alias: str = "pm") -> str:
    return f"LEFT JOIN mx_person_map AS {alias} ON {alias}.channel = {channel} AND {alias}.channel_uid = {uid}"


def wecom(uid: str, alias: str = "pm") -> tuple[str, str]:
    """(join, person expression) for a WeCom external_userid."""
    return pm_join("'wecom'", uid, alias), person("'wecom'", uid, alias)


def merge_spells(intervals_sql: str, keys: str) -> str:
    """Merge intervals (keys…, start_at, end_at NULL = open) into non-overlapping spells per key (gaps and islands).

    Nested subqueries rather than CTEs: sqlglot lifts CTEs to the top for Spark, where two uses would clash.
    """
    return f"""
        SELECT {keys}, min(start_at) AS start_at,
               CASE WHEN max(end_at) = {FAR} THEN NULL ELSE max(end_at) END AS end_at
        FROM (
            SELECT *, sum(CASE WHEN reach IS NULL OR start_at > reach THEN 1 ELSE 0 END)
                      OVER (PARTITION BY {keys} ORDER BY start_at, end_at ROWS UNBOUNDED PRECEDING) AS island
            FROM (
                SELECT *, max(end_at) OVER (PARTITION BY {keys} ORDER BY start_at, end_at
                          ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach
                FROM (SELECT {keys}, start_at, coalesce(end_at, {FAR}) AS end_at FROM ({intervals_sql}) AS i
                      WHERE start_at IS NOT NULL AND (end_at IS NULL OR end_at > start_at)) AS iv
            ) AS ord
        ) AS isl GROUP BY {keys}, island
    """


def members_sql() -> str:
    """Group membership intervals (siyu.domain.private) with the member's person."""
    join, who = wecom("m.member_id")
    return f"""
        SELECT m.group_id, {who} AS person_id, m.start_at, m.end_at
        FROM ({membership_intervals_sql()}) AS m {join}
    """


def spells_sql() -> str:
    """Spells of the whole domain and per staff member, store and group (the add_source slice comes later:
    it needs each person's first friendship)."""
    def block(slice_name: str, value: str, src: str, keys: str) -> str:
        merged = merge_spells(src, keys)
        return (f"SELECT {literal(slice_name)} AS slice, CAST({value} AS VARCHAR) AS slice_value, person_id, start_at, "
                f"end_at FROM ({merged}) AS m")

    person_iv = "SELECT person_id, start_at, end_at FROM mx_contacts " \
                f"UNION ALL SELECT person_id, start_at, end_at FROM ({members_sql()}) AS g"
    parts = [
        block("all", "'all'", person_iv, "person_id"),
        block("staff", "staff_id", "SELECT staff_id, person_id, start_at, end_at "
              "FROM mx_contacts WHERE staff_id IS NOT NULL", "staff_id, person_id"),
        block("store", "store_id", "SELECT store_id, person_id, start_at, end_at "
              "FROM mx_contacts WHERE store_id IS NOT NULL", "store_id, person_id"),
        block("group", "group_id", members_sql(), "group_id, person_id"),
    ]
    union = " UNION ALL ".join(f"({p})" for p in parts)
    return f"""
        SELECT slice, slice_value, person_id, start_at, end_at,
               CAST(start_at AS DATE) AS start_day, CAST(end_at AS DATE) AS end_day
        FROM ({union}) AS s
    """


def add_source_spells_sql() -> str:
    """The person's spells labelled with how they first came in (persons only ever in groups: 'group_only')."""
    return """
        SELECT 'add_source' AS slice, coalesce(f.add_source, 'group_only') AS slice_value, s.person_id,
               s.start_at, s.end_at, s.start_day, s.end_day
        FROM mx_spells AS s LEFT JOIN mx_friends AS f ON f.person_id = s.person_id
        WHERE s.slice = 'all'
    """


def active_sql(days: int) -> str:
    """When each person counts as active: an interaction (a customer message, 1:1 or in a group; an order; a
    redeemed coupon) on day x makes them active at the start of days x+1 … x+days. Kept as merged
    (start_day, end_day] intervals. Every interval has the same length, so a new one starts an island exactly
    when it begins after the previous day's interval ended (a lag, not a running max). Only persons who joined
    the private domain, and only interactions whose interval reaches past their join, can meet a spell: the
    rest (most orders) are left out before the sort."""
    join, who = wecom("m.customer_id")
    days_sql = f"""
        SELECT DISTINCT i.person_id, i.day FROM (
            SELECT {who} AS person_id, CAST(m.sent_at AS DATE) AS day
            FROM messages AS m {join} WHERE m.sender_type = 'customer' AND m.customer_id IS NOT NULL
            UNION ALL SELECT person_id, day FROM mx_orders
            UNION ALL
            SELECT {person('c.channel', 'c.channel_uid')}, CAST(c.redeemed_at AS DATE)
            FROM coupons AS c {pm_join('c.channel', 'c.channel_uid')}
            WHERE c.redeemed_at IS NOT NULL AND c.channel_uid IS NOT NULL
        ) AS i JOIN mx_joined AS j ON j.person_id = i.person_id
        WHERE i.day IS NOT NULL AND CAST(i.day + INTERVAL {days} DAY AS DATE) > j.joined_day
    """
    return f"""
        SELECT person_id, min(day) AS start_day, CAST(max(day) + INTERVAL {days} DAY AS DATE) AS end_day FROM (
            SELECT person_id, day, sum(CASE WHEN prev IS NULL OR day > CAST(prev + INTERVAL {days} DAY AS DATE)
                                       THEN 1 ELSE 0 END)
                   OVER (PARTITION BY person_id ORDER BY day ROWS UNBOUNDED PRECEDING) AS island
            FROM (SELECT person_id, day, lag(day) OVER (PARTITION BY person_id ORDER BY day) AS prev
                  FROM ({days_sql}) AS d) AS a
        ) AS b GROUP BY person_id, island
    """


def active_spells_sql() -> str:
    """Every slice's spells cut to the days the person was active: (slice, slice_value, person, start, end]."""
    return f"""
        SELECT s.slice, s.slice_value, s.person_id, greatest(s.start_day, a.start_day) AS start_day,
               least(coalesce(s.end_day, {FAR_DAY}), a.end_day) AS end_day
        FROM mx_spells AS s JOIN mx_active AS a ON a.person_id = s.person_id
        WHERE greatest(s.start_day, a.start_day) < least(coalesce(s.end_day, {FAR_DAY}), a.end_day)
    """


def holder_spells_sql() -> str:
    """Every slice's spells from the person's first top-up on: stored-value holders in the domain."""
    return """
        SELECT s.slice, s.slice_value, s.person_id,
               CAST(greatest(s.start_at, t.first_topup_at) AS DATE) AS start_day, s.end_day
        FROM mx_spells AS s JOIN mx_topups AS t ON t.person_id = s.person_id
        WHERE s.end_at IS NULL OR s.end_at > t.first_topup_at
    """
