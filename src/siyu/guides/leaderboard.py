"""The guide leaderboard of a period: friends added, first-order conversion of the guide's new friends (the
DOMAIN.md metric, as `metric_staff_conversion` counts it), repurchase among the guide's attributed buyers, and
attributed net sales (ranked by sales)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from siyu.domain.conversion import converted_sql, first_friendships_sql, first_order_after_sql, matured_sql
from siyu.domain.orders import paid_sql, purchase_sql
from siyu.domain.persons import person_sql
from siyu.domain.private import friendship_intervals_sql
from siyu.engine import Engine
from siyu.engine.quote import literal
from siyu.guides.attribution import TABLE, attribute
from siyu.guides.persons import person_map_sql
from siyu.guides.settings import GuideSettings
from siyu.metrics.base import data_days
from siyu.metrics.settings import MetricsSettings


def leaderboard_sql(engine: Engine, d0: dt.date, d1: dt.date, table: str = TABLE, conversion_days: int = 7,
                    as_of: dt.date | None = None) -> str:
    """- friends_added: WeCom adds by the guide in the period;
    - first_order_conversion: DOMAIN.md's metric per guide (siyu.domain.conversion, as the metrics count it) of
      the guide's new friends of the period; friends whose window has not ended by `as_of` (the last day with
      data) are not counted yet;
    - repurchase: of the persons whose orders were attributed to the guide, the share who had bought before;
    - attributed_sales: net of the guide's attributed orders."""
    pm = person_map_sql(engine)
    start, stop = literal(dt.datetime.combine(d0, dt.time())), literal(dt.datetime.combine(d1 + dt.timedelta(days=1),
                                                                                            dt.time()))
    matured, days = (as_of or d1) + dt.timedelta(days=1), int(conversion_days)
    friendships = f"""
        SELECT c.staff_id, {person_sql("'wecom'", 'c.external_userid', 'pm.person_id')} AS person_id, c.added_at
        FROM ({friendship_intervals_sql()}) AS c LEFT JOIN ({pm}) AS pm
          ON pm.channel = 'wecom' AND pm.channel_uid = c.external_userid
    """
    return f"""
        WITH buys AS (
            SELECT {person_sql('o.channel', 'o.channel_uid', 'pm.person_id')} AS person_id,
                   coalesce(o.paid_at, o.created_at) AS ts
            FROM orders AS o LEFT JOIN ({pm}) AS pm ON pm.channel = o.channel AND pm.channel_uid = o.channel_uid
            WHERE {purchase_sql('o')}
        ),
        paid AS (
            SELECT {person_sql('o.channel', 'o.channel_uid', 'pm.person_id')} AS person_id,
                   coalesce(o.paid_at, o.created_at) AS ts
            FROM orders AS o LEFT JOIN ({pm}) AS pm ON pm.channel = o.channel AND pm.channel_uid = o.channel_uid
            WHERE {paid_sql('o')} AND o.channel_uid IS NOT NULL
        ),
        added AS (
            SELECT c.staff_id AS guide_id, count(*) AS friends_added
            FROM contacts AS c
            WHERE c.added_at >= {start} AND c.added_at < {stop} AND c.staff_id IS NOT NULL
            GROUP BY c.staff_id
        ),
        firsts AS (
            SELECT staff_id AS guide_id, person_id, added_at FROM ({first_friendships_sql(friendships)}) AS f
            WHERE staff_id IS NOT NULL AND added_at >= {start} AND added_at < {stop}
              AND {matured_sql('added_at', days, matured)}
        ),
        after AS ({first_order_after_sql('firsts', 'paid')}),
        conv AS (
            SELECT f.guide_id, count(*) AS new_friends,
                   sum(CASE WHEN {converted_sql('f.added_at', 'a.first_order_at', days)} THEN 1 ELSE 0 END) AS converted
            FROM firsts AS f LEFT JOIN after AS a ON a.person_id = f.person_id GROUP BY f.guide_id
        ),
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
        guides AS (SELECT guide_id FROM added UNION SELECT guide_id FROM conv UNION SELECT guide_id FROM rep
                   UNION SELECT guide_id FROM sales)
        SELECT g.guide_id, coalesce(a.friends_added, 0) AS friends_added,
               CASE WHEN c.new_friends > 0 THEN CAST(c.converted AS DOUBLE) / c.new_friends END
                   AS first_order_conversion,
               CASE WHEN r.buyers > 0 THEN CAST(r.repeat_buyers AS DOUBLE) / r.buyers END AS repurchase,
               coalesce(s.attributed_sales, CAST(0 AS DECIMAL(18,2))) AS attributed_sales
        FROM guides AS g LEFT JOIN added AS a ON a.guide_id = g.guide_id LEFT JOIN conv AS c ON c.guide_id = g.guide_id
        LEFT JOIN rep AS r ON r.guide_id = g.guide_id LEFT JOIN sales AS s ON s.guide_id = g.guide_id
        WHERE g.guide_id IS NOT NULL
        ORDER BY attributed_sales DESC, g.guide_id
    """


def leaderboard(engine: Engine, cfg: GuideSettings, d0: dt.date, d1: dt.date,
                metrics: MetricsSettings | None = None) -> list[dict[str, Any]]:
    """The leaderboard of [d0, d1], attributing the period first; the conversion window and the day friends
    are counted up to come from `[metrics]` (`conversion_days`, `as_of`, else the last day with data)."""
    metrics = metrics or MetricsSettings()
    days = data_days(engine)
    as_of = metrics.as_of or (days[1] if days else d1)
    attribute(engine, cfg, d0, d1)
    return engine.query(leaderboard_sql(engine, d0, d1, conversion_days=metrics.conversion_days,
                                        as_of=as_of)).to_pylist()
