"""The `loyalty` step of `siyu run`: after OneID, carry this warehouse's identity merges into the ledger, post
what every identified buyer's orders earn, release what is due, expire what is past, evaluate tiers, and write
`loyalty_facts` back to the warehouse (siyu.loyalty.export) for the segment, tag and metrics steps after it.
Data crosses from the warehouse as Arrow; the ledger is written only through siyu.loyalty. Running it again posts
nothing new.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from pathlib import Path

import pyarrow as pa
import sqlalchemy as sa

from siyu.config.settings import Settings
from siyu.domain.orders import paid_sql
from siyu.engine import Engine
from siyu.engine.quote import ident, literal_list
from siyu.loyalty import coupons, earning, lots, merges, tiers
from siyu.loyalty.export import ensure_facts, export_facts
from siyu.loyalty.orders import rows_from_arrow
from siyu.loyalty.rules import LoyaltySettings, loyalty_settings
from siyu.store import open_store, store_url


def open_ledger(engine: Engine, settings: Settings) -> sa.Engine:
    """The operational store of this warehouse (`[store] url`, else the SQLite file beside it), migrated."""
    path = getattr(engine, "path", None)
    warehouse = Path(path) if path and str(path) != ":memory:" else settings.path(settings.warehouse)
    return open_store(store_url(settings, warehouse))


def orders_sql(rules: LoyaltySettings) -> str:
    """Paid orders of identified buyers, money in fen, with the amount of excluded items (if any are set)."""
    excluded = []
    if rules.excluded_categories:
        excluded.append(f"i.category IN {literal_list(rules.excluded_categories)}")
    if rules.excluded_skus:
        excluded.append(f"i.sku IN {literal_list(rules.excluded_skus)}")
    items = (f"""LEFT JOIN (SELECT channel, order_id, sum(amount) AS amount FROM order_items AS i
                 WHERE {' OR '.join(excluded)} GROUP BY channel, order_id) AS x
                 ON x.channel = o.channel AND x.order_id = o.order_id""" if excluded else "")
    excluded_fen = "CAST(round(coalesce(x.amount, 0) * 100) AS BIGINT)" if excluded else "CAST(0 AS BIGINT)"
    return f"""
        SELECT m.person_id, o.channel, o.order_id, CAST(NULL AS BIGINT) AS version, o.status,
               CAST(round(o.net_amount * 100) AS BIGINT) AS net_fen, o.order_date AS paid_on,
               {excluded_fen} AS excluded_fen
        FROM orders AS o JOIN person_map AS m ON m.channel = o.channel AND m.channel_uid = o.channel_uid
        {items}
        WHERE {paid_sql("o")}
        ORDER BY m.person_id, o.channel, o.order_id
    """


def run_loyalty(engine: Engine, settings: Settings, as_of: dt.date | None = None) -> tuple[int, int, str]:
    """Merges, then orders, then releases and expiry; returns (orders read, postings made, detail). A brand
    without a `[loyalty]` table in siyu.toml runs no member programme: nothing is read or written."""
    if "loyalty" not in settings.sections:
        ensure_facts(engine)
        return 0, 0, "no [loyalty] table in siyu.toml: no member programme"
    rules = loyalty_settings(settings)
    as_of = as_of or dt.datetime.now(zoneinfo.ZoneInfo(settings.brand.timezone)).date()
    store = open_ledger(engine, settings)
    try:
        merged = 0
        for e in engine.query(f"SELECT person_id, event, other_id, run_id FROM person_history "
                              f"WHERE event IN ('merged', 'split') "
                              f"ORDER BY {ident('at')}, person_id, other_id").to_pylist():
            if e["event"] == "merged":  # other_id merged into person_id
                merged += bool(merges.merge(store, e["other_id"], e["person_id"], f"{e['run_id']}:{e['other_id']}"))
            else:  # person_id split off other_id: its orders follow below; manual entries stay, flagged
                merges.flag_split(store, e["other_id"], str(e["run_id"]))
        orders = engine.query(orders_sql(rules))
        result = earning.sync(store, orders, rules, as_of)
        tiered = evaluate_tiers(store, orders, rules, as_of)
        expired = lots.expire(store, as_of)
        coupons.expire(store)
        export_facts(engine, store, as_of, dt.datetime.now(dt.UTC))
    finally:
        store.dispose()
    posted = sum(result.postings.values()) + expired + merged
    detail = ", ".join(f"{k} {v:,}" for k, v in sorted(result.postings.items())) or "nothing new"
    return orders.num_rows, posted, f"{detail}; merges {merged}, expiries {expired}, tier changes {tiered}"


def evaluate_tiers(store: sa.Engine, orders: pa.Table, rules: LoyaltySettings, as_of: dt.date) -> int:
    """Tiers from the rolling spend of the orders just posted: an upgrade at once, a downgrade only on an
    evaluation day after the grace period. After earning, so the order that lifts a member earns at the tier
    they held when placing it. Returns the members whose tier changed (none without `[loyalty] tiers`)."""
    if not rules.tiers:
        return 0
    spend = tiers.rolling_spend(rows_from_arrow(orders), as_of, rules.tier_window_days)
    return len(tiers.evaluate(store, spend, rules, as_of, evaluation_day=rules.is_evaluation_day(as_of)))
