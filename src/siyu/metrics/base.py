"""The metric base tables (`mx_*`): clean tables joined to persons once, so each metric is a short query.

Persons come from OneID's `person_map`; an identity it does not map (or every identity, when OneID has not
run) falls back to `channel:channel_uid`. On that fallback a WeCom friend and their Tmall orders are two
"persons", so first-order conversion, contribution and feed-back undercount (docs/metrics.md).

Private-domain membership is kept as *spells*: the intervals a person is reachable (siyu.domain.private: a WeCom
friendship not removed, or a group membership), merged per person so overlapping friendships with several staff
count once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from siyu.domain.conversion import converted_sql, first_friendships_sql, first_order_after_sql, matured_sql
from siyu.domain.orders import paid_sql, purchase_sql
from siyu.domain.private import friendship_intervals_sql
from siyu.engine import Engine
from siyu.engine.quote import literal_list
from siyu.errors import UserError
from siyu.metrics.chats import chat_sql, replies_sql, script_sql
from siyu.metrics.flows import buy_days_sql
from siyu.metrics.settings import MetricsConfig
from siyu.metrics.spells import (
    active_spells_sql,
    active_sql,
    add_source_spells_sql,
    holder_spells_sql,
    person,
    pm_join,
    spells_sql,
    wecom,
)

BASE_TABLES = ("mx_person_map", "mx_orders", "mx_contacts", "mx_friends", "mx_spells", "mx_joined",
               "mx_active", "mx_topups", "mx_active_spells", "mx_holder_spells", "mx_chat", "mx_replies",
               "mx_script", "mx_core", "mx_buy_days", "mx_channel_buy_days")


@dataclass(frozen=True)
class Base:
    """What the base tables cover: the first and last day with data (`as_of`, unless configured)."""

    first_day: dt.date
    as_of: dt.date
    person_map: bool


def _orders_sql(public: list[str]) -> str:
    """Paid orders (refunded ones included) with their person, whether each is a purchase (docs/definitions.md:
    sales and refunds count paid orders, repurchase and order value count purchases), and once for all metrics:
    was the buyer in the private domain when ordering (a spell covers the order time; spells are disjoint, so at
    most one matches) and had they joined it by then (for the sales fed back to public platforms)."""
    return f"""
        SELECT o.*, s.person_id IS NOT NULL AS in_domain, coalesce(o.ts >= j.joined_at, false) AS after_join
        FROM (
            SELECT o.channel, {person('o.channel', 'o.channel_uid')} AS person_id,
                   coalesce(o.paid_at, o.created_at) AS ts, o.order_date AS day,
                   CAST(o.amount_paid AS DOUBLE) AS paid, CAST(o.refund_amount AS DOUBLE) AS refund,
                   CAST(o.net_amount AS DOUBLE) AS net, coalesce(o.staff_id, o.share_staff_id) AS staff_id,
                   o.store_id, o.channel IN {literal_list(public)} AS is_public, {purchase_sql('o')} AS is_purchase
            FROM orders AS o {pm_join('o.channel', 'o.channel_uid')}
            WHERE {paid_sql('o')} AND o.channel_uid IS NOT NULL
        ) AS o
        LEFT JOIN mx_spells AS s ON s.slice = 'all' AND s.person_id = o.person_id AND s.start_at <= o.ts
             AND (s.end_at IS NULL OR s.end_at > o.ts)
        LEFT JOIN mx_joined AS j ON j.person_id = o.person_id
    """


def _contacts_sql() -> str:
    """Every friendship with its person, staff member and store, and its reach interval (siyu.domain.private)."""
    join, who = wecom("c.external_userid")
    return f"""
        SELECT {who} AS person_id, c.staff_id, s.store_id, c.added_at, c.removed_at,
               coalesce(c.add_source, 'other') AS add_source, c.state, c.start_at, c.end_at
        FROM ({friendship_intervals_sql()}) AS c {join} LEFT JOIN staff AS s ON s.staff_id = c.staff_id
    """


def _friends_sql(days: int, stop: dt.date) -> str:
    """First friendship of each person and its conversion (siyu.domain.conversion)."""
    return f"""
        WITH firsts AS ({first_friendships_sql("SELECT * FROM mx_contacts")}),
        cards AS (SELECT card_code, min(channel) AS channel FROM parcels
                  WHERE card_code IS NOT NULL GROUP BY card_code),
        after AS ({first_order_after_sql("firsts", "mx_orders")}),
        first_net AS (
            SELECT a.person_id, a.first_order_at, sum(o.net) AS first_order_net
            FROM after AS a JOIN mx_orders AS o ON o.person_id = a.person_id AND o.ts = a.first_order_at
            GROUP BY a.person_id, a.first_order_at
        )
        SELECT f.person_id, f.staff_id, f.store_id, f.add_source, k.channel, f.added_at,
               CAST(f.added_at AS DATE) AS day,
               {matured_sql("f.added_at", days, stop)} AS matured,
               {converted_sql("f.added_at", "a.first_order_at", days)} AS converted,
               a.first_order_at, a.first_order_net
        FROM firsts AS f LEFT JOIN cards AS k ON k.card_code = f.state
        LEFT JOIN first_net AS a ON a.person_id = f.person_id
    """


def _topups_sql(ledger: bool) -> str:
    """Each holder's first top-up: in the channels' stored-value exports, or (`ledger`) in the member ledger's
    top-ups that the loyalty step wrote to `loyalty_facts`, whichever came first."""
    exported = f"""
        SELECT {person('v.channel', 'v.channel_uid')} AS person_id, min(v.txn_at) AS first_topup_at
        FROM stored_value AS v {pm_join('v.channel', 'v.channel_uid')}
        WHERE v.kind = 'topup' AND v.channel_uid IS NOT NULL GROUP BY 1
    """
    if not ledger:
        return exported
    return f"""
        SELECT person_id, min(first_topup_at) AS first_topup_at FROM (
            {exported}
            UNION ALL
            SELECT person_id, since FROM loyalty_facts WHERE kind = 'stored_value' AND since IS NOT NULL
        ) AS t GROUP BY person_id
    """


CORE_EMPTY = ("SELECT CAST(NULL AS VARCHAR) AS window_key, CAST(NULL AS VARCHAR) AS person_id "
              "FROM (SELECT 1 AS x) AS t WHERE x = 0")  # core customers per window, filled by compute()


def _empty_map_sql() -> str:
    return ("SELECT CAST(NULL AS VARCHAR) AS channel, CAST(NULL AS VARCHAR) AS channel_uid, "
            "CAST(NULL AS VARCHAR) AS person_id FROM (SELECT 1 AS x) AS t WHERE x = 0")


REQUIRED = ("orders", "contacts", "group_events", "messages", "parcels", "coupons", "stored_value", "staff")


def data_days(engine: Engine) -> tuple[dt.date, dt.date] | None:
    """The first and last day anything happened (orders, friendships, messages); None for an empty warehouse."""
    row = engine.query("""
        SELECT min(d0) AS d0, max(d1) AS d1 FROM (
            SELECT min(order_date) AS d0, max(order_date) AS d1 FROM orders
            UNION ALL SELECT CAST(min(added_at) AS DATE), CAST(max(added_at) AS DATE) FROM contacts
            UNION ALL SELECT CAST(min(sent_at) AS DATE), CAST(max(sent_at) AS DATE) FROM messages
        ) AS d
    """).to_pylist()[0]
    if row["d0"] is None:
        return None
    return row["d0"], row["d1"]


def build_base(engine: Engine, cfg: MetricsConfig) -> Base:
    """(Re)build the mx_* tables; a clear error when the clean tables are missing."""
    missing = [t for t in REQUIRED if not engine.table_exists(t)]
    if missing:
        raise UserError(f"no {', '.join(missing)} table(s): run `siyu run` (the normalise step) first")
    days = data_days(engine)
    if days is None:
        raise UserError("no data: the warehouse has no orders, friends or messages yet (`siyu import` first)")
    as_of = cfg.settings.as_of or days[1]
    has_map = engine.table_exists("person_map") and engine.row_count("person_map") > 0
    stop = as_of + dt.timedelta(days=1)
    steps = [
        ("mx_person_map", "SELECT channel, channel_uid, person_id FROM person_map" if has_map else _empty_map_sql()),
        ("mx_contacts", _contacts_sql()),
        ("mx_spells", spells_sql()),
        ("mx_joined", "SELECT person_id, min(start_at) AS joined_at, CAST(min(start_at) AS DATE) AS joined_day "
                      "FROM mx_spells WHERE slice = 'all' GROUP BY person_id"),
        ("mx_orders", _orders_sql(cfg.public)),
        ("mx_friends", _friends_sql(cfg.settings.conversion_days, stop)),
    ]
    # scratch tables: TEMPORARY on DuckDB (not compressed into the warehouse file: 3x faster at 1M persons)
    for name, sql in steps:
        engine.create_temp_table_as(name, sql)
    engine.insert_select("mx_spells", add_source_spells_sql())
    topups = _topups_sql(engine.table_exists("loyalty_facts"))
    for name, sql in [("mx_active", active_sql(cfg.settings.activity_days)), ("mx_topups", topups),
                      ("mx_active_spells", active_spells_sql()), ("mx_holder_spells", holder_spells_sql()),
                      ("mx_chat", chat_sql()), ("mx_replies", replies_sql()), ("mx_script", script_sql()),
                      ("mx_core", CORE_EMPTY), ("mx_buy_days", buy_days_sql(False)),
                      ("mx_channel_buy_days", f"SELECT * FROM ({buy_days_sql(True)}) AS d WHERE 1 = 0")]:
        engine.create_temp_table_as(name, sql)
    engine.drop_table("mx_chat")
    return Base(days[0], as_of, has_map)


def drop_base(engine: Engine) -> None:
    """Drop the scratch tables: they are inputs to results, not results."""
    from siyu.metrics.periods import PERIODS_TABLE

    for name in (*BASE_TABLES, PERIODS_TABLE):
        engine.drop_table(name)
