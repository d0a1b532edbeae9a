"""What journeys read from the warehouse: who entered a trigger on which days, and the events that end waits,
exit persons and score outcomes. Every query is SQL over the published tables (person_map, orders, contacts,
messages, group_events, parcels, coupons, person_profile, person_tag_history, and loyalty_facts: the member
ledger's points lots and coupons, written by the loyalty step); values go through engine.quote.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from siyu.domain.orders import purchase_sql
from siyu.domain.private import covers_end_of, friendship_intervals_sql
from siyu.engine import Engine
from siyu.engine.quote import literal, literal_list
from siyu.journeys.definition import Journey
from siyu.segment.language import segment_sql
from siyu.segment.vocabulary import vocabulary

WECOM = "m.channel = 'wecom'"
CHUNK = 5000  # persons per IN list: a day's due persons are read in a few scans, never the whole profile


def _day(col: str) -> str:
    return f"CAST({col} AS DATE)"


def _between(col: str, since: dt.date, until: dt.date) -> str:
    """since exclusive, until inclusive: the days not yet evaluated."""
    return f"{col} > {literal(since)} AND {col} <= {literal(until)}"


def _during(col: str, since: dt.date, until: dt.date) -> str:
    """since and until inclusive: the days a wait or an outcome reads."""
    return f"{col} BETWEEN {literal(since)} AND {literal(until)}"


def _have(engine: Engine, *tables: str) -> bool:
    return all(engine.table_exists(t) for t in tables)


def trigger_sql(engine: Engine, journey: Journey, since: dt.date, until: dt.date) -> str | None:
    """SELECT person_id, entry_key, day: the persons who entered the trigger on a day in (since, until]; None
    when the warehouse lacks the tables it needs (a brand without WeCom exports has no friend adds)."""
    p, kind = journey.params, journey.trigger
    if kind == "friend_added" and _have(engine, "contacts", "person_map"):
        return f"""SELECT m.person_id, 'friend:' || CAST(min({_day('c.added_at')}) AS VARCHAR) AS entry_key,
                          min({_day('c.added_at')}) AS day
                   FROM contacts AS c JOIN person_map AS m ON {WECOM} AND m.channel_uid = c.external_userid
                   WHERE {_between(_day('c.added_at'), since, until)} GROUP BY m.person_id"""
    if kind == "first_order":
        return _first_orders(engine, since, until)
    if kind == "order_delivered" and _have(engine, "parcels", "orders", "person_map"):
        days = int(p.get("days", 3))
        low, high = since + dt.timedelta(days=1 - days), until + dt.timedelta(days=1 - days)
        # shipped in [low, high) on the raw column, so DuckDB skips the row groups of other days
        return f"""SELECT m.person_id, 'order:' || substr(md5(min(o.channel || ':' || o.order_id)), 1, 24) AS entry_key,
                          pc.day
                   FROM (SELECT channel, order_id, {_day('shipped_at')} + {days} AS day FROM parcels
                         WHERE shipped_at >= {literal(dt.datetime.combine(low, dt.time()))}
                         AND shipped_at < {literal(dt.datetime.combine(high, dt.time()))}) AS pc
                   JOIN orders AS o ON o.channel = pc.channel AND o.order_id = pc.order_id
                   JOIN person_map AS m ON m.channel = o.channel AND m.channel_uid = o.channel_uid
                   WHERE {purchase_sql('o')} GROUP BY m.person_id, pc.day"""
    if kind == "coupon_expiring":
        return _union(_channel_coupons(engine, int(p.get("days", 3)), since, until),
                      _ledger_expiring(engine, "coupon", int(p.get("days", 3)), 1, since, until))
    if kind == "points_expiring":
        return _ledger_expiring(engine, "points", int(p.get("days", 30)), int(p.get("at_least", 1)), since, until)
    if kind == "birthday_month" and _have(engine, "person_profile"):
        months = sorted({(since + dt.timedelta(days=d)).replace(day=1)
                         for d in range(1, (until - since).days + 1)})
        firsts = [m for m in months if since < m <= until]  # the month starts within the days evaluated
        if not firsts:
            return None
        parts = [f"SELECT person_id, 'birthday:{m.year}' AS entry_key, {literal(m)} AS day FROM person_profile "
                 f"WHERE birthday_month = {m.month}" for m in firsts]
        return " UNION ALL ".join(parts)
    if kind == "tag_entered" and _have(engine, "person_tag_history"):
        return f"""SELECT person_id, 'tag:' || CAST(started_on AS VARCHAR) AS entry_key, started_on AS day
                   FROM person_tag_history WHERE tag = {literal(str(p['tag']))}
                   AND {_between('started_on', since, until)}"""
    if kind == "past_interval" and _have(engine, "person_profile"):
        due = f"last_order_date + CAST(ceil({float(p.get('factor', 1.0))} * repurchase_interval_days) AS INTEGER)"
        return f"""SELECT person_id, 'interval:' || CAST(last_order_date AS VARCHAR) AS entry_key, {due} AS day
                   FROM person_profile WHERE last_order_date IS NOT NULL AND repurchase_interval_days IS NOT NULL
                   AND {_between(due, since, until)}"""
    if kind == "segment_entered" and "saved" in p:
        return _saved_entered(engine, str(p["saved"]), since, until)
    if kind == "segment_entered" and _have(engine, "person_profile"):
        every = int(p.get("every_days", 90))
        period = (until - dt.date(2000, 1, 1)).days // every
        members = segment_sql(str(p["segment"]), vocabulary(engine))
        return f"SELECT person_id, 'segment:{period}' AS entry_key, {literal(until)} AS day FROM ({members}) AS s"
    return None


def _saved_entered(engine: Engine, segment: str, since: dt.date, until: dt.date) -> str | None:
    """Persons in a saved segment's snapshot (written at each `siyu run`) of a day in (since, until] who were not
    in its snapshot before: who entered it, one entry per person and snapshot day (all members at the first)."""
    if not _have(engine, "segment_snapshot", "segment_member"):
        return None
    name = literal(segment)
    return f"""WITH s AS (
                 SELECT run_id, as_of, lag(run_id) OVER (ORDER BY as_of, snapshot_at) AS previous
                 FROM segment_snapshot WHERE segment = {name} AND skipped IS NULL)
               SELECT DISTINCT m.person_id, 'segment:' || CAST(s.as_of AS VARCHAR) AS entry_key, s.as_of AS day
               FROM s JOIN segment_member AS m ON m.segment = {name} AND m.run_id = s.run_id
               WHERE {_between('s.as_of', since, until)} AND NOT EXISTS (
                 SELECT 1 FROM segment_member AS b
                 WHERE b.segment = {name} AND b.run_id = s.previous AND b.person_id = m.person_id)"""


def _first_orders(engine: Engine, since: dt.date, until: dt.date) -> str | None:
    """First purchases on a day in (since, until]: the profile's first_order_date when it has one (the same
    rule, already aggregated: not every order of the base grouped again each day), else from the orders."""
    if _have(engine, "person_profile") and "first_order_date" in engine.table_schema("person_profile").names:
        return f"""SELECT person_id, 'first' AS entry_key, first_order_date AS day FROM person_profile
                   WHERE {_between('first_order_date', since, until)}"""
    if not _have(engine, "orders", "person_map"):
        return None
    return f"""SELECT person_id, 'first' AS entry_key, day FROM (
                 SELECT m.person_id, min(o.order_date) AS day
                 FROM orders AS o JOIN person_map AS m ON m.channel = o.channel AND m.channel_uid = o.channel_uid
                 WHERE {purchase_sql('o')} GROUP BY m.person_id) AS f
               WHERE {_between('day', since, until)}"""


def _union(*parts: str | None) -> str | None:
    found = [f"({q})" for q in parts if q]
    return " UNION ALL ".join(found) or None


def _channel_coupons(engine: Engine, days: int, since: dt.date, until: dt.date) -> str | None:
    """The channels' coupons (exported by the shops) not redeemed, `days` before their expiry: one entry each."""
    if not _have(engine, "coupons", "person_map"):
        return None
    due = f"{_day('cp.expires_at')} - {days}"
    return f"""SELECT m.person_id, 'coupon:' || substr(md5(cp.coupon_id), 1, 24) AS entry_key, {due} AS day
               FROM coupons AS cp JOIN person_map AS m ON m.channel = cp.channel AND m.channel_uid = cp.channel_uid
               WHERE cp.redeemed_at IS NULL AND {_between(due, since, until)}"""


def _ledger_expiring(engine: Engine, kind: str, days: int, least: int, since: dt.date,
                     until: dt.date) -> str | None:
    """The member ledger's points or coupons `days` before their last day, one entry per person and expiry date
    (loyalty_facts sums a person's lots by date): a rerun finds the same key; a later lot is a new occurrence.
    Points spent or coupons used before the day are gone from loyalty_facts, so they trigger nothing."""
    if not _have(engine, "loyalty_facts"):
        return None
    due = f"expires_on - {days}"
    return f"""SELECT person_id, {literal(f'{kind}:')} || CAST(expires_on AS VARCHAR) AS entry_key, {due} AS day
               FROM loyalty_facts WHERE kind = {literal(kind)} AND expires_on IS NOT NULL
               AND {_between(due, since, until)}
               GROUP BY person_id, expires_on HAVING sum(amount) >= {literal(max(least, 1))}"""


def triggered(engine: Engine, journey: Journey, since: dt.date, until: dt.date) -> list[dict[str, Any]]:
    sql = trigger_sql(engine, journey, since, until)
    return engine.query(sql).to_pylist() if sql else []


def matching(engine: Engine, predicate: str) -> set[str]:
    """Persons whose profile satisfies a segment predicate now."""
    return {str(r["person_id"]) for r in engine.query(segment_sql(predicate, vocabulary(engine))).to_pylist()}


def profiles(engine: Engine, person_ids: set[str], fields: set[str]) -> dict[str, dict[str, Any]]:
    """Owner, relationship start and the template fields of these persons (the columns that exist)."""
    if not person_ids or not engine.table_exists("person_profile"):
        return {}
    have = set(engine.table_schema("person_profile").names)
    cols = sorted(({"owner_staff_id", "owner_store_id", "private_since", "name"} | fields) & have)
    select = ", ".join(["person_id", *cols])
    ids = sorted(person_ids)
    rows = [r for i in range(0, len(ids), CHUNK) for r in engine.query(
        f"SELECT {select} FROM person_profile WHERE person_id IN {literal_list(ids[i:i + CHUNK])}").to_pylist()]
    return {str(r["person_id"]): r for r in rows}


def _among(among: str | None) -> str:
    return f" AND m.person_id IN ({among})" if among else ""


def purchases(engine: Engine, since: dt.date, until: dt.date,
              among: str | None = None) -> dict[str, list[tuple[dt.date, int]]]:
    """Each person's purchase days in [since, until] with the day's net spend in fen (same-day orders count
    once: DOMAIN.md); `among`: only the persons this SELECT returns."""
    if not _have(engine, "orders", "person_map"):
        return {}
    rows = engine.query(f"""
        SELECT m.person_id, o.order_date AS day, CAST(round(sum(o.net_amount) * 100) AS BIGINT) AS fen
        FROM orders AS o JOIN person_map AS m ON m.channel = o.channel AND m.channel_uid = o.channel_uid
        WHERE {purchase_sql('o')} AND {_during('o.order_date', since, until)}
        {_among(among)} GROUP BY m.person_id, o.order_date""").to_pylist()
    out: dict[str, list[tuple[dt.date, int]]] = defaultdict(list)
    for r in rows:
        out[str(r["person_id"])].append((r["day"], int(r["fen"] or 0)))
    return out


def changed_sql(engine: Engine, since: dt.date, until: dt.date) -> str | None:
    """SELECT person_id of the persons whose outcomes can have changed on a day in [since, until]: they bought,
    wrote to staff 1:1, or had an order refunded (a late refund lowers revenue, or takes back a purchase, without
    any new purchase). None without the tables."""
    parts = []
    if _have(engine, "orders", "person_map"):
        join = "FROM orders AS o JOIN person_map AS m ON m.channel = o.channel AND m.channel_uid = o.channel_uid"
        parts.append(f"SELECT m.person_id {join} WHERE {purchase_sql('o')} AND "
                     f"{_during('o.order_date', since, until)}")
        if "refunded_at" in engine.table_schema("orders").names:
            parts.append(f"SELECT m.person_id {join} WHERE o.refunded_at IS NOT NULL AND "
                         f"{_during(_day('o.refunded_at'), since, until)}")
    if _have(engine, "messages", "person_map"):
        parts.append(f"""SELECT m.person_id FROM messages AS g JOIN person_map AS m ON {WECOM}
                         AND m.channel_uid = g.customer_id WHERE g.sender_type = 'customer' AND g.kind = '1v1'
                         AND {_during(_day('g.sent_at'), since, until)}""")
    return " UNION ".join(parts) or None


def replies(engine: Engine, since: dt.date, until: dt.date, among: str | None = None) -> dict[str, list[dt.datetime]]:
    """Times customers wrote to staff 1:1 in [since, until]; `among`: only the persons this SELECT returns."""
    if not _have(engine, "messages", "person_map"):
        return {}
    rows = engine.query(f"""
        SELECT m.person_id, g.sent_at FROM messages AS g
        JOIN person_map AS m ON {WECOM} AND m.channel_uid = g.customer_id
        WHERE g.sender_type = 'customer' AND g.kind = '1v1'
        AND {_during(_day('g.sent_at'), since, until)}
        {_among(among)}""").to_pylist()
    out: dict[str, list[dt.datetime]] = defaultdict(list)
    for r in rows:
        out[str(r["person_id"])].append(r["sent_at"])
    return out


def group_joins(engine: Engine, since: dt.date, until: dt.date) -> dict[str, list[dt.date]]:
    if not _have(engine, "group_events", "person_map"):
        return {}
    rows = engine.query(f"""
        SELECT m.person_id, {_day('e.event_at')} AS day FROM group_events AS e
        JOIN person_map AS m ON {WECOM} AND m.channel_uid = e.member_id
        WHERE e.event = 'join' AND {_day('e.event_at')} >= {literal(since)}
        AND {_day('e.event_at')} <= {literal(until)}""").to_pylist()
    out: dict[str, list[dt.date]] = defaultdict(list)
    for r in rows:
        out[str(r["person_id"])].append(r["day"])
    return out


def removed_friends(engine: Engine, as_of: dt.date, since: dt.date | None = None) -> set[str]:
    """Persons who were WeCom friends and have no friendship left at as_of (no task for a removed friend);
    with `since`, only those whose last friendship ended on or after it (the new removals)."""
    if not _have(engine, "contacts", "person_map"):
        return set()
    recent = f" AND max({_day('c.removed_at')}) >= {literal(since)}" if since else ""
    # no friendship covers the end of as_of (siyu.domain.private)
    rows = engine.query(f"""
        SELECT m.person_id FROM ({friendship_intervals_sql()}) AS c
        JOIN person_map AS m ON {WECOM} AND m.channel_uid = c.external_userid
        WHERE {_day('c.added_at')} <= {literal(as_of)}
        GROUP BY m.person_id
        HAVING NOT bool_or({covers_end_of(as_of, 'c.start_at', 'c.end_at')}){recent}""").to_pylist()
    return {str(r["person_id"]) for r in rows}
