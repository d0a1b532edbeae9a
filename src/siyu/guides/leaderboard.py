"""The guide leaderboard of a period: friends added, first-order conversion of those friends, repurchase among
the guide's attributed buyers, and attributed net sales (ranked by sales)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from siyu.domain.orders import purchase_sql
from siyu.domain.persons import person_sql
from siyu.engine import Engine
from siyu.engine.quote import literal
from siyu.guides.attribution import TABLE, attribute
from siyu.guides.persons import person_map_sql
from siyu.guides.settings import GuideSettings


def leaderboard_sql(engine: Engine, d0: dt.date, d1: dt.date, table: str = TABLE) -> str:
    """- friends_added: WeCom adds by the guide in the period;
    - first_order_conversion: of those friends, the share with a purchase after the add and by the period's end;
    - repurchase: of the persons whose orders were attributed to the guide, the share who had bought before;
    - attributed_sales: net of the guide's attributed orders."""
    pm = person_map_sql(engine)
    start, stop = literal(dt.datetime.combine(d0, dt.time())), literal(dt.datetime.combine(d1 + dt.timedelta(days=1),
                                                                                            dt.time()))
    return f"""
        WITH buys AS (
            SELECT {person_sql('o.channel', 'o.channel_uid', 'pm.person_id')} AS person_id,
                   coalesce(o.paid_at, o.created_at) AS ts
            FROM orders AS o LEFT JOIN ({pm}) AS pm ON pm.channel = o.channel AND pm.channel_uid = o.channel_uid
            WHERE {purchase_sql('o')}
        ),
        adds AS (
            SELECT c.staff_id AS guide_id, {person_sql("'wecom'", 'c.external_userid', 'pm.person_id')} AS person_id,
                   c.added_at
            FROM contacts AS c LEFT JOIN ({pm}) AS pm ON pm.channel = 'wecom' AND pm.channel_uid = c.external_userid
            WHERE c.added_at >= {start} AND c.added_at < {stop} AND c.staff_id IS NOT NULL
        ),
        conv_rows AS (
            SELECT a.guide_id, a.person_id, a.added_at, max(CASE WHEN b.ts IS NULL THEN 0 ELSE 1 END) AS converted
            FROM adds AS a LEFT JOIN buys AS b ON b.person_id = a.person_id AND b.ts >= a.added_at AND b.ts < {stop}
            GROUP BY a.guide_id, a.person_id, a.added_at
        ),
        conv AS (SELECT guide_id, count(*) AS friends_added, sum(converted) AS converted FROM conv_rows
                 GROUP BY guide_id),
        buyers AS (
            SELECT guide_id, person_id, min(ordered_at) AS first_at FROM {table} GROUP BY guide_id, person_id
        ),
        rep_rows AS (
            SELECT u.guide_id, u.person_id, max(CASE WHEN b.ts IS NULL THEN 0 ELSE 1 END) AS repeat_buyer
            FROM buyers AS u LEFT JOIN buys AS b ON b.person_id = u.person_id AND b.ts < u.first_at
            GROUP BY u.guide_id, u.person_id
        ),
        rep AS (SELECT guide_id, count(*) AS buyers, sum(repeat_buyer) AS repeat_buyers
                FROM rep_rows GROUP BY guide_id),
        sales AS (SELECT guide_id, CAST(sum(net_amount) AS DECIMAL(18,2)) AS attributed_sales
                  FROM {table} GROUP BY guide_id),
        guides AS (SELECT guide_id FROM conv UNION SELECT guide_id FROM rep UNION SELECT guide_id FROM sales)
        SELECT g.guide_id, coalesce(c.friends_added, 0) AS friends_added,
               CASE WHEN c.friends_added > 0 THEN CAST(c.converted AS DOUBLE) / c.friends_added END
                   AS first_order_conversion,
               CASE WHEN r.buyers > 0 THEN CAST(r.repeat_buyers AS DOUBLE) / r.buyers END AS repurchase,
               coalesce(s.attributed_sales, CAST(0 AS DECIMAL(18,2))) AS attributed_sales
        FROM guides AS g LEFT JOIN conv AS c ON c.guide_id = g.guide_id LEFT JOIN rep AS r ON r.guide_id = g.guide_id
        LEFT JOIN sales AS s ON s.guide_id = g.guide_id
        WHERE g.guide_id IS NOT NULL
        ORDER BY attributed_sales DESC, g.guide_id
    """


def leaderboard(engine: Engine, cfg: GuideSettings, d0: dt.date, d1: dt.date) -> list[dict[str, Any]]:
    """The leaderboard of [d0, d1], attributing the period first."""
    attribute(engine, cfg, d0, d1)
    return engine.query(leaderboard_sql(engine, d0, d1)).to_pylist()
