"""The `loyalty` step of `siyu run`: after OneID, carry this warehouse's identity merges into the ledger, post
what every identified buyer's orders earn, release what is due, expire what is past, evaluate tiers, and write
`loyalty_facts` back to the warehouse (siyu.loyalty.export) for the segment, tag and metrics steps after it.
Data crosses from the warehouse as Arrow; the ledger is written only through siyu.loyalty. Running it again posts
nothing new.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import sqlalchemy as sa

from siyu.config.settings import Settings
from siyu.domain.orders import paid_sql, purchase_sql
from siyu.engine import Engine
from siyu.engine.quote import ident, literal, literal_list
from siyu.loyalty import coupons, earning, lots, marks, merges, tiers
from siyu.loyalty.export import ensure_facts, export_facts
from siyu.loyalty.marks import Mark, rules_digest
from siyu.loyalty.rules import LoyaltySettings, loyalty_settings
from siyu.store import open_store, run_warehouse, store_url


def open_ledger(engine: Engine, settings: Settings) -> sa.Engine:
    """The operational store of this warehouse (`[store] url`, else the SQLite file beside it), migrated."""
    return open_store(store_url(settings, run_warehouse(engine, settings)))


def orders_sql(rules: LoyaltySettings, since: Mark | None = None) -> str:
    """Paid orders of identified buyers, money in fen, with the amount of excluded items (if any are set).
    `since`: only orders imported again after its marks (a refund or status change arrives as a new raw
    row) and every order of a person OneID touched since (merged, split or created), so points follow them."""
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
        WHERE {paid_sql("o")}{_changed_since(rules, since)}
        ORDER BY m.person_id, o.channel, o.order_id
    """


def _changed_since(rules: LoyaltySettings, since: Mark | None) -> str:
    if since is None:
        return ""
    raw = ["raw_order"] + (["raw_order_item"] if rules.excluded_categories or rules.excluded_skus else [])
    imported = " UNION ".join(f"SELECT channel, order_id FROM {t} WHERE _ingested_at > {literal(since.ingested_at)}"
                              for t in raw) if since.ingested_at else "SELECT channel, order_id FROM orders"
    touched = (f"""SELECT person_id FROM person_history WHERE {ident('at')} > {literal(since.identity_at)}
                   UNION SELECT other_id FROM person_history
                   WHERE {ident('at')} > {literal(since.identity_at)} AND other_id IS NOT NULL"""
               if since.identity_at else "SELECT person_id FROM person_map")
    return f"""
          AND ((o.channel, o.order_id) IN (SELECT channel, order_id FROM ({imported}) AS c)
               OR m.person_id IN (SELECT person_id FROM ({touched}) AS t))"""


def spend_sql(as_of: dt.date, window_days: int) -> str:
    """Net spend in fen per identified person over the window ending on `as_of`, purchases only: the one home of
    the tier spend rule, summed where the orders are."""
    start = as_of - dt.timedelta(days=window_days)
    return f"""
        SELECT m.person_id, CAST(sum(round(o.net_amount * 100)) AS BIGINT) AS spend_fen
        FROM orders AS o JOIN person_map AS m ON m.channel = o.channel AND m.channel_uid = o.channel_uid
        WHERE {purchase_sql("o")} AND o.order_date > {literal(start)} AND o.order_date <= {literal(as_of)}
        GROUP BY m.person_id
    """


def read_marks(engine: Engine, rules: LoyaltySettings) -> Mark:
    """The newest import and OneID event in the warehouse now (read before the orders, so anything arriving
    during the run is after it and read next time)."""
    ingested = [engine.scalar(f"SELECT max(_ingested_at) FROM {t}") for t in ("raw_order", "raw_order_item")
                if engine.table_exists(t)]
    identity = (engine.scalar(f"SELECT max({ident('at')}) FROM person_history")
                if engine.table_exists("person_history") else None)
    return Mark(max((i for i in ingested if i is not None), default=None), identity, rules_digest(rules))


def changes_since(engine: Engine, rules: LoyaltySettings, last: Mark | None) -> Mark | None:
    """What the run may read from: the last mark, or None (read everything) on the first run, after a change of
    the rules, or when the warehouse has no raw orders to date changes by."""
    if (last is None or last.rules != rules_digest(rules) or last.ingested_at is None
            or not engine.table_exists("raw_order")):
        return None
    return last


def run_loyalty(engine: Engine, settings: Settings, as_of: dt.date | None = None, *,
                full_facts: bool = False) -> tuple[int, int, str]:
    """Merges, then orders changed since the last run, then releases and expiry, then the facts of the members
    touched (every member's on the first run over this store, or with `full_facts`); returns (orders read,
    postings made, detail). A brand without a `[loyalty]` table in siyu.toml runs no member programme: nothing is
    read or written."""
    if "loyalty" not in settings.sections:
        ensure_facts(engine)
        return 0, 0, "no [loyalty] table in siyu.toml: no member programme"
    rules = loyalty_settings(settings)
    as_of = as_of or settings.brand.today()
    store = open_ledger(engine, settings)
    try:
        now_mark = read_marks(engine, rules)
        last = marks.read(store)
        since = changes_since(engine, rules, last)
        events = ("" if since is None or since.identity_at is None
                  else f"AND {ident('at')} > {literal(since.identity_at)} ")
        merged = 0
        for e in engine.query(f"SELECT person_id, event, other_id, run_id FROM person_history "
                              f"WHERE event IN ('merged', 'split') {events}"
                              f"ORDER BY {ident('at')}, person_id, other_id").to_pylist():
            if e["event"] == "merged":  # other_id merged into person_id
                merged += bool(merges.merge(store, e["other_id"], e["person_id"], f"{e['run_id']}:{e['other_id']}"))
            else:  # person_id split off other_id: its orders follow below; manual entries stay, flagged
                merges.flag_split(store, e["other_id"], str(e["run_id"]))
        orders = engine.query(orders_sql(rules, since))
        result = earning.sync(store, orders, rules, as_of)
        tiered = evaluate_spend(store, engine, orders, rules, as_of) if rules.tiers else 0
        at = dt.datetime.now(dt.UTC)  # coupons expire and are exported at one moment: none lapses in between
        expired = lots.expire(store, as_of)
        coupons.expire(store, at)
        exported = export_facts(engine, store, as_of, at, full=full_facts or last is None)
        marks.advance(store, now_mark)
    finally:
        store.dispose()
    posted = sum(result.postings.values()) + expired + merged
    detail = ", ".join(f"{k} {v:,}" for k, v in sorted(result.postings.items())) or "nothing new"
    read = "all orders" if since is None else "orders changed since the last run"
    facts = f"facts of {'every member' if exported.full else 'members changed'} ({exported.members:,})"
    return (orders.num_rows, posted,
            f"{detail}; merges {merged}, expiries {expired}, tier changes {tiered}; {read}; {facts}")


def evaluate_spend(store: sa.Engine, engine: Engine, orders: pa.Table, rules: LoyaltySettings,
                   as_of: dt.date) -> int:
    """Tiers from rolling spend summed in the warehouse: every member on an evaluation day (downgrades), else
    only the members whose orders were just read (an upgrade needs an order; absent members keep their tier)."""
    spend = {r["person_id"]: int(r["spend_fen"] or 0)
             for r in engine.query(spend_sql(as_of, rules.tier_window_days)).to_pylist()}
    evaluation_day = rules.is_evaluation_day(as_of)
    if not evaluation_day:
        buyers = set(orders.column("person_id").to_pylist())
        spend = {p: v for p, v in spend.items() if p in buyers}
    return len(tiers.evaluate(store, spend, rules, as_of, evaluation_day=evaluation_day))
