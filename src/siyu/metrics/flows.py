"""Flows over a period: acquisition, first-order conversion, repurchase, order value, sales shares, returns.

Each query returns (period, slice_value, numerator, denominator) per period of the window; orders are the paid
orders of `mx_orders` (pending and closed never count; refunded ones count as orders with their net of 0).
"""

from __future__ import annotations

from siyu.metrics.periods import Window, lit

ORDER_SLICES = {"all": "'all'", "channel": "o.channel", "store": "o.store_id", "staff": "o.staff_id"}
FRIEND_SLICES = {"all": "'all'", "channel": "f.channel", "store": "f.store_id", "staff": "f.staff_id",
                 "add_source": "f.add_source"}


def _ratio(rows_sql: str) -> str:
    """Sum numerator and denominator rows (so either side may be missing in a period)."""
    return f"""
        SELECT period, slice_value, sum(num) AS numerator, sum(den) AS denominator
        FROM ({rows_sql}) AS r WHERE period IS NOT NULL AND slice_value IS NOT NULL GROUP BY period, slice_value
    """


def acquisition_rate(w: Window, slice_name: str) -> str:
    """DOMAIN.md 吸粉率: new WeCom friends from package cards ÷ parcels shipped with cards (by channel: the card's)."""
    pv = "'all'" if slice_name == "all" else "p.channel"
    fv = "'all'" if slice_name == "all" else "f.channel"
    return _ratio(f"""
        SELECT {w.bucket('f.day')} AS period, {fv} AS slice_value, 1 AS num, 0 AS den
        FROM mx_friends AS f WHERE f.add_source = 'package_card'
        UNION ALL
        SELECT {w.bucket('CAST(p.shipped_at AS DATE)')}, {pv}, 0, 1 FROM parcels AS p WHERE p.with_card
    """)


def first_order_conversion(w: Window, slice_name: str) -> str:
    """DOMAIN.md: of persons who became friends in the period, the share whose first order after joining came
    within the window. Friends whose window has not ended by the last day are not counted yet."""
    return _ratio(f"""
        SELECT {w.bucket('f.day')} AS period, {FRIEND_SLICES[slice_name]} AS slice_value,
               CASE WHEN f.converted THEN 1 ELSE 0 END AS num, 1 AS den
        FROM mx_friends AS f WHERE f.matured
    """)


def repurchase_rate(w: Window, slice_name: str) -> str:
    """DOMAIN.md 复购率: of persons who bought in the period, the share with ≥ 2 orders (same-day orders count once)."""
    return _ratio(f"""
        SELECT period, slice_value, CASE WHEN days >= 2 THEN 1 ELSE 0 END AS num, 1 AS den FROM (
            SELECT {w.bucket('o.day')} AS period, {ORDER_SLICES[slice_name]} AS slice_value, o.person_id,
                   count(DISTINCT o.day) AS days
            FROM mx_orders AS o GROUP BY 1, 2, 3
        ) AS b
    """)


def average_order_value(w: Window, slice_name: str) -> str:
    """DOMAIN.md 客单价: net paid ÷ orders."""
    return _ratio(f"""
        SELECT {w.bucket('o.day')} AS period, {ORDER_SLICES[slice_name]} AS slice_value, o.net AS num, 1 AS den
        FROM mx_orders AS o
    """)


def _in_domain_orders(w: Window) -> str:
    """Orders with whether the buyer was in the private domain when ordering."""
    return f"""
        SELECT o.*, {w.bucket('o.day')} AS period, s.person_id IS NOT NULL AS in_domain
        FROM mx_orders AS o LEFT JOIN mx_spells AS s
          ON s.slice = 'all' AND s.person_id = o.person_id AND s.start_at <= o.ts
         AND (s.end_at IS NULL OR s.end_at > o.ts)
    """


def contribution(w: Window, slice_name: str) -> str:
    """DOMAIN.md: net sales (all channels) of persons in the private domain when they ordered ÷ total net sales."""
    return _ratio(f"""
        SELECT period, {ORDER_SLICES[slice_name]} AS slice_value,
               CASE WHEN in_domain THEN net ELSE 0 END AS num, net AS den
        FROM ({_in_domain_orders(w)}) AS o
    """)


def feed_back(w: Window, slice_name: str) -> str:
    """DOMAIN.md 反哺: public-platform net sales by persons after they first joined the private domain."""
    return _ratio(f"""
        SELECT {w.bucket('o.day')} AS period, {ORDER_SLICES[slice_name]} AS slice_value, o.net AS num,
               CAST(NULL AS DOUBLE) AS den
        FROM mx_orders AS o JOIN mx_joined AS j ON j.person_id = o.person_id AND o.ts >= j.joined_at
        WHERE o.is_public
    """)


def core_return_rate(w: Window, slice_name: str, core_share: float) -> str:
    """DOMAIN.md: refunded ÷ paid for the top value tier, here the top `core_share` of buyers by net sales in the
    whole window (one fixed set, so a trend shows service improving, not the tier changing)."""
    return _ratio(f"""
        WITH spend AS (
            SELECT person_id, sum(net) AS net FROM mx_orders
            WHERE day >= {lit(w.start)} AND day <= {lit(w.end)} GROUP BY person_id
        ),
        ranked AS (SELECT person_id, row_number() OVER (ORDER BY net DESC, person_id) AS rk,
                          count(*) OVER () AS n FROM spend)
        SELECT {w.bucket('o.day')} AS period, {ORDER_SLICES[slice_name]} AS slice_value, o.refund AS num,
               o.paid AS den
        FROM mx_orders AS o JOIN ranked AS c ON c.person_id = o.person_id
        WHERE c.rk <= ceil(c.n * {core_share})
    """)
