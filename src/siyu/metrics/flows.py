"""Flows over a period: acquisition, first-order conversion, repurchase, order value, sales shares, returns.

Each query returns (period, slice_value, numerator, denominator) per period of the window. `mx_orders` holds the
paid orders (pending and closed never count); sales, refunds, contribution, feed-back and conversion count every
paid order (a refunded one with its net of 0), repurchase, order value and the buyers count purchases only
(`is_purchase`: a fully refunded order is not a purchase; docs/definitions.md).
"""

from __future__ import annotations

import math

from siyu.engine.quote import literal
from siyu.metrics.periods import Window

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


def buy_days_sql(by_channel: bool) -> str:
    """Each person's distinct order days (per channel when `by_channel`) with the one and two before, in one
    sort, so every period's buyers and repurchasers are counted by a scan, not a group-by over persons."""
    keys = "person_id, channel" if by_channel else "person_id"
    return f"""
        SELECT {keys}, day, lag(day) OVER (PARTITION BY {keys} ORDER BY day) AS prev,
               lag(day, 2) OVER (PARTITION BY {keys} ORDER BY day) AS prev2
        FROM (SELECT DISTINCT {keys}, day FROM mx_orders WHERE is_purchase) AS d
    """


def repurchase_rate(w: Window, slice_name: str) -> str:
    """DOMAIN.md 复购率: of persons who bought in the period, the share with ≥ 2 orders (same-day orders count once).

    Over each person's ordered distinct order days: their first day in a period makes them a buyer of it (the
    day before is in an earlier period, or none), their second makes them a repurchaser.
    """
    b, p1, p2 = w.bucket("d.day"), w.bucket("d.prev"), w.bucket("d.prev2")
    first = f"d.prev IS NULL OR {p1} IS NULL OR {p1} <> {b}"
    second = f"{p1} = {b} AND (d.prev2 IS NULL OR {p2} IS NULL OR {p2} <> {b})"
    table, sv = ("mx_buy_days", "'all'") if slice_name == "all" else ("mx_channel_buy_days", "d.channel")
    return _ratio(f"""
        SELECT {b} AS period, {sv} AS slice_value, CASE WHEN {second} THEN 1 ELSE 0 END AS num,
               CASE WHEN {first} THEN 1 ELSE 0 END AS den
        FROM {table} AS d WHERE {w.within('d.day')}
    """)


def average_order_value(w: Window, slice_name: str) -> str:
    """DOMAIN.md 客单价: net paid ÷ orders, over purchases (a fully refunded order is not one)."""
    return _ratio(f"""
        SELECT {w.bucket('o.day')} AS period, {ORDER_SLICES[slice_name]} AS slice_value, o.net AS num, 1 AS den
        FROM mx_orders AS o WHERE o.is_purchase
    """)


def contribution(w: Window, slice_name: str) -> str:
    """DOMAIN.md: net sales (all channels) of persons in the private domain when they ordered ÷ total net sales."""
    return _ratio(f"""
        SELECT {w.bucket('o.day')} AS period, {ORDER_SLICES[slice_name]} AS slice_value,
               CASE WHEN o.in_domain THEN o.net ELSE 0 END AS num, o.net AS den
        FROM mx_orders AS o
    """)


def feed_back(w: Window, slice_name: str) -> str:
    """DOMAIN.md 反哺: public-platform net sales by persons after they first joined the private domain."""
    return _ratio(f"""
        SELECT {w.bucket('o.day')} AS period, {ORDER_SLICES[slice_name]} AS slice_value, o.net AS num,
               CAST(NULL AS DOUBLE) AS den
        FROM mx_orders AS o WHERE o.is_public AND o.after_join
    """)


def core_key(w: Window, core_share: float) -> str:
    """The key of the core customers of the window `w` in `mx_core` (rows added by `core_sql`)."""
    return f"{w.start:%Y%m%d}-{w.end:%Y%m%d}-{core_share!r}"


def buyers_sql(w: Window) -> str:
    """The number of buyers in the window (the core tier is a share of them)."""
    return f"SELECT count(DISTINCT person_id) FROM mx_orders WHERE is_purchase AND {w.within('day')}"


def core_sql(w: Window, core_share: float, buyers: int) -> str:
    """Core customers: the top `core_share` of the window's `buyers` by net sales over the whole window (ties by
    person). A top-N (ORDER BY … LIMIT), not a ranking window over every buyer."""
    top = math.ceil(buyers * core_share)
    return f"""
        SELECT {literal(core_key(w, core_share))} AS window_key, person_id FROM (
            SELECT person_id, sum(net) AS net FROM mx_orders WHERE {w.within('day')} GROUP BY person_id
        ) AS spend ORDER BY net DESC, person_id LIMIT {top}
    """


def core_return_rate(w: Window, slice_name: str, core_share: float) -> str:
    """DOMAIN.md: refunded ÷ paid for the top value tier, here the top `core_share` of buyers by net sales in the
    whole window (one fixed set, so a trend shows service improving, not the tier changing). The set is built
    once per window (`core_sql`, kept in `mx_core`), not per grain and slice."""
    return _ratio(f"""
        SELECT {w.bucket('o.day')} AS period, {ORDER_SLICES[slice_name]} AS slice_value, o.refund AS num,
               o.paid AS den
        FROM mx_orders AS o JOIN mx_core AS c ON c.window_key = {literal(core_key(w, core_share))}
             AND c.person_id = o.person_id
    """)
