"""Hand-made persons with known answers, shared by the profile, tag and segment tests.

As of 2026-06-30 (the last order date, so the default as-of):
- alice: store member M1 + Tmall nick_a + WeCom wa (one person through person_map); 3 purchases 60 days apart,
  one partially refunded; mostly 冰丝 / bra / 基础款; friend of S1; in 白领群; stored value; a coupon expiring.
- bob: JD pin_b; one purchase 10 days ago and one fully refunded order.
- carol: Douyin dy_c; two purchases in early 2025: lost.
- dave: Tmall nick_d; purchases 2026-03-01 and 2026-04-01: sleeping (90 days > 1.5 × 31).
- eve: WeCom we only; removed as a friend, left 白领群, in 宝妈群, chatty in groups: high activity, low repurchase.
- frank: mini-program o_f + WeCom wf; six ¥2,000 purchases in the year and group messages: KOC candidate.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pyarrow as pa

from siyu.engine import Engine
from siyu.ingest.normalise import normalise
from siyu.schema.tables import RAW_TABLES

AS_OF = dt.date(2026, 6, 30)
T_IN = dt.datetime(2026, 7, 1, 8, 0)


def ts(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour)


def put(engine: Engine, table: str, rows: list[dict[str, Any]]) -> None:
    """Raw rows as an import writes them (meta columns filled)."""
    schema = RAW_TABLES[table]
    full = []
    for i, r in enumerate(rows):
        row: dict[str, Any] = {f.name: None for f in schema}
        row.update(r)
        row.update({"_source": "test", "_file": "t.csv", "_row": i + 2, "_ingested_at": T_IN,
                    "_row_hash": f"{table}-{i}"})
        full.append(row)
    engine.write_arrow(table, pa.Table.from_pylist(full, schema=schema))


def order(channel: str, oid: str, uid: str, day: str, amount: str, status: str = "paid",
          refund: str | None = None, store: str | None = None) -> dict[str, Any]:
    return {"channel": channel, "order_id": oid, "channel_uid": uid, "created_at": ts(day), "paid_at": ts(day),
            "amount_paid": Decimal(amount), "status": status, "store_id": store,
            "refund_amount": Decimal(refund) if refund else None}


PERSON_MAP = [
    ("store", "M1", "alice"), ("tmall", "nick_a", "alice"), ("wecom", "wa", "alice"),
    ("jd", "pin_b", "bob"), ("douyin", "dy_c", "carol"), ("tmall", "nick_d", "dave"),
    ("wecom", "we", "eve"), ("miniprogram", "o_f", "frank"), ("wecom", "wf", "frank"),
]

FRANK_DAYS = ["2025-08-01", "2025-10-01", "2025-12-01", "2026-02-01", "2026-04-01", "2026-06-01"]


def seed_raw(engine: Engine) -> None:
    put(engine, "raw_order", [
        order("store", "O1", "M1", "2026-01-01", "300.00", store="ST1"),
        order("tmall", "T1", "nick_a", "2026-03-01", "200.00"),
        order("store", "O2", "M1", "2026-05-01", "500.00", "partially_refunded", "100.00", store="ST1"),
        order("tmall", "T2", "nick_a", "2026-06-30", "100.00", "pending"),
        order("jd", "J1", "pin_b", "2026-06-20", "80.00"),
        order("jd", "J2", "pin_b", "2026-06-25", "50.00", "refunded", "50.00"),
        order("douyin", "D1", "dy_c", "2025-01-10", "100.00"),
        order("douyin", "D2", "dy_c", "2025-02-10", "100.00"),
        order("tmall", "T3", "nick_d", "2026-03-01", "150.00"),
        order("tmall", "T4", "nick_d", "2026-04-01", "150.00"),
        *[order("miniprogram", f"F{i}", "o_f", d, "2000.00") for i, d in enumerate(FRANK_DAYS)],
    ])
    put(engine, "raw_product", [
        {"sku": "BRA-ICE", "product_name": "冰丝文胸", "category": "bra", "material": "冰丝", "style": "基础款"},
        {"sku": "PAN-ICE", "product_name": "冰丝内裤", "category": "panties", "material": "冰丝", "style": "主题款"},
        {"sku": "BRA-COT", "product_name": "棉文胸", "category": "bra", "material": "棉", "style": "基础款"},
    ])
    put(engine, "raw_order_item", [
        {"channel": "store", "order_id": "O1", "sku": "BRA-ICE", "qty": 2, "price": Decimal("150.00")},
        {"channel": "tmall", "order_id": "T1", "sku": "PAN-ICE", "qty": 1, "price": Decimal("200.00")},
        {"channel": "store", "order_id": "O2", "sku": "BRA-COT", "qty": 1, "price": Decimal("500.00")},
        {"channel": "tmall", "order_id": "T2", "sku": "BRA-COT", "qty": 5, "price": Decimal("20.00")},  # pending
        {"channel": "tmall", "order_id": "T3", "sku": "BRA-COT", "qty": 1, "price": Decimal("150.00")},
    ])
    put(engine, "raw_identity", [
        {"channel": "store", "channel_uid": "M1", "name": "王丽", "phone": "13800000001", "member_no": "M1",
         "birthday": dt.date(1990, 6, 15), "city": "杭州"},
        {"channel": "tmall", "channel_uid": "nick_a", "name": "王**", "phone": "138****0001"},
        {"channel": "jd", "channel_uid": "pin_b", "name": "赵*", "phone": "139****0002"},
        {"channel": "douyin", "channel_uid": "dy_c", "name": "陈**"},
        {"channel": "tmall", "channel_uid": "nick_d", "name": "刘**"},
        {"channel": "miniprogram", "channel_uid": "o_f", "name": "周峰", "phone": "13700000006",
         "birthday": dt.date(1985, 1, 2)},
    ])
    put(engine, "raw_staff", [{"staff_id": "S1", "name": "小美", "store_id": "ST9"},
                              {"staff_id": "S2", "name": "小王", "store_id": "ST8"}])
    put(engine, "raw_contact", [
        {"staff_id": "S1", "external_userid": "wa", "added_at": ts("2026-01-10")},
        {"staff_id": "S2", "external_userid": "we", "added_at": ts("2026-06-01"), "removed_at": ts("2026-06-10")},
        {"staff_id": "S2", "external_userid": "wf", "added_at": ts("2025-07-01")},
    ])
    put(engine, "raw_group", [{"group_id": "G1", "group_name": "白领群"}, {"group_id": "G2", "group_name": "宝妈群"}])
    put(engine, "raw_group_event", [
        {"group_id": "G1", "member_id": "wa", "event": "join", "event_at": ts("2026-01-11")},
        {"group_id": "G1", "member_id": "we", "event": "join", "event_at": ts("2026-06-02")},
        {"group_id": "G1", "member_id": "we", "event": "leave", "event_at": ts("2026-06-05")},
        {"group_id": "G2", "member_id": "we", "event": "join", "event_at": ts("2026-06-06")},
        {"group_id": "G2", "member_id": "wf", "event": "join", "event_at": ts("2025-07-02")},
    ])
    msgs = [
        ("m1", "1v1", None, "wa", "2026-06-20"), ("m2", "1v1", None, "wa", "2026-06-21"),
        ("m3", "group", "G1", "wa", "2026-06-22"), ("m4", "1v1", None, "wa", "2026-03-01"),
        *[(f"e{i}", "group", "G2", "we", f"2026-06-{10 + i}") for i in range(6)],
        ("f1", "group", "G2", "wf", "2026-06-15"), ("f2", "group", "G2", "wf", "2026-06-16"),
    ]
    put(engine, "raw_message", [
        {"message_id": m, "kind": k, "group_id": g, "customer_id": c, "sender_type": "customer", "sent_at": ts(d)}
        for m, k, g, c, d in msgs
    ] + [{"message_id": "s1", "kind": "1v1", "customer_id": "wa", "staff_id": "S1", "sender_type": "staff",
          "sent_at": ts("2026-06-20")}])
    put(engine, "raw_stored_value", [
        {"txn_id": "V1", "channel": "store", "channel_uid": "M1", "kind": "topup", "amount": Decimal("1000.00"),
         "txn_at": ts("2026-02-01")},
        {"txn_id": "V2", "channel": "store", "channel_uid": "M1", "kind": "spend", "amount": Decimal("300.00"),
         "txn_at": ts("2026-05-01")},
    ])
    put(engine, "raw_coupon", [
        {"coupon_id": "C1", "channel": "store", "channel_uid": "M1", "value": Decimal("10.00"),
         "issued_at": ts("2026-06-02"), "expires_at": ts("2026-07-02")},
        {"coupon_id": "C2", "channel": "store", "channel_uid": "M1", "value": Decimal("10.00"),
         "issued_at": ts("2026-05-01"), "expires_at": ts("2026-06-01")},
        {"coupon_id": "C3", "channel": "jd", "channel_uid": "pin_b", "value": Decimal("10.00"),
         "issued_at": ts("2026-06-20"), "expires_at": ts("2026-07-20")},
    ])


def build_world(engine: Engine, with_person_map: bool = True) -> None:
    """Raw rows → clean tables (the real normalise step) → a person_map as OneID would write it."""
    seed_raw(engine)
    normalise(engine)
    if with_person_map:
        cols = list(zip(*PERSON_MAP, strict=True))
        engine.write_arrow("person_map", pa.table({"channel": list(cols[0]), "channel_uid": list(cols[1]),
                                                   "person_id": list(cols[2])}), mode="replace")


def test_world_builds(duck: Engine) -> None:
    build_world(duck)
    assert duck.row_count("orders") == 16
    assert duck.row_count("person_map") == len(PERSON_MAP)
