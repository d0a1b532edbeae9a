"""Person-level fact tables: every order, item, friendship and group membership with its person_id.

The profile aggregates these, and the segment helpers (`bought`, `in_group`, `friend_of`) read them, so a
segment query never re-resolves identities. All facts stop at `as_of`: a profile computed "as of" a past
date sees only what had happened by the end of that day, which is what makes tag history reproducible.
"""

from __future__ import annotations

import datetime as dt

from siyu.domain.orders import purchase_sql
from siyu.domain.persons import person_sql
from siyu.domain.private import covers_end_of, friendship_intervals_sql, membership_events_sql
from siyu.engine import Engine
from siyu.engine.quote import literal

# The clean tables the profile reads (written by the normalise step).
INPUTS = ["identities", "orders", "order_items", "contacts", "chat_groups", "group_events", "messages",
          "coupons", "stored_value", "staff"]


def until(column: str, as_of: dt.date) -> str:
    """True when a timestamp falls on or before the as-of day."""
    return f"CAST({column} AS DATE) <= {literal(as_of)}"


def identities_sql(engine: Engine) -> str:
    """(channel, channel_uid, person_id) for every identity seen anywhere: OneID's person when it exists,
    else one person per identity (`channel:channel_uid`) so the layer also works without OneID."""
    # normalise makes almost every identity a row of `identities`: the other sources only add the ones it lacks,
    # and an anti-join against it is much cheaper than de-duplicating every order and message row
    others = """
        SELECT channel, channel_uid FROM orders WHERE channel_uid IS NOT NULL
        UNION ALL SELECT 'wecom', external_userid FROM contacts WHERE external_userid IS NOT NULL
        UNION ALL SELECT 'wecom', member_id FROM group_events WHERE member_id IS NOT NULL
        UNION ALL SELECT 'wecom', customer_id FROM messages WHERE customer_id IS NOT NULL
        UNION ALL SELECT channel, channel_uid FROM coupons WHERE channel_uid IS NOT NULL
        UNION ALL SELECT channel, channel_uid FROM stored_value WHERE channel_uid IS NOT NULL
    """
    known = "SELECT DISTINCT channel, channel_uid FROM identities"
    seen = f"""
        {known}
        UNION ALL
        SELECT DISTINCT o.channel, o.channel_uid FROM ({others}) AS o
        WHERE NOT EXISTS (SELECT 1 FROM identities AS i WHERE i.channel = o.channel AND i.channel_uid = o.channel_uid)
    """
    own = person_sql("s.channel", "s.channel_uid")
    person = f"SELECT s.channel, s.channel_uid, {own} AS person_id FROM ({seen}) AS s"
    if engine.table_exists("person_map"):
        person = f"""
            SELECT s.channel, s.channel_uid, {person_sql('s.channel', 's.channel_uid', 'pm.person_id')} AS person_id
            FROM ({seen}) AS s
            LEFT JOIN person_map AS pm ON pm.channel = s.channel AND pm.channel_uid = s.channel_uid
        """
    # person_key: an integer per person for this run only; segment helpers join on it (integer joins are
    # several times faster than joins on text ids at millions of persons)
    key = "dense_rank() OVER (ORDER BY person_id) AS person_key"
    return f"SELECT channel, channel_uid, person_id, {key} FROM ({person}) AS x"


def orders_sql(as_of: dt.date) -> str:
    """Every order up to as_of with its person, and whether it counts as a purchase.

    The widest table the profile writes (one row per order): it carries only the integer person_key and the
    columns the profile and `bought()` read, because writing text columns of millions of rows dominates."""
    return f"""
        SELECT pi.person_key, o.channel, o.order_id, o.order_date, o.created_at, o.status, o.amount_paid,
               o.refund_amount, o.net_amount, o.store_id, {purchase_sql('o')} AS is_purchase
        FROM orders AS o
        JOIN person_identities AS pi ON pi.channel = o.channel AND pi.channel_uid = o.channel_uid
        WHERE o.order_date <= {literal(as_of)}
    """


def items_sql() -> str:
    """The items of purchases (refunded and closed orders say nothing about taste)."""
    return """
        SELECT po.person_key, po.channel, po.order_date, i.sku, i.product_name, i.category, i.material, i.style, i.qty
        FROM person_orders AS po
        JOIN order_items AS i ON i.channel = po.channel AND i.order_id = po.order_id
        WHERE po.is_purchase
    """


def friends_sql(as_of: dt.date) -> str:
    """WeCom friendships up to as_of; `active` when the friendship covers the end of as_of (siyu.domain.private)."""
    return f"""
        SELECT pi.person_id, pi.person_key, c.staff_id, c.external_userid, c.added_at,
               CASE WHEN {until('c.removed_at', as_of)} THEN c.removed_at END AS removed_at, c.add_source,
               {covers_end_of(as_of, 'c.start_at', 'c.end_at')} AS active
        FROM ({friendship_intervals_sql()}) AS c
        JOIN person_identities AS pi ON pi.channel = 'wecom' AND pi.channel_uid = c.external_userid
        WHERE {until('c.added_at', as_of)}
    """


def groups_sql(as_of: dt.date) -> str:
    """One row per (person, group): first join, last leave, and membership at as_of: one of the person's
    membership intervals in the group covers the end of that day (siyu.domain.private)."""
    return f"""
        SELECT pi.person_id, pi.person_key, e.group_id, g.group_name, g.group_type,
               min(CASE WHEN e.event = 'join' THEN e.event_at END) AS joined_at,
               max(CASE WHEN e.event = 'leave' THEN e.event_at END) AS left_at,
               bool_or({covers_end_of(as_of, 'e.start_at', 'e.end_at')}) AS is_member
        FROM ({membership_events_sql()}) AS e
        JOIN person_identities AS pi ON pi.channel = 'wecom' AND pi.channel_uid = e.member_id
        LEFT JOIN chat_groups AS g ON g.group_id = e.group_id
        WHERE {until('e.event_at', as_of)}
        GROUP BY pi.person_id, pi.person_key, e.group_id, g.group_name, g.group_type
    """


def fact_tables(engine: Engine, as_of: dt.date) -> list[tuple[str, str]]:
    """(table, SELECT) in build order: identities first, the rest join them."""
    return [
        ("person_identities", identities_sql(engine)),
        ("person_orders", orders_sql(as_of)),
        ("person_items", items_sql()),
        ("person_friends", friends_sql(as_of)),
        ("person_groups", groups_sql(as_of)),
    ]
