"""The metric base tables (`mx_*`): clean tables joined to persons once, so each metric is a short query.

Persons come from OneID's `person_map`; an identity it does not map (or every identity, when OneID has not
run) falls back to `channel:channel_uid`. On that fallback a WeCom friend and their Tmall orders are two
"persons", so first-order conversion, contribution and feed-back undercount (docs/metrics.md).

Private-domain membership is kept as *spells*: the intervals a person is reachable (a WeCom friendship not
removed, or a group membership), merged per person so overlapping friendships with several staff count once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from siyu.engine import Engine
from siyu.metrics.settings import MetricsConfig

FAR = "TIMESTAMP '9999-12-31 00:00:00'"
PAID = "('paid', 'partially_refunded', 'refunded')"  # an order counts once it was paid (DOMAIN.md)
BASE_TABLES = ("mx_person_map", "mx_orders", "mx_contacts", "mx_friends", "mx_spells", "mx_joined",
               "mx_interactions", "mx_active", "mx_topups", "mx_replies", "mx_script")


@dataclass(frozen=True)
class Base:
    """What the base tables cover: the first and last day with data (`as_of`, unless configured)."""

    first_day: dt.date
    as_of: dt.date
    person_map: bool


def person(channel: str, uid: str, alias: str = "pm") -> str:
    """SQL: the person of an identity, falling back to `channel:uid` when OneID has not mapped it."""
    return f"coalesce({alias}.person_id, {channel} || ':' || {uid})"


def _pm_join(channel: str, uid: str, alias: str = "pm") -> str:
    return f"LEFT JOIN mx_person_map AS {alias} ON {alias}.channel = {channel} AND {alias}.channel_uid = {uid}"


def _wecom(uid: str, alias: str = "pm") -> tuple[str, str]:
    """(join, person expression) for a WeCom external_userid."""
    return _pm_join("'wecom'", uid, alias), person("'wecom'", uid, alias)


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


def _orders_sql(public: list[str]) -> str:
    pub = ", ".join(f"'{c}'" for c in public) or "''"
    return f"""
        SELECT o.channel, o.order_id, {person('o.channel', 'o.channel_uid')} AS person_id,
               coalesce(o.paid_at, o.created_at) AS ts, o.order_date AS day,
               CAST(o.amount_paid AS DOUBLE) AS paid, CAST(o.refund_amount AS DOUBLE) AS refund,
               CAST(o.net_amount AS DOUBLE) AS net, coalesce(o.staff_id, o.share_staff_id) AS staff_id,
               o.store_id, o.channel IN ({pub}) AS is_public
        FROM orders AS o {_pm_join('o.channel', 'o.channel_uid')}
        WHERE o.status IN {PAID} AND o.channel_uid IS NOT NULL
    """


def _contacts_sql() -> str:
    join, who = _wecom("c.external_userid")
    return f"""
        SELECT {who} AS person_id, c.staff_id, s.store_id, c.added_at, c.removed_at,
               coalesce(c.add_source, 'other') AS add_source, c.state
        FROM contacts AS c {join} LEFT JOIN staff AS s ON s.staff_id = c.staff_id
        WHERE c.added_at IS NOT NULL
    """


def _members_sql() -> str:
    """Group membership intervals: each join runs to the member's next event in that group (a leave, or open)."""
    join, who = _wecom("g.member_id")
    return f"""
        SELECT g.group_id, {who} AS person_id, g.event_at AS start_at, g.next_at AS end_at
        FROM (SELECT group_id, member_id, event, event_at,
                     lead(event_at) OVER (PARTITION BY group_id, member_id ORDER BY event_at, event) AS next_at
              FROM group_events) AS g {join}
        WHERE g.event = 'join'
    """


def _friends_sql(days: int, stop: dt.date) -> str:
    """First friendship of each person (a re-add or a second staff member is not a new friend) and its conversion."""
    stop_ts = f"TIMESTAMP '{stop.isoformat()} 00:00:00'"
    return f"""
        WITH firsts AS (
            SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY person_id ORDER BY added_at, staff_id) AS rn
                           FROM mx_contacts) AS c WHERE rn = 1
        ),
        cards AS (SELECT card_code, min(channel) AS channel FROM parcels
                  WHERE card_code IS NOT NULL GROUP BY card_code),
        after AS (
            -- first order after joining: the conversion window counts from the add
            SELECT f.person_id, min(o.ts) AS first_order_at
            FROM firsts AS f JOIN mx_orders AS o ON o.person_id = f.person_id AND o.ts > f.added_at
            GROUP BY f.person_id
        ),
        first_net AS (
            SELECT a.person_id, a.first_order_at, sum(o.net) AS first_order_net
            FROM after AS a JOIN mx_orders AS o ON o.person_id = a.person_id AND o.ts = a.first_order_at
            GROUP BY a.person_id, a.first_order_at
        )
        SELECT f.person_id, f.staff_id, f.store_id, f.add_source, k.channel, f.added_at,
               CAST(f.added_at AS DATE) AS day,
               f.added_at + INTERVAL {days} DAY <= {stop_ts} AS matured,
               coalesce(a.first_order_at <= f.added_at + INTERVAL {days} DAY, false) AS converted,
               a.first_order_at, a.first_order_net
        FROM firsts AS f LEFT JOIN cards AS k ON k.card_code = f.state
        LEFT JOIN first_net AS a ON a.person_id = f.person_id
    """


def _spells_sql() -> str:
    def block(slice_name: str, value: str, src: str, keys: str) -> str:
        merged = merge_spells(src, keys)
        return (f"SELECT '{slice_name}' AS slice, CAST({value} AS VARCHAR) AS slice_value, person_id, start_at, "
                f"end_at FROM ({merged}) AS m")

    person_iv = "SELECT person_id, added_at AS start_at, removed_at AS end_at FROM mx_contacts " \
                f"UNION ALL SELECT person_id, start_at, end_at FROM ({_members_sql()}) AS g"
    parts = [
        block("all", "'all'", person_iv, "person_id"),
        block("staff", "staff_id", "SELECT staff_id, person_id, added_at AS start_at, removed_at AS end_at "
              "FROM mx_contacts WHERE staff_id IS NOT NULL", "staff_id, person_id"),
        block("store", "store_id", "SELECT store_id, person_id, added_at AS start_at, removed_at AS end_at "
              "FROM mx_contacts WHERE store_id IS NOT NULL", "store_id, person_id"),
        block("group", "group_id", _members_sql(), "group_id, person_id"),
    ]
    union = " UNION ALL ".join(f"({p})" for p in parts)
    return f"""
        SELECT slice, slice_value, person_id, start_at, end_at,
               CAST(start_at AS DATE) AS start_day, CAST(end_at AS DATE) AS end_day
        FROM ({union}) AS s
    """


def _add_source_spells_sql() -> str:
    """The person's spells labelled with how they first came in (persons only ever in groups: 'group_only')."""
    return """
        SELECT 'add_source' AS slice, coalesce(f.add_source, 'group_only') AS slice_value, s.person_id,
               s.start_at, s.end_at, s.start_day, s.end_day
        FROM mx_spells AS s LEFT JOIN mx_friends AS f ON f.person_id = s.person_id
        WHERE s.slice = 'all'
    """


def _interactions_sql() -> str:
    """Days a person did anything: wrote a message (1:1 or in a group), ordered, used a campaign coupon."""
    join, who = _wecom("m.customer_id")
    return f"""
        SELECT DISTINCT person_id, day FROM (
            SELECT {who} AS person_id, CAST(m.sent_at AS DATE) AS day
            FROM messages AS m {join} WHERE m.sender_type = 'customer' AND m.customer_id IS NOT NULL
            UNION ALL SELECT person_id, day FROM mx_orders
            UNION ALL
            SELECT {person('c.channel', 'c.channel_uid')}, CAST(c.redeemed_at AS DATE)
            FROM coupons AS c {_pm_join('c.channel', 'c.channel_uid')}
            WHERE c.redeemed_at IS NOT NULL AND c.channel_uid IS NOT NULL
        ) AS i
    """


def _active_sql(days: int) -> str:
    """When each person counts as active: an interaction on day x makes them active at the start of days x+1 …
    x+days. Kept as merged (start_day, end_day] intervals, the convention of the spells, so activity at any
    moment is a running total like private-domain size (no per-period look-back join)."""
    end = f"CAST(day + INTERVAL {days} DAY AS DATE)"
    return f"""
        SELECT person_id, min(start_day) AS start_day, max(end_day) AS end_day FROM (
            SELECT *, sum(CASE WHEN reach IS NULL OR start_day > reach THEN 1 ELSE 0 END)
                      OVER (PARTITION BY person_id ORDER BY start_day ROWS UNBOUNDED PRECEDING) AS island
            FROM (
                SELECT person_id, day AS start_day, {end} AS end_day,
                       max({end}) OVER (PARTITION BY person_id ORDER BY day
                                        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach
                FROM mx_interactions
            ) AS a
        ) AS b GROUP BY person_id, island
    """


def _topups_sql() -> str:
    return f"""
        SELECT {person('v.channel', 'v.channel_uid')} AS person_id, min(v.txn_at) AS first_topup_at
        FROM stored_value AS v {_pm_join('v.channel', 'v.channel_uid')}
        WHERE v.kind = 'topup' AND v.channel_uid IS NOT NULL GROUP BY 1
    """


def _replies_sql() -> str:
    """1:1 reply times: each run of messages from one side, answered by the other side's next message.

    The wait counts from the run's first message (the customer who wrote three times waited since the first).
    """
    return """
        WITH m AS (
            SELECT conversation_id, sender_type, sent_at, message_id,
                   max(staff_id) OVER (PARTITION BY conversation_id) AS staff_id,
                   lag(sender_type) OVER (PARTITION BY conversation_id ORDER BY sent_at, message_id) AS prev
            FROM messages WHERE kind = '1v1' AND sent_at IS NOT NULL
        ),
        runs AS (
            SELECT *, lead(sent_at) OVER (PARTITION BY conversation_id ORDER BY sent_at, message_id) AS answered_at
            FROM m WHERE prev IS NULL OR prev <> sender_type
        )
        SELECT CASE WHEN sender_type = 'customer' THEN 'staff' ELSE 'customer' END AS replier, staff_id,
               CAST(sent_at AS DATE) AS day,
               CAST(date_diff('second', sent_at, answered_at) AS DOUBLE) / 60.0 AS minutes
        FROM runs WHERE answered_at IS NOT NULL
    """


def _script_sql() -> str:
    """Each scripted staff line in a 1:1 chat, and whether the customer's message came next."""
    return """
        SELECT staff_id, script_line_id, day, nxt = 'customer' AS replied FROM (
            SELECT staff_id, script_line_id, CAST(sent_at AS DATE) AS day, sender_type,
                   lead(sender_type) OVER (PARTITION BY conversation_id ORDER BY sent_at, message_id) AS nxt
            FROM messages WHERE kind = '1v1' AND sent_at IS NOT NULL
        ) AS m WHERE sender_type = 'staff' AND script_line_id IS NOT NULL
    """


def _empty_map_sql() -> str:
    return ("SELECT CAST(NULL AS VARCHAR) AS channel, CAST(NULL AS VARCHAR) AS channel_uid, "
            "CAST(NULL AS VARCHAR) AS person_id FROM (SELECT 1 AS x) AS t WHERE x = 0")


REQUIRED = ("orders", "contacts", "group_events", "messages", "parcels", "coupons", "stored_value", "staff")


def data_days(engine: Engine) -> tuple[dt.date, dt.date] | None:
    """The first and last day anything happened (orders, friendships, messages); None for an empty warehouse."""
    row = engine.query("""
        SELECT min(d0) AS d0, max(d1) AS d1 FROM (
            SELECT min(order_date) AS d0, max(order_date) AS d1 FROM orders
            UNION ALL SELECT CAST(min(added_at) AS DATE), CAST(max(added_at) AS DATE) FROM contacts
            UNION ALL SELECT CAST(min(sent_at) AS DATE), CAST(max(sent_at) AS DATE) FROM messages
        ) AS d
    """).to_pylist()[0]
    if row["d0"] is None:
        return None
    return row["d0"], row["d1"]


def build_base(engine: Engine, cfg: MetricsConfig) -> Base:
    """(Re)build the mx_* tables; a clear error when the clean tables are missing."""
    missing = [t for t in REQUIRED if not engine.table_exists(t)]
    if missing:
        raise ValueError(f"no {', '.join(missing)} table(s): run `siyu run` (the normalise step) first")
    days = data_days(engine)
    if days is None:
        raise ValueError("no data: the warehouse has no orders, friends or messages yet (`siyu import` first)")
    as_of = cfg.settings.as_of or days[1]
    has_map = engine.table_exists("person_map") and engine.row_count("person_map") > 0
    stop = as_of + dt.timedelta(days=1)
    steps = [
        ("mx_person_map", "SELECT channel, channel_uid, person_id FROM person_map" if has_map else _empty_map_sql()),
        ("mx_orders", _orders_sql(cfg.public)),
        ("mx_contacts", _contacts_sql()),
        ("mx_friends", _friends_sql(cfg.settings.conversion_days, stop)),
        ("mx_spells", _spells_sql()),
    ]
    for name, sql in steps:
        engine.create_table_as(name, sql)
    engine.insert_select("mx_spells", _add_source_spells_sql())
    engine.create_table_as("mx_joined", """
        SELECT person_id, min(start_at) AS joined_at, CAST(min(start_at) AS DATE) AS joined_day
        FROM mx_spells WHERE slice = 'all' GROUP BY person_id
    """)
    for name, sql in [("mx_interactions", _interactions_sql()),
                      ("mx_active", _active_sql(cfg.settings.activity_days)), ("mx_topups", _topups_sql()),
                      ("mx_replies", _replies_sql()), ("mx_script", _script_sql())]:
        engine.create_table_as(name, sql)
    return Base(days[0], as_of, has_map)
