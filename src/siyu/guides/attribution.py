"""Which guide earned which order (issue 14): every paid order of a period, from every channel, attributed to
at most one guide by the strongest rule that matches, with the rule and a reason a guide can check.

- `share`: a mini-program order placed through a share carrying the guide's staff id (`share_staff_id`);
- `till`: a store order rung up by the guide (`staff_id` on a store order);
- `indirect`: an order by a person within `indirect_days` after a 1:1 conversation with the guide (the latest
  conversation before the order wins; a tie goes to the lower staff id, so reruns agree).

Precedence is the order above: direct rules beat indirect ones. Paid, refund and net come from siyu.domain.
"""

from __future__ import annotations

import datetime as dt

from siyu.domain.orders import paid_sql
from siyu.domain.persons import person_sql
from siyu.engine import Engine
from siyu.engine.quote import literal, literal_list
from siyu.guides.periods import check_day
from siyu.guides.persons import person_map_sql
from siyu.guides.settings import DIRECT_RULES, RULES, GuideSettings

TABLE = "guide_attribution"


def _orders_sql(engine: Engine, cfg: GuideSettings, d0: dt.date, d1: dt.date) -> str:
    excluded = f"AND o.channel NOT IN {literal_list(cfg.excluded_channels)}" if cfg.excluded_channels else ""
    return f"""
        SELECT o.channel, o.order_id, o.order_date, coalesce(o.paid_at, o.created_at) AS ts, o.status,
               o.amount_paid, o.refund_amount, o.net_amount, o.refunded_at, o.store_id, o.staff_id,
               o.share_staff_id, {person_sql('o.channel', 'o.channel_uid', 'pm.person_id')} AS person_id
        FROM orders AS o LEFT JOIN ({person_map_sql(engine)}) AS pm
          ON pm.channel = o.channel AND pm.channel_uid = o.channel_uid
        WHERE {paid_sql('o')} AND o.order_date BETWEEN {literal(d0)} AND {literal(d1)} {excluded}
    """


def _chats_sql(engine: Engine, cfg: GuideSettings, d0: dt.date, d1: dt.date) -> str:
    start = dt.datetime.combine(d0 - dt.timedelta(days=cfg.indirect_days), dt.time())
    stop = dt.datetime.combine(d1 + dt.timedelta(days=1), dt.time())
    return f"""
        SELECT m.staff_id, {person_sql("'wecom'", 'm.customer_id', 'pm.person_id')} AS person_id, m.sent_at
        FROM messages AS m LEFT JOIN ({person_map_sql(engine)}) AS pm
          ON pm.channel = 'wecom' AND pm.channel_uid = m.customer_id
        WHERE m.kind = '1v1' AND m.staff_id IS NOT NULL AND m.customer_id IS NOT NULL
          AND m.sent_at >= {literal(start)} AND m.sent_at < {literal(stop)}
    """


def _candidates_sql(cfg: GuideSettings) -> str:
    """Every (order, rule, guide) that matches, with the rule's precedence (1 = strongest)."""
    parts = {
        "share": """SELECT channel, order_id, 'share' AS rule, 1 AS precedence, share_staff_id AS guide_id,
                           'mini-program order through a share by ' || share_staff_id AS reason,
                           CAST(NULL AS TIMESTAMP) AS evidence_at
                    FROM ao WHERE channel = 'miniprogram' AND share_staff_id IS NOT NULL""",
        "till": """SELECT channel, order_id, 'till' AS rule, 2 AS precedence, staff_id AS guide_id,
                          'store order rung up by ' || staff_id || ' at store ' || coalesce(store_id, '?') AS reason,
                          CAST(NULL AS TIMESTAMP) AS evidence_at
                   FROM ao WHERE channel = 'store' AND staff_id IS NOT NULL""",
        "indirect": f"""SELECT ao.channel, ao.order_id, 'indirect' AS rule, 3 AS precedence,
                              c.staff_id AS guide_id,
                              'order within {cfg.indirect_days} days after a 1:1 conversation with ' || c.staff_id
                                  AS reason,
                              max(c.sent_at) AS evidence_at
                       FROM ao JOIN ac AS c ON c.person_id = ao.person_id AND c.sent_at <= ao.ts
                        AND c.sent_at > ao.ts - INTERVAL {int(cfg.indirect_days)} DAY
                       GROUP BY ao.channel, ao.order_id, c.staff_id""",
    }
    return "\nUNION ALL\n".join(parts[r] for r in RULES if r in cfg.rules)


def attribution_sql(engine: Engine, cfg: GuideSettings, d0: dt.date, d1: dt.date) -> str:
    """One row per attributed order of [d0, d1]: the guide, their store, the rule and its reason."""
    check_day(d0, "start")
    check_day(d1, "end")
    if not cfg.rules:
        return ("SELECT * FROM (SELECT CAST(NULL AS VARCHAR) AS channel) AS t WHERE channel IS NOT NULL")
    staff = ("LEFT JOIN staff AS s ON s.staff_id = w.guide_id" if engine.table_exists("staff")
             else "LEFT JOIN (SELECT CAST(NULL AS VARCHAR) AS staff_id, CAST(NULL AS VARCHAR) AS store_id) AS s "
                  "ON s.staff_id = w.guide_id")
    return f"""
        WITH ao AS ({_orders_sql(engine, cfg, d0, d1)}),
        ac AS ({_chats_sql(engine, cfg, d0, d1)}),
        cand AS ({_candidates_sql(cfg)}),
        ranked AS (
            SELECT *, row_number() OVER (PARTITION BY channel, order_id
                                         ORDER BY precedence, evidence_at DESC, guide_id) AS rk
            FROM cand
        ),
        w AS (SELECT * FROM ranked WHERE rk = 1)
        SELECT ao.channel, ao.order_id, ao.order_date, ao.ts AS ordered_at, ao.person_id, w.guide_id,
               coalesce(s.store_id, ao.store_id) AS guide_store_id, w.rule,
               CASE WHEN w.rule IN {literal_list(DIRECT_RULES)} THEN 'direct' ELSE 'indirect' END AS kind,
               w.reason, w.evidence_at, ao.status, ao.amount_paid, ao.refund_amount, ao.net_amount, ao.refunded_at
        FROM w JOIN ao ON ao.channel = w.channel AND ao.order_id = w.order_id
        {staff}
    """


def attribute(engine: Engine, cfg: GuideSettings, d0: dt.date, d1: dt.date, table: str = TABLE, *,
              temp: bool = True) -> int:
    """Write the attribution of [d0, d1] to `table` (replacing it); returns the orders attributed. A temporary
    table by default (a figure's working set, readable on the service's read-only snapshot); `temp=False` keeps
    it in the warehouse for other tools to read."""
    sql = attribution_sql(engine, cfg, d0, d1)
    return engine.create_temp_table_as(table, sql) if temp else engine.create_table_as(table, sql)


def revenue_share(engine: Engine, cfg: GuideSettings, d0: dt.date, d1: dt.date, table: str = TABLE) -> dict[
        str, float]:
    """Net sales of [d0, d1], the part attributed directly and indirectly, and the attributed share (the
    private-domain sales the seed puts at 40%). Reads `table` as `attribute` wrote it for the same period."""
    total = engine.scalar(f"""SELECT CAST(coalesce(sum(o.net_amount), 0) AS DOUBLE) FROM orders AS o
                              WHERE {paid_sql('o')} AND o.order_date BETWEEN {literal(d0)} AND {literal(d1)}""")
    rows = engine.query(f"SELECT kind, CAST(coalesce(sum(net_amount), 0) AS DOUBLE) AS net FROM {table} "
                        "GROUP BY kind").to_pylist()
    by_kind = {r["kind"]: float(r["net"]) for r in rows}
    direct, indirect = by_kind.get("direct", 0.0), by_kind.get("indirect", 0.0)
    total = float(total or 0.0)
    return {"net_sales": total, "direct": direct, "indirect": indirect,
            "share": (direct + indirect) / total if total else 0.0}
