"""The SELECT that builds `person_profile`: one row per person, every column documented in docs/profile.md.

Aggregates group by the integer person_key (much faster than text ids at millions of persons).
It reads the fact tables of `facts.py` plus messages, coupons, stored value and (when present) clv_score.
Each CTE is one family of columns; the final SELECT joins them onto the list of persons.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from siyu.domain.orders import paid_sql
from siyu.domain.zh_phones import known_phone_sql
from siyu.engine.quote import literal, literal_list
from siyu.profile.facts import until
from siyu.profile.pivot import orders_by_channel, preferences_by_value

PREFERENCES = ("category", "material", "style")


@dataclass(frozen=True)
class ProfileParams:
    as_of: dt.date
    prior_interval_days: float
    active_days: int
    coupon_expiring_days: int
    private_channels: tuple[str, ...]
    with_clv: bool
    # the channels bought on and the item attribute values, when few enough for one column each (pivot.py)
    channels: tuple[str, ...] | None = None
    attribute_values: dict[str, tuple[str, ...]] | None = None


def intervals_sql() -> str:
    """Distinct purchase days per person and their own repurchase interval: the median gap in days between
    those days (NULL with one day). One window over purchase days, never over orders."""
    return """
        SELECT person_key, count(*) AS order_days, CAST(median(gap) AS DOUBLE) AS own_interval FROM (
            SELECT person_key,
                   date_diff('day', lag(order_date) OVER (PARTITION BY person_key ORDER BY order_date),
                             order_date) AS gap
            FROM (SELECT DISTINCT person_key, order_date FROM person_orders WHERE is_purchase) AS d
        ) AS g GROUP BY person_key
    """


def _attrs() -> str:
    """Best known name, phone and the identity attributes. The best name is an unmasked one, the best phone a
    full one; ties (and the other attributes) go to the identity seen last, then by channel and id. A struct
    sort key inside arg_min ranks identities without a row_number() window over all of them."""
    recent = ("{'unseen': i.last_seen_at IS NULL, "
              "'age': coalesce(date_diff('microsecond', i.last_seen_at, TIMESTAMP '2200-01-01 00:00:00'), 0), "
              "'channel': i.channel, 'uid': i.channel_uid}")
    phone = known_phone_sql("phone", "phone_prefix", "phone_suffix")  # full, else as a platform masked it
    return f"""
        ident AS (
            SELECT pi.person_key, i.name, coalesce(i.name_masked, false) AS name_masked, i.phone, i.phone_prefix,
                   i.phone_suffix, i.gender, i.birthday, i.province, i.city, {recent} AS recent
            FROM person_identities AS pi
            JOIN identities AS i ON i.channel = pi.channel AND i.channel_uid = pi.channel_uid
        ),
        attrs AS (
            SELECT person_key,
                   arg_min(name, {{'masked': name_masked, 'recent': recent}}) FILTER (WHERE name IS NOT NULL) AS name,
                   arg_min({phone}, {{'partial': phone IS NULL, 'recent': recent}})
                       FILTER (WHERE {phone} IS NOT NULL) AS phone,
                   arg_min(gender, recent) FILTER (WHERE gender IS NOT NULL) AS gender,
                   arg_min(birthday, recent) FILTER (WHERE birthday IS NOT NULL) AS birthday,
                   arg_min(province, recent) FILTER (WHERE province IS NOT NULL) AS province,
                   arg_min(city, recent) FILTER (WHERE city IS NOT NULL) AS city
            FROM ident GROUP BY person_key
        )"""


def _orders(p: ProfileParams) -> str:
    """The order columns from one pass over person_orders: one column per channel when the channels are few
    (pivot.py), else grouped by (person, channel) and rolled up to the person."""
    year_ago = literal(p.as_of - dt.timedelta(days=365))
    paid_order = paid_sql("")
    private = literal_list(p.private_channels)
    if p.channels is not None:
        return orders_by_channel(year_ago, paid_order, private, p.channels) + ",\n" + _stores()
    money = "CAST(coalesce({}, 0) AS DECIMAL(18,2))"
    return f"""
        ochan AS (
            -- purchases per channel; money counts every order (net is 0 for pending/closed orders)
            SELECT person_key, channel,
                   count(*) FILTER (WHERE is_purchase) AS n,
                   count(*) FILTER (WHERE is_purchase AND order_date > {year_ago}) AS n_365d,
                   sum(net_amount) FILTER (WHERE is_purchase) AS net_bought,
                   min(order_date) FILTER (WHERE is_purchase) AS first_date,
                   max(order_date) FILTER (WHERE is_purchase) AS last_date,
                   min(created_at) FILTER (WHERE is_purchase) AS first_at,
                   max(created_at) FILTER (WHERE is_purchase) AS last_at,
                   sum(net_amount) AS net, sum(net_amount) FILTER (WHERE order_date > {year_ago}) AS net_365d,
                   sum(amount_paid) FILTER (WHERE {paid_order}) AS paid,
                   sum(refund_amount) FILTER (WHERE {paid_order}) AS refunded,
                   count(*) FILTER (WHERE {paid_order} AND refund_amount > 0) AS refunds
            FROM person_orders GROUP BY person_key, channel
        ),
        buys AS (
            SELECT person_key, min(first_date) AS first_order_date, max(last_date) AS last_order_date,
                   arg_min(channel, {{'at': first_at, 'channel': channel}}) FILTER (WHERE n > 0) AS first_channel,
                   arg_max(channel, {{'at': last_at, 'channel': channel}}) FILTER (WHERE n > 0) AS last_channel,
                   sum(n) AS orders, sum(n_365d) AS orders_365d,
                   coalesce(sum(n) FILTER (WHERE channel IN {private}), 0) AS private_orders,
                   max(last_at) AS last_order_at,
                   {money.format('sum(net)')} AS net_spend, {money.format('sum(net_365d)')} AS net_spend_365d,
                   {money.format('sum(paid)')} AS paid_amount, {money.format('sum(refunded)')} AS refund_amount,
                   sum(refunds) AS refunds,
                   -- a sorted list, not string_agg(... ORDER BY): ordered aggregates sort every group
                   nullif(array_to_string(list_sort(list(
                       CASE WHEN n > 0 THEN channel || ':' || CAST(n AS VARCHAR) END)), ','), '') AS channel_mix,
                   count(*) FILTER (WHERE n > 0) AS n_channels,
                   -- most purchases, then most spend, then the first channel by name
                   arg_min(channel, {{'n': -n, 'net': -net_bought, 'channel': channel}}) FILTER (WHERE n > 0)
                       AS preferred_channel
            FROM ochan GROUP BY person_key
        ),""" + _stores()


def _stores() -> str:
    """The store with most of the person's store purchases (ties: first by id)."""
    return """
        stores AS (
            SELECT person_key, arg_min(store_id, {'n': -n, 'store': store_id}) AS order_store_id FROM (
                SELECT person_key, store_id, count(*) AS n
                FROM person_orders WHERE is_purchase AND store_id IS NOT NULL GROUP BY person_key, store_id
            ) AS s GROUP BY person_key
        )"""


def _preferences(p: ProfileParams) -> str:
    if p.attribute_values is not None:
        return preferences_by_value(p.attribute_values)
    unpivot = " UNION ALL ".join(
        f"SELECT person_key, '{a}' AS attr, {a} AS value, qty FROM combos WHERE {a} IS NOT NULL" for a in PREFERENCES
    )
    cols = ",\n".join(
        f"arg_min(value, {{'n': -n, 'value': value}}) FILTER (WHERE attr = '{a}') AS preferred_{a}, "
        f"CAST(max(n) FILTER (WHERE attr = '{a}') AS DOUBLE) / sum(n) FILTER (WHERE attr = '{a}') "
        f"AS preferred_{a}_share" for a in PREFERENCES
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
            -- the value with most items (ties: first by name); its share of the items whose attribute is known
            SELECT person_key, {cols}
            FROM pref_n GROUP BY person_key
        )"""


def _by_identity(table: str, select: str, key: str) -> str:
    """Aggregate a raw table per channel identity first, then join the (much smaller) result to persons:
    cheaper than joining every message or coupon to millions of identities."""
    return f"""
            SELECT pi.person_key, {select}
            FROM ({table}) AS x
            JOIN person_identities AS pi ON {key}
            GROUP BY pi.person_key"""


def _private_domain(p: ProfileParams) -> str:
    since = literal(p.as_of - dt.timedelta(days=p.active_days))
    expiring = literal(p.as_of + dt.timedelta(days=p.coupon_expiring_days))
    today = literal(p.as_of)
    held = (f"(c.redeemed_at IS NULL OR CAST(c.redeemed_at AS DATE) > {today}) "
            f"AND (c.expires_at IS NULL OR CAST(c.expires_at AS DATE) >= {today})")
    messages = f"""
                SELECT customer_id,
                       count(*) FILTER (WHERE CAST(sent_at AS DATE) > {since}) AS n_30d,
                       count(*) FILTER (WHERE CAST(sent_at AS DATE) > {since} AND kind = 'group') AS group_30d,
                       max(sent_at) AS last_at
                FROM messages
                WHERE sender_type = 'customer' AND customer_id IS NOT NULL AND {until('sent_at', p.as_of)}
                GROUP BY customer_id"""
    wallet = f"""
                -- top-ups, bonuses and refunds onto the card add; spends draw the balance down
                SELECT channel, channel_uid, sum(CASE WHEN kind = 'spend' THEN -amount ELSE amount END) AS balance,
                       sum(amount) FILTER (WHERE kind = 'topup') AS topup
                FROM stored_value WHERE {until('txn_at', p.as_of)} GROUP BY channel, channel_uid"""
    coupons = f"""
                SELECT c.channel, c.channel_uid, count(*) FILTER (WHERE {held}) AS held,
                       count(*) FILTER (WHERE {held} AND CAST(c.expires_at AS DATE) <= {expiring}) AS expiring,
                       min(c.expires_at) FILTER (WHERE {held}) AS next_expiry
                FROM coupons AS c WHERE {until('c.issued_at', p.as_of)} GROUP BY c.channel, c.channel_uid"""
    same_identity = "pi.channel = x.channel AND pi.channel_uid = x.channel_uid"
    return f"""
        friends AS (
            -- in the private domain since the first friendship still in place; its staff owns the relationship
            SELECT person_key, bool_or(active) AS is_friend,
                   min(added_at) FILTER (WHERE active) AS private_since,
                   arg_min(staff_id, {{'at': added_at, 'staff': staff_id}}) FILTER (WHERE active) AS owner_staff_id,
                   max(greatest(added_at, removed_at)) AS last_friend_event_at
            FROM person_friends GROUP BY person_key
        ),
        grps AS (
            SELECT person_key, count(joined_at) AS groups_joined, count(left_at) AS groups_left,
                   count(*) FILTER (WHERE is_member) AS groups_current,
                   max(greatest(joined_at, left_at)) AS last_group_event_at
            FROM person_groups GROUP BY person_key
        ),
        msgs AS ({_by_identity(
            messages,
            "sum(x.n_30d) AS messages_30d, sum(x.group_30d) AS group_messages_30d, max(x.last_at) AS last_message_at",
            "pi.channel = 'wecom' AND pi.channel_uid = x.customer_id")}
        ),
        wallet AS ({_by_identity(
            wallet,
            "CAST(sum(x.balance) AS DECIMAL(18,2)) AS stored_value_balance, "
            "CAST(coalesce(sum(x.topup), 0) AS DECIMAL(18,2)) AS stored_value_topup", same_identity)}
        ),
        cps AS ({_by_identity(
            coupons,
            "sum(x.held) AS coupons_held, sum(x.expiring) AS coupons_expiring, "
            "min(x.next_expiry) AS next_coupon_expiry",
            same_identity)}
        )"""


def profile_sql(p: ProfileParams) -> str:
    today = literal(p.as_of)
    clv_cols = ("CAST(s.p_alive AS DOUBLE) AS p_alive, CAST(s.expected_orders_90d AS DOUBLE) AS expected_orders_90d, "
                "CAST(s.clv AS DOUBLE) AS clv")
    clv_join = "LEFT JOIN clv_score AS s ON s.person_id = p.person_id"
    if not p.with_clv:
        clv_cols = ("CAST(NULL AS DOUBLE) AS p_alive, CAST(NULL AS DOUBLE) AS expected_orders_90d, "
                    "CAST(NULL AS DOUBLE) AS clv")
        clv_join = ""
    return f"""
        WITH persons AS (SELECT person_key, min(person_id) AS person_id FROM person_identities GROUP BY person_key),
        {_attrs()},
        {_orders(p)},
        {_preferences(p)},
        {_private_domain(p)}
        SELECT p.person_id, p.person_key, {today} AS as_of,
               a.name, a.phone, a.gender, a.birthday, CAST(month(a.birthday) AS INTEGER) AS birthday_month,
               a.province, a.city,
               b.first_order_date, b.last_order_date, b.first_channel, b.last_channel,
               coalesce(b.orders, 0) AS orders, coalesce(iv.order_days, 0) AS order_days,
               coalesce(b.orders_365d, 0) AS orders_365d,
               coalesce(b.net_spend, CAST(0 AS DECIMAL(18,2))) AS net_spend,
               coalesce(b.net_spend_365d, CAST(0 AS DECIMAL(18,2))) AS net_spend_365d,
               CASE WHEN b.orders > 0 THEN round(CAST(b.net_spend AS DOUBLE) / b.orders, 2) END AS aov,
               coalesce(b.paid_amount, CAST(0 AS DECIMAL(18,2))) AS paid_amount,
               coalesce(b.refund_amount, CAST(0 AS DECIMAL(18,2))) AS refund_amount,
               coalesce(b.refunds, 0) AS refunds,
               CASE WHEN b.paid_amount > 0
                    THEN round(CAST(b.refund_amount AS DOUBLE) / CAST(b.paid_amount AS DOUBLE), 4) END AS return_rate,
               date_diff('day', b.last_order_date, {today}) AS recency_days,
               coalesce(iv.own_interval, {p.prior_interval_days!r}) AS repurchase_interval_days,
               iv.own_interval IS NULL AS interval_is_prior,
               b.channel_mix, coalesce(b.n_channels, 0) AS n_channels, b.preferred_channel,
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
               coalesce(w.stored_value_balance, CAST(0 AS DECIMAL(18,2))) AS stored_value_balance,
               coalesce(w.stored_value_topup, CAST(0 AS DECIMAL(18,2))) AS stored_value_topup,
               coalesce(cp.coupons_held, 0) AS coupons_held, coalesce(cp.coupons_expiring, 0) AS coupons_expiring,
               cp.next_coupon_expiry,
               {clv_cols}
        FROM persons AS p
        LEFT JOIN attrs AS a ON a.person_key = p.person_key
        LEFT JOIN buys AS b ON b.person_key = p.person_key
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
