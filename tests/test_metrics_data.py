"""A tiny hand-built brand whose every metric is worked out by hand (see the comments), for the metrics tests.

Persons: A (friend of s1 by package card, in group g1, buys twice on one day then again), B (package-card friend
of s2, removed and re-added: not a new friend, not churned), C (friend of s1 for ten days, never buys),
D (only ever in group g1, leaves in February), E (a Tmall buyer never in the private domain).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pyarrow as pa

from siyu.engine import Engine
from siyu.identity.tables import OUTPUT
from siyu.ingest.normalise import normalise
from siyu.schema.tables import RAW_TABLES

AS_OF = dt.date(2026, 3, 31)


def T(s: str) -> dt.datetime:
    return dt.datetime.fromisoformat(s)


def put(engine: Engine, table: str, rows: list[dict[str, Any]]) -> None:
    schema = RAW_TABLES[table]
    full = []
    for i, r in enumerate(rows):
        row: dict[str, Any] = {f.name: None for f in schema}
        row.update(r)
        row.update({"_source": "test", "_file": "t.csv", "_row": i + 2, "_ingested_at": T("2026-04-01 00:00"),
                    "_row_hash": f"{table}-{i}"})
        full.append(row)
    engine.write_arrow(table, pa.Table.from_pylist(full, schema=schema))


def _order(channel: str, oid: str, uid: str, at: str, paid: str, status: str = "paid",
           refund: str | None = None) -> dict[str, Any]:
    return {"channel": channel, "order_id": oid, "channel_uid": uid, "created_at": T(at), "paid_at": T(at),
            "amount_paid": Decimal(paid), "status": status, "refund_amount": Decimal(refund) if refund else None}


def _msg(mid: str, conv: str, staff: str | None, cust: str | None, sender: str, at: str,
         line: str | None = None, kind: str = "1v1", group: str | None = None) -> dict[str, Any]:
    return {"message_id": mid, "kind": kind, "conversation_id": conv, "group_id": group, "staff_id": staff,
            "customer_id": cust, "sender_type": sender, "sent_at": T(at), "script_line_id": line}


PERSON_MAP = [
    ("wecom", "uA", "pA"), ("tmall", "tA", "pA"), ("miniprogram", "mpA", "pA"),
    ("wecom", "uB", "pB"), ("tmall", "tB", "pB"),
    ("wecom", "uC", "pC"), ("miniprogram", "mpC", "pC"),
    ("wecom", "uD", "pD"), ("jd", "jD", "pD"),
    ("tmall", "tE", "pE"), ("miniprogram", "mpE", "pE"),
]


def build(engine: Engine, with_person_map: bool = True) -> None:
    """Raw rows → the normalise step → clean tables (and OneID's person_map unless told otherwise)."""
    put(engine, "raw_staff", [{"staff_id": "s1", "name": "导购一", "store_id": "st1"},
                              {"staff_id": "s2", "name": "客服二"}])
    put(engine, "raw_store", [{"store_id": "st1", "name": "一店"}])
    put(engine, "raw_contact", [
        {"staff_id": "s1", "external_userid": "uA", "added_at": T("2026-01-03 10:00"), "add_source": "package_card",
         "state": "PK-TM-2601"},
        {"staff_id": "s2", "external_userid": "uB", "added_at": T("2026-01-10 12:00"), "add_source": "package_card",
         "removed_at": T("2026-02-15 08:00")},
        {"staff_id": "s2", "external_userid": "uB", "added_at": T("2026-02-20 08:00"), "add_source": "qr_code"},
        {"staff_id": "s1", "external_userid": "uC", "added_at": T("2026-01-15 09:00"), "add_source": "qr_code",
         "removed_at": T("2026-01-25 09:00")},
    ])
    put(engine, "raw_group", [{"group_id": "g1", "group_name": "白领群", "group_type": "persona",
                               "owner_staff_id": "s1"}])
    put(engine, "raw_group_event", [
        {"group_id": "g1", "member_id": "uD", "event": "join", "event_at": T("2026-01-02 09:00")},
        {"group_id": "g1", "member_id": "uA", "event": "join", "event_at": T("2026-01-04 09:00")},
        {"group_id": "g1", "member_id": "uD", "event": "leave", "event_at": T("2026-02-10 09:00")},
    ])
    put(engine, "raw_order", [
        _order("tmall", "o1", "tA", "2026-01-05 10:00", "100.00"),
        _order("tmall", "o2", "tA", "2026-01-05 18:00", "50.00"),  # same day: one order day
        _order("miniprogram", "o3", "mpA", "2026-01-20 10:00", "80.00"),
        _order("tmall", "o4", "tB", "2026-01-25 10:00", "200.00", "refunded"),  # net 0, still an order
        _order("tmall", "o5", "tE", "2026-01-07 10:00", "300.00"),
        _order("jd", "o6", "jD", "2026-02-01 12:00", "60.00"),
        _order("tmall", "o7", "tE", "2026-02-07 10:00", "120.00", "partially_refunded", "20.00"),
        _order("tmall", "o8", "tE", "2026-02-08 10:00", "90.00", "closed"),  # never counts
    ])
    put(engine, "raw_parcel", [
        *[{"parcel_id": f"p{i}", "channel": "tmall", "order_id": "o1", "shipped_at": T("2026-01-02 10:00"),
           "with_card": True, "card_code": "PK-TM-2601"} for i in range(4)],
        {"parcel_id": "p4", "channel": "tmall", "order_id": "o5", "shipped_at": T("2026-01-08 10:00"),
         "with_card": False},
        *[{"parcel_id": f"q{i}", "channel": "jd", "order_id": "o6", "shipped_at": T("2026-02-02 10:00"),
           "with_card": True, "card_code": "PK-JD-2602"} for i in range(2)],
    ])
    put(engine, "raw_message", [
        _msg("m1", "s1:uA", "s1", "uA", "staff", "2026-01-03 10:00", "S01-L1"),
        _msg("m2", "s1:uA", "s1", "uA", "customer", "2026-01-03 10:30"),  # customer replies in 30 min
        _msg("m3", "s1:uA", "s1", "uA", "staff", "2026-01-03 10:40"),  # staff replies in 10 min
        _msg("m4", "s1:uA", "s1", "uA", "staff", "2026-01-05 09:00", "S01-L2"),  # no answer
        _msg("m5", "s1:uA", "s1", "uA", "staff", "2026-01-06 09:00", "S01-L3"),
        _msg("m6", "s1:uA", "s1", "uA", "customer", "2026-01-06 10:00"),  # 1500 min after m4
        _msg("m7", "s2:uB", "s2", "uB", "staff", "2026-01-10 12:00", "S02-L1"),
        _msg("m8", "s2:uB", "s2", "uB", "customer", "2026-01-10 12:15"),  # 15 min
        _msg("m9", "s2:uB", "s2", "uB", "staff", "2026-01-10 12:45"),  # 30 min
        _msg("g1", "g1", "s1", None, "staff", "2026-01-04 12:00", kind="group", group="g1"),
        _msg("g2", "g1", None, "uA", "customer", "2026-01-04 12:05", kind="group", group="g1"),
        _msg("g3", "g1", None, "uD", "customer", "2026-01-05 12:05", kind="group", group="g1"),
        _msg("g4", "g1", None, "uD", "customer", "2026-02-01 12:05", kind="group", group="g1"),
    ])
    put(engine, "raw_stored_value", [
        {"txn_id": "v1", "channel": "miniprogram", "channel_uid": "mpA", "kind": "topup",
         "amount": Decimal("500.00"), "txn_at": T("2026-01-10 10:00")},
        {"txn_id": "v2", "channel": "miniprogram", "channel_uid": "mpE", "kind": "topup",
         "amount": Decimal("500.00"), "txn_at": T("2026-01-10 10:00")},
    ])
    put(engine, "raw_coupon", [
        {"coupon_id": "c1", "channel": "miniprogram", "channel_uid": "mpC", "issued_at": T("2026-01-15 09:00"),
         "redeemed_at": T("2026-01-20 09:00")},
    ])
    normalise(engine)
    if with_person_map:
        rows = [{"channel": c, "channel_uid": u, "person_id": p} for c, u, p in PERSON_MAP]
        engine.write_arrow("person_map", pa.Table.from_pylist(rows, schema=OUTPUT["person_map"]), mode="replace")
