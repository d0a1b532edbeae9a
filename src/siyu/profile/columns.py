"""The SELECT that builds `person_profile`: one row per person, every column documented in docs/profile.md.

Aggregates group by the integer person_key (much faster than text ids at millions of persons).
It reads the fact tables of `facts.py` plus messages, coupons, stored value and (when present) clv_score.
Each CTE is one family of columns; the final SELECT joins them onto the list of persons.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from siyu.profile.facts import date_literal, until

PREFERENCES = ("category", "material", "style")


@dataclass(frozen=True)
class ProfileParams:
    as_of: dt.date
    prior_interval_days: float
    active_days: int
    coupon_expiring_days: int
    private_channels: tuple[str, ...]
    with_clv: bool


def intervals_sql() -> str:
    """A person's own repurchase interval: the median gap in days between their distinct purchase days."""
    return """
        SELECT person_key, CAST(median(gap) AS DOUBLE) AS own_interval FROM (
            SELECT person_key,
                   date_diff('day', lag(order_date) OVER (PARTITION BY person_key ORDER BY order_date),
                             order_date) AS gap
            FROM (SELECT DISTINCT person_key, order_date FROM person_orders WHERE is_purchase) AS d
        ) AS g WHERE gap IS NOT NULL GROUP BY person_key
    """


def _attrs() -> str:
    # the best name is an unmasked one, the best phone a full one; ties go to the identity seen last
    recent = "i.last_seen_at DESC NULLS LAST, i.channel, i.channel_uid"
    return f"""
        ranked AS (
            SELECT pi.person_key, i.name, i.phone, i.phone_prefix, i.phone_suffix, i.gender, i.birthday,
                   i.province, i.city, i.name_masked,
                   row_number() OVER (PARTITION BY pi.person_key ORDER BY {recent}) AS rk
            FROM person_identities AS pi
            JOIN identities AS i ON i.channel = pi.channel AND i.channel_uid = pi.channel_uid
        ),
        attrs AS (
            -- one window; the name and phone keys put quality first, then the recency rank
            SELECT person_key,
                   arg_min(name, CASE WHEN name_masked THEN 1000000000 ELSE 0 END + rk)
                       FILTER (WHERE name IS NOT NULL) AS name,
                   arg_min(coalesce(phone, phone_prefix || '****' || phone_suffix),
                           CASE WHEN phone IS NOT NULL THEN 0 ELSE 1000000000 END + rk)
                       FILTER (WHERE phone IS NOT NULL OR phone_suffix IS NOT NULL) AS phone,
                   arg_min(gender, rk) FILTER (WHERE gender IS NOT NULL) AS gender,
                   arg_min(birthday, rk) FILTER (WHERE birthday IS NOT NULL) AS birthday,
                   arg_min(province, rk) FILTER (WHERE province IS NOT NULL) AS province,
                   arg_min(city, rk) FILTER (WHERE city IS NOT NULL) AS city
            FROM ranked GROUP BY person_key
        )"""


def _orders(p: ProfileParams) -> str:
    year_ago = date_literal(p.as_of - dt.timedelta(days=365))
    settled = "status IN ('paid', 'partially_refunded', 'refunded')"
    private = ", ".join(f"'{c}'" for c in p.private_channels) or "''"
    return f"""
        po AS (SELECT * FROM person_orders WHERE is_purchase),
        buys AS (
            SELECT person_key, min(order_date) AS first_order_date, max(order_date) AS last_order_date,
                   arg_min(channel, created_at) AS first_channel, arg_max(channel, created_at) AS last_channel,
                   count(*) AS orders, count(DISTINCT order_date) AS order_days,
                   count(*) FILTER (WHERE order_date > {year_ago}) AS orders_365d,
                   count(*) FILTER (WHERE channel IN ({private})) AS private_orders,
                   max(created_at) AS last_order_at
            FROM po GROUP BY person_key
        ),
        money AS (
            -- net spend counts every order (net is 0 for pending/closed); refunds are of settled orders
            SELECT person_key, CAST(sum(net_amount) AS DECIMAL(18,2)) AS net_spend,
                   CAST(coalesce(sum(net_amount) FILTER (WHERE order_date > {year_ago}), 0) AS DECIMAL(18,2))
                       AS net_spend_365d,
                   CAST(coalesce(sum(amount_paid) FILTER (WHERE {settled}), 0) AS DECIMAL(18,2)) AS paid_amount,
                   CAST(coalesce(sum(refund_amount) FILTER (WHERE {settled}), 0) AS DECIMAL(18,2))
                       AS refund_amount,
                   count(*) FILTER (WHERE {settled} AND refund_amount > 0) AS refunds
            FROM person_orders GROUP BY person_key
        ),
        chan AS (
            SELECT person_key, channel, count(*) AS n, sum(net_amount) AS net FROM po GROUP BY person_key, channel
        ),
        chans AS (
            SELECT person_key, string_agg(channel || ':' || CAST(n AS VARCHAR), ',' ORDER BY channel) AS channel_mix,
                   count(*) AS n_channels, min(CASE WHEN rk = 1 THEN channel END) AS preferred_channel
            FROM (SELECT *, row_number() OVER (PARTITION BY person_key ORDER BY n DESC, net DESC, channel) AS rk
                  FROM chan) AS c
            GROUP BY person_key
        ),
        stores AS (
            SELECT person_key, min(CASE WHEN rk = 1 THEN store_id END) AS order_store_id FROM (
                SELECT person_key, store_id,
                       row_number() OVER (PARTITION BY person_key ORDER BY count(*) DESC, store_id) AS rk
                FROM po WHERE store_id IS NOT NULL GROUP BY person_key, store_id
            ) AS s GROUP BY person_key
        )"""


def _preferences() -> str:
    unpivot = " UNION ALL ".join(
        f"SELECT person_key, '{a}' AS attr, {a} AS value, qty FROM combos WHERE {a} IS NOT NULL" for a in PREFERENCES
    )
    cols = ",\n".join(
        f"min(CASE WHEN attr = '{a}' THEN value END) AS preferred_{a}, "
        f"min(CASE WHEN attr = '{a}' THEN share END) AS preferred_{a}_share" for a in PREFERENCES
    )
    return f"""
        combos AS (
            -- one pass over the items, then the (much smaller) combinations are unpivoted
            SELECT person_key, category, material, style, sum(coalesce(qty, 1)) AS qty
            FROM person_items GROUP BY person_key, category, material, style
        ),
        pref_n AS (
            SELECT person_key, attr, value, sum(qty) AS n FROM ({unpivot}) AS u GROUP BY person_key, attr, value
        ),
        prefs AS (
            -- the value with most items; its share of the items whose attribute is known
            SELECT person_key, {cols} FROM (
                SELECT person_key, attr, value,
                       CAST(n AS DOUBLE) / sum(n) OVER (PARTITION BY person_key, attr) AS share,
                       row_number() OVER (PARTITION BY person_key, attr ORDER BY n DESC, value) AS rk
                FROM pref_n
            ) AS r WHERE rk = 1 GROUP BY person_key
        )"""


def _private_domain(p: ProfileParams) -> str:
    since = date_literal(p.as_of - dt.timedelta(days=p.active_days))
    expiring = date_literal(p.as_of + dt.timedelta(days=p.coupon_expiring_days))
    today = date_literal(p.as_of)
    held = (f"(c.redeemed_at IS NULL OR CAST(c.redeemed_at AS DATE) > {today}) "
            f"AND (c.expires_at IS NULL OR CAST(c.expires_at AS DATE) >= {today})")
    return f"""
        friends AS (
            -- in the private domain since the first friendship still in place; its staff owns the relationship
            SELECT person_key, bool_or(active) AS is_friend,
                   min(added_at) FILTER (WHERE active) AS private_since,
                   arg_min(staff_id, added_at) FILTER (WHERE active) AS owner_staff_id,
                   max(greatest(added_at, removed_at)) AS last_friend_event_at
            FROM person_friends GROUP BY person_key
        ),
        grps AS (
            SELECT person_key, count(joined_at) AS groups_joined, count(left_at) AS groups_left,
                   count(*) FILTER (WHERE is_member) AS groups_current,
                   max(greatest(joined_at, left_at)) AS last_group_event_at
            FROM person_groups GROUP BY person_key
        ),
        msgs AS (
            SELECT pi.person_key,
                   count(*) FILTER (WHERE CAST(m.sent_at AS DATE) > {since}) AS messages_30d,
                   count(*) FILTER (WHERE CAST(m.sent_at AS DATE) > {since} AND m.kind = 'group')
                       AS group_messages_30d,
                   max(m.sent_at) AS last_message_at
            FROM messages AS m
            JOIN person_identities AS pi ON pi.channel = 'wecom' AND pi.channel_uid = m.customer_id
            WHERE m.sender_type = 'customer' AND {until('m.sent_at', p.as_of)}
            GROUP BY pi.person_key
        ),
        wallet AS (
            -- top-ups, bonuses and refunds onto the card add; spends draw the balance down
            SELECT pi.person_key,
                   CAST(sum(CASE WHEN s.kind = 'spend' THEN -s.amount ELSE s.amount END) AS DECIMAL(18,2))
                       AS stored_value_balance,
                   CAST(coalesce(sum(s.amount) FILTER (WHERE s.kind = 'topup'), 0) AS DECIMAL(18,2))
                       AS stored_value_topup
            FROM stored_value AS s
            JOIN person_identities AS pi ON pi.channel = s.channel AND pi.channel_uid = s.channel_uid
            WHERE {until('s.txn_at', p.as_of)} GROUP BY pi.person_key
        ),
        cps AS (
            SELECT pi.person_key, count(*) FILTER (WHERE {held}) AS coupons_held,
                   count(*) FILTER (WHERE {held} AND CAST(c.expires_at AS DATE) <= {expiring}) AS coupons_expiring,
                   min(c.expires_at) FILTER (WHERE {held}) AS next_coupon_expiry
            FROM coupons AS c
            JOIN person_identities AS pi ON pi.channel = c.channel AND pi.channel_uid = c.channel_uid
            WHERE {until('c.issued_at', p.as_of)} GROUP BY pi.person_key
        )"""


def profile_sql(p: ProfileParams) -> str:
    today = date_literal(p.as_of)
    clv_cols = ("CAST(s.p_alive AS DOUBLE) AS p_alive, CAST(s.expected_orders_90d AS DOUBLE) AS expected_orders_90d, "
                "CAST(s.clv AS DOUBLE) AS clv")
    clv_join = "LEFT JOIN clv_score AS s ON s.person_id = p.person_id"
    if not p.with_clv:
        clv_cols = ("CAST(NULL AS DOUBLE) AS p_alive, CAST(NULL AS DOUBLE) AS expected_orders_90d, "
                    "CAST(NULL AS DOUBLE) AS clv")
        clv_join = ""
    return f"""
        WITH persons AS (SELECT DISTINCT person_id, person_key FROM person_identities),
        {_attrs()},
        {_orders(p)},
        {_preferences()},
        {_private_domain(p)}
        SELECT p.person_id, p.person_key, {today} AS as_of,
               a.name, a.phone, a.gender, a.birthday, CAST(month(a.birthday) AS INTEGER) AS birthday_month,
               a.province, a.city,
               b.first_order_date, b.last_order_date, b.first_channel, b.last_channel,
               coalesce(b.orders, 0) AS orders, coalesce(b.order_days, 0) AS order_days,
               coalesce(b.orders_365d, 0) AS orders_365d,
               CAST(coalesce(m.net_spend, 0) AS DECIMAL(18,2)) AS net_spend,
               CAST(coalesce(m.net_spend_365d, 0) AS DECIMAL(18,2)) AS net_spend_365d,
               CASE WHEN b.orders > 0 THEN round(CAST(m.net_spend AS DOUBLE) / b.orders, 2) END AS aov,
               CAST(coalesce(m.paid_amount, 0) AS DECIMAL(18,2)) AS paid_amount,
               CAST(coalesce(m.refund_amount, 0) AS DECIMAL(18,2)) AS refund_amount,
               coalesce(m.refunds, 0) AS refunds,
               CASE WHEN m.paid_amount > 0
                    THEN round(CAST(m.refund_amount AS DOUBLE) / CAST(m.paid_amount AS DOUBLE), 4) END AS return_rate,
               date_diff('day', b.last_order_date, {today}) AS recency_days,
               coalesce(iv.own_interval, {p.prior_interval_days!r}) AS repurchase_interval_days,
               iv.own_interval IS NULL AS interval_is_prior,
               c.channel_mix, coalesce(c.n_channels, 0) AS n_channels, c.preferred_channel,
               coalesce(b.private_orders, 0) AS private_orders,
               coalesce(b.orders, 0) - coalesce(b.private_orders, 0) AS public_orders,
               pr.preferred_category, pr.preferred_category_share, pr.preferred_material,
               pr.preferred_material_share, pr.preferred_style, pr.preferred_style_share,
               f.private_since, coalesce(f.is_friend, false) AS is_friend,
               coalesce(f.is_friend, false) OR coalesce(g.groups_current, 0) > 0 AS in_private_domain,
               f.owner_staff_id, coalesce(st.store_id, so.order_store_id) AS owner_store_id,
               coalesce(g.groups_joined, 0) AS groups_joined, coalesce(g.groups_left, 0) AS groups_left,
               coalesce(g.groups_current, 0) AS groups_current,
               coalesce(ms.messages_30d, 0) AS messages_30d, coalesce(ms.group_messages_30d, 0) AS group_messages_30d,
               CAST(greatest(ms.last_message_at, g.last_group_event_at, f.last_friend_event_at, b.last_order_at)
                    AS TIMESTAMP) AS last_interaction_at,
               CAST(coalesce(w.stored_value_balance, 0) AS DECIMAL(18,2)) AS stored_value_balance,
               CAST(coalesce(w.stored_value_topup, 0) AS DECIMAL(18,2)) AS stored_value_topup,
               coalesce(cp.coupons_held, 0) AS coupons_held, coalesce(cp.coupons_expiring, 0) AS coupons_expiring,
               cp.next_coupon_expiry,
               {clv_cols}
        FROM persons AS p
        LEFT JOIN attrs AS a ON a.person_key = p.person_key
        LEFT JOIN buys AS b ON b.person_key = p.person_key
        LEFT JOIN money AS m ON m.person_key = p.person_key
        LEFT JOIN chans AS c ON c.person_key = p.person_key
        LEFT JOIN stores AS so ON so.person_key = p.person_key
        LEFT JOIN person_intervals AS iv ON iv.person_key = p.person_key
        LEFT JOIN prefs AS pr ON pr.person_key = p.person_key
        LEFT JOIN friends AS f ON f.person_key = p.person_key
        LEFT JOIN staff AS st ON st.staff_id = f.owner_staff_id
        LEFT JOIN grps AS g ON g.person_key = p.person_key
        LEFT JOIN msgs AS ms ON ms.person_key = p.person_key
        LEFT JOIN wallet AS w ON w.person_key = p.person_key
        LEFT JOIN cps AS cp ON cp.person_key = p.person_key
        {clv_join}
    """
