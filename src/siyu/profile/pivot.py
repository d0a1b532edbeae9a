"""Profile columns over a small, known set of values (channels; categories, materials, styles), one column each.

A brand sells on a handful of channels and tags its products with a few dozen attribute values, so
"purchases per channel" and "items per material" fit in one GROUP BY person_key with one filtered sum per
value. That replaces a GROUP BY (person, value) and a second aggregation over millions of rows (3× faster
at a million persons). The profile step lists the values first; above `MAX_VALUES` it falls back to the
generic queries in columns.py. Ties go to the value first by name, as in the generic queries.
"""

from __future__ import annotations

from siyu.engine.quote import literal

MAX_VALUES = 48
"""More distinct values than this (per attribute, or channels) and the generic queries are used instead."""


def _greatest(cols: list[str]) -> str:
    # Spark's greatest() needs two arguments; both engines skip NULLs
    return cols[0] if len(cols) == 1 else f"greatest({', '.join(cols)})"


def _first_where(values: tuple[str, ...], test: str) -> str:
    """The first value (in the given order) whose column `test` holds; `{i}` in test is the value's index."""
    whens = " ".join(f"WHEN {test.format(i=i)} THEN {literal(v)}" for i, v in enumerate(values))
    return f"CASE {whens} END"


def orders_by_channel(year_ago: str, settled: str, private: str, channels: tuple[str, ...]) -> str:
    """The `buys` CTE: every order column of the profile from one GROUP BY person_key over person_orders."""
    per_channel = []
    for i, c in enumerate(channels):
        bought = f"is_purchase AND channel = {literal(c)}"
        per_channel += [f"count(*) FILTER (WHERE {bought}) AS n_{i}",
                        f"sum(net_amount) FILTER (WHERE {bought}) AS net_{i}",
                        f"min(created_at) FILTER (WHERE {bought}) AS first_{i}",
                        f"max(created_at) FILTER (WHERE {bought}) AS last_{i}"]
    counts = [f"n_{i}" for i in range(len(channels))]
    top_net = _greatest([f"CASE WHEN n_{i} = top_n THEN net_{i} END" for i in range(len(channels))])
    mix = ", ".join(f"CASE WHEN n_{i} > 0 THEN {literal(c + ':')} || CAST(n_{i} AS VARCHAR) END"
                    for i, c in enumerate(channels))
    return f"""
        by_channel AS (
            SELECT person_key,
                   min(order_date) FILTER (WHERE is_purchase) AS first_order_date,
                   max(order_date) FILTER (WHERE is_purchase) AS last_order_date,
                   min(created_at) FILTER (WHERE is_purchase) AS first_order_at,
                   max(created_at) FILTER (WHERE is_purchase) AS last_order_at,
                   count(*) FILTER (WHERE is_purchase) AS orders,
                   count(*) FILTER (WHERE is_purchase AND order_date > {year_ago}) AS orders_365d,
                   count(*) FILTER (WHERE is_purchase AND channel IN {private}) AS private_orders,
                   -- money counts every order (net is 0 for pending/closed orders)
                   CAST(sum(net_amount) AS DECIMAL(18,2)) AS net_spend,
                   CAST(coalesce(sum(net_amount) FILTER (WHERE order_date > {year_ago}), 0) AS DECIMAL(18,2))
                       AS net_spend_365d,
                   CAST(coalesce(sum(amount_paid) FILTER (WHERE {settled}), 0) AS DECIMAL(18,2)) AS paid_amount,
                   CAST(coalesce(sum(refund_amount) FILTER (WHERE {settled}), 0) AS DECIMAL(18,2)) AS refund_amount,
                   count(*) FILTER (WHERE {settled} AND refund_amount > 0) AS refunds,
                   {", ".join(per_channel)}
            FROM person_orders GROUP BY person_key
        ),
        top_channel AS (SELECT *, {_greatest(counts)} AS top_n FROM by_channel),
        buys AS (
            SELECT person_key, first_order_date, last_order_date, last_order_at, orders, orders_365d,
                   private_orders, net_spend, net_spend_365d, paid_amount, refund_amount, refunds,
                   {_first_where(channels, "first_{i} = first_order_at")} AS first_channel,
                   {_first_where(channels, "last_{i} = last_order_at")} AS last_channel,
                   nullif(concat_ws(',', {mix}), '') AS channel_mix,
                   {" + ".join(f"CASE WHEN n_{i} > 0 THEN 1 ELSE 0 END" for i in range(len(channels)))}
                       AS n_channels,
                   -- most purchases, then most spend, then the first channel by name
                   CASE WHEN top_n > 0 THEN {_first_where(channels, "n_{i} = top_n AND net_{i} = top_net")} END
                       AS preferred_channel
            FROM (SELECT *, {top_net} AS top_net FROM top_channel) AS t
        )"""


def preferences_by_value(values: dict[str, tuple[str, ...]]) -> str:
    """The `prefs` CTE: items per attribute value as columns of one GROUP BY person_key over person_items."""
    sums, cols = [], []
    for a, vals in values.items():
        sums += [f"sum(coalesce(qty, 1)) FILTER (WHERE {a} = {literal(v)}) AS {a}_{i}" for i, v in enumerate(vals)]
        if not vals:
            cols.append(f"CAST(NULL AS VARCHAR) AS preferred_{a}, CAST(NULL AS DOUBLE) AS preferred_{a}_share")
            continue
        n = [f"coalesce({a}_{i}, 0)" for i in range(len(vals))]
        top = _greatest(n)
        first = _first_where(vals, f"coalesce({a}_{{i}}, 0) = {top}")
        cols.append(f"CASE WHEN {top} > 0 THEN {first} END AS preferred_{a}, "
                    f"CASE WHEN {top} > 0 THEN CAST({top} AS DOUBLE) / ({' + '.join(n)}) END AS preferred_{a}_share")
    inner = f"SELECT person_key, {', '.join(sums)} FROM person_items GROUP BY person_key" if sums else \
        "SELECT DISTINCT person_key FROM person_items"
    return f"""
        prefs AS (
            -- the value with most items (ties: first by name); its share of the items whose attribute is known
            SELECT person_key, {", ".join(cols)} FROM ({inner}) AS s
        )"""
