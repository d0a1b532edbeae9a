"""KOC candidates: persons whose purchases and private-domain activity over the window pass the `[koc]` rule,
each with the evidence (purchases, net spend, 1:1 messages, group speech, groups they are in) people judge by.
Purchase and net come from siyu.domain; group membership is siyu.domain.private's."""

from __future__ import annotations

import datetime as dt
from typing import Any

from siyu.domain.orders import purchase_sql
from siyu.domain.persons import person_sql
from siyu.domain.private import covers_end_of, membership_intervals_sql
from siyu.engine import Engine
from siyu.engine.quote import literal
from siyu.errors import UserError
from siyu.guides.periods import check_day
from siyu.guides.persons import person_map_sql
from siyu.koc.settings import KocSettings


def members_sql(engine: Engine, day: dt.date) -> str:
    """(group_id, person_id) of every group member at the end of `day`: a membership interval of siyu.domain.private
    covers it (a member's intervals in a group never overlap, so one row per member and group)."""
    return f"""
        SELECT m.group_id, {person_sql("'wecom'", 'm.member_id', 'pm.person_id')} AS person_id
        FROM ({membership_intervals_sql()}) AS m
        LEFT JOIN ({person_map_sql(engine)}) AS pm ON pm.channel = 'wecom' AND pm.channel_uid = m.member_id
        WHERE {covers_end_of(day, 'm.start_at', 'm.end_at')}
    """


def candidates_sql(engine: Engine, cfg: KocSettings, as_of: dt.date) -> str:
    check_day(as_of, "as_of")
    d0 = as_of - dt.timedelta(days=cfg.window_days - 1)
    start, stop = dt.datetime.combine(d0, dt.time()), dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time())
    pm = person_map_sql(engine)
    return f"""
        WITH buys AS (
            SELECT {person_sql('o.channel', 'o.channel_uid', 'pm.person_id')} AS person_id,
                   count(*) AS purchases, CAST(sum(o.net_amount) AS DECIMAL(18,2)) AS spend
            FROM orders AS o LEFT JOIN ({pm}) AS pm ON pm.channel = o.channel AND pm.channel_uid = o.channel_uid
            WHERE {purchase_sql('o')} AND o.order_date BETWEEN {literal(d0)} AND {literal(as_of)}
            GROUP BY 1
        ),
        talk AS (
            SELECT {person_sql("'wecom'", 'm.customer_id', 'pm.person_id')} AS person_id,
                   count(*) FILTER (WHERE m.kind = '1v1') AS chat_messages,
                   count(*) FILTER (WHERE m.kind = 'group') AS group_messages
            FROM messages AS m LEFT JOIN ({pm}) AS pm ON pm.channel = 'wecom' AND pm.channel_uid = m.customer_id
            WHERE m.sender_type = 'customer' AND m.customer_id IS NOT NULL
              AND m.sent_at >= {literal(start)} AND m.sent_at < {literal(stop)}
            GROUP BY 1
        ),
        grp AS (SELECT person_id, count(DISTINCT group_id) AS groups FROM ({members_sql(engine, as_of)}) AS g
                GROUP BY person_id)
        SELECT b.person_id, b.purchases, b.spend, coalesce(t.chat_messages, 0) AS chat_messages,
               coalesce(t.group_messages, 0) AS group_messages, coalesce(g.groups, 0) AS groups
        FROM buys AS b LEFT JOIN talk AS t ON t.person_id = b.person_id LEFT JOIN grp AS g ON g.person_id = b.person_id
        WHERE b.purchases >= {int(cfg.min_orders)} AND b.spend >= {literal(cfg.min_spend)}
          AND coalesce(t.chat_messages, 0) + coalesce(t.group_messages, 0) >= {int(cfg.min_messages)}
        ORDER BY b.spend DESC, b.person_id
    """


def candidates(engine: Engine, cfg: KocSettings, as_of: dt.date) -> list[dict[str, Any]]:
    """Every person passing the rule on `as_of`, with their evidence, biggest spenders first."""
    if not engine.table_exists("group_events"):
        raise UserError("the warehouse has no group_events table: run `siyu run` first")
    return engine.query(candidates_sql(engine, cfg, as_of)).to_pylist()
