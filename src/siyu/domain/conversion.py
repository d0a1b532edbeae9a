"""First-order conversion of new friends (DOMAIN.md "first-order conversion"): a person's first WeCom friendship
ever makes them a new friend of that staff member (a re-add, or a friend of a second staff member, is none); they
converted when their first paid order after the add came within the window (`[metrics] conversion_days`); a friend
counts once the window has ended by the day asked (matured). The metrics (per staff, store, source and day) and
the guides' leaderboard both read the rule from here, over their own relations of friendships and paid orders.
"""

from __future__ import annotations

import datetime as dt

from siyu.engine.quote import literal


def first_friendships_sql(friendships: str) -> str:
    """Each person's first friendship ever among `friendships` (a SELECT with person_id, staff_id, added_at; its
    other columns are kept, plus `rn`)."""
    return f"""
        SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY person_id ORDER BY added_at, staff_id) AS rn
                       FROM ({friendships}) AS c) AS c WHERE rn = 1
    """


def first_order_after_sql(firsts: str, paid: str) -> str:
    """(person_id, first_order_at): each new friend's first paid order after the add. `firsts` and `paid` name
    relations (a table or a CTE) with person_id, added_at and person_id, ts."""
    return f"""
        SELECT f.person_id, min(o.ts) AS first_order_at
        FROM {firsts} AS f JOIN {paid} AS o ON o.person_id = f.person_id AND o.ts > f.added_at
        GROUP BY f.person_id
    """


def converted_sql(added_at: str, first_order_at: str, days: int) -> str:
    """SQL: the first order after the add came within `days` (false without one)."""
    return f"coalesce({first_order_at} <= {added_at} + INTERVAL {int(days)} DAY, false)"


def matured_sql(added_at: str, days: int, stop: dt.date) -> str:
    """SQL: the friend's window of `days` has ended by the start of `stop` (the day after the last day asked)."""
    return f"{added_at} + INTERVAL {int(days)} DAY <= {literal(dt.datetime.combine(stop, dt.time()))}"
