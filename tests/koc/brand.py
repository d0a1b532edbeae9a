"""A hand-built brand small enough to know every answer: three guides, four customers, a month of orders,
chats, groups and invitations (the expected figures are worked out in the tests that use them)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa

from siyu.engine import Engine

T = dt.datetime
MONEY = pa.decimal128(18, 2)


def _ts(s: str | None) -> dt.datetime | None:
    return None if s is None else T.fromisoformat(s)


def _m(v: str | None) -> Decimal | None:
    return None if v is None else Decimal(v)


ORDER_COLS = ["channel", "order_id", "channel_uid", "created_at", "paid_at", "order_date", "status", "amount_paid",
              "refund_amount", "net_amount", "refunded_at", "store_id", "staff_id", "share_staff_id"]


def order(channel: str, oid: str, uid: str, at: str, status: str, paid: str, refund: str = "0",
          refunded_at: str | None = None, store: str | None = None, staff: str | None = None,
          share: str | None = None) -> dict[str, object]:
    net = max(Decimal(paid) - Decimal(refund), Decimal(0)) if status in ("paid", "partially_refunded",
                                                                          "refunded") else Decimal(0)
    ts = T.fromisoformat(at)
    return {"channel": channel, "order_id": oid, "channel_uid": uid, "created_at": ts, "paid_at": ts,
            "order_date": ts.date(), "status": status, "amount_paid": Decimal(paid),
            "refund_amount": Decimal(refund), "net_amount": net, "refunded_at": _ts(refunded_at),
            "store_id": store, "staff_id": staff, "share_staff_id": share}


ORDER_SCHEMA = pa.schema([("channel", pa.string()), ("order_id", pa.string()), ("channel_uid", pa.string()),
                          ("created_at", pa.timestamp("us")), ("paid_at", pa.timestamp("us")),
                          ("order_date", pa.date32()), ("status", pa.string()), ("amount_paid", MONEY),
                          ("refund_amount", MONEY), ("net_amount", MONEY), ("refunded_at", pa.timestamp("us")),
                          ("store_id", pa.string()), ("staff_id", pa.string()), ("share_staff_id", pa.string())])

ORDERS = [
    order("miniprogram", "O1", "m1", "2026-03-05 12:00", "paid", "100", share="G1"),
    order("tmall", "O2", "t1", "2026-03-06 12:00", "paid", "200"),
    order("tmall", "O3", "t1", "2026-03-12 12:00", "paid", "50"),
    order("store", "O4", "s2", "2026-03-21 12:00", "paid", "300", store="S2", staff="G3"),
    order("jd", "O5", "j4", "2026-03-12 12:00", "refunded", "400", "400", "2026-03-15 09:00"),
    order("tmall", "O6", "t3", "2026-03-08 12:00", "paid", "1000"),
    order("store", "O7", "s2", "2026-02-20 12:00", "partially_refunded", "500", "100", "2026-03-02 10:00",
          store="S2", staff="G3"),
    order("miniprogram", "O8", "m1", "2026-03-07 12:00", "pending", "80", share="G1"),
    order("store", "O9", "s9", "2026-01-15 12:00", "paid", "80", store="S2", staff="G3"),
]

PERSONS = [("wecom", "w1", "P1"), ("miniprogram", "m1", "P1"), ("tmall", "t1", "P1"), ("wecom", "w2", "P2"),
           ("store", "s2", "P2"), ("tmall", "t3", "P3"), ("wecom", "w4", "P4"), ("jd", "j4", "P4"),
           ("store", "s9", "P9")]

CONTACTS = [("G1", "w1", "2026-01-05 10:00", None, None), ("G2", "w1", "2026-02-01 10:00", None, None),
            ("G2", "w2", "2026-03-02 10:00", None, None), ("G1", "w4", "2026-03-10 10:00", None, "ref-P1")]

CHATS = [("c1", "G2", "w1", "2026-03-03 10:00"), ("c2", "G1", "w4", "2026-03-11 09:00"),
         ("c3", "G2", "w2", "2026-03-20 10:00")]

STAFF = [("G1", "S1"), ("G2", "S1"), ("G3", "S2")]


def build(engine: Engine, orders: list[dict[str, object]] | None = None) -> None:
    """Write the brand's clean tables into `engine`."""
    engine.write_arrow("orders", pa.Table.from_pylist(ORDERS if orders is None else orders, ORDER_SCHEMA),
                       mode="replace")
    engine.write_arrow("person_map", pa.table({"channel": [p[0] for p in PERSONS],
                                               "channel_uid": [p[1] for p in PERSONS],
                                               "person_id": [p[2] for p in PERSONS]}), mode="replace")
    engine.write_arrow("contacts", pa.table({
        "staff_id": [c[0] for c in CONTACTS], "external_userid": [c[1] for c in CONTACTS],
        "added_at": pa.array([_ts(c[2]) for c in CONTACTS], pa.timestamp("us")),
        "removed_at": pa.array([_ts(c[3]) for c in CONTACTS], pa.timestamp("us")),
        "state": pa.array([c[4] for c in CONTACTS], pa.string())}), mode="replace")
    write_messages(engine, [("1v1", c[0], None, c[1], c[2], "staff", c[3]) for c in CHATS])
    engine.write_arrow("staff", pa.table({"staff_id": [s[0] for s in STAFF], "store_id": [s[1] for s in STAFF]}),
                       mode="replace")


def write_messages(engine: Engine,
                   rows: list[tuple[str, str | None, str | None, str | None, str, str, str]]) -> None:
    """(kind, conversation_id, group_id, staff_id, customer_id, sender_type, sent_at) rows as `messages`."""
    engine.write_arrow("messages", pa.table({
        "message_id": [f"msg{i}" for i in range(len(rows))], "kind": [r[0] for r in rows],
        "conversation_id": pa.array([r[1] for r in rows], pa.string()),
        "group_id": pa.array([r[2] for r in rows], pa.string()),
        "staff_id": pa.array([r[3] for r in rows], pa.string()),
        "customer_id": pa.array([r[4] for r in rows], pa.string()),
        "sender_type": [r[5] for r in rows],
        "sent_at": pa.array([_ts(r[6]) for r in rows], pa.timestamp("us"))}), mode="replace")
