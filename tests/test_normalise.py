"""The normalise step: business rules of the clean tables, the same on DuckDB and Spark."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest

from siyu.engine import Engine
from siyu.ingest.normalise import normalise
from siyu.schema.tables import RAW_TABLES

T0 = dt.datetime(2026, 1, 5, 9, 0)
T1 = dt.datetime(2026, 1, 9, 9, 0)


def put(engine: Engine, table: str, rows: list[dict[str, Any]], ingested: dt.datetime = T0) -> None:
    """Write raw rows the way an import would, with the meta columns filled."""
    schema = RAW_TABLES[table]
    full = []
    for i, r in enumerate(rows):
        row = {f.name: None for f in schema}
        row.update(r)
        row.setdefault("_source", "test")
        row["_file"] = row["_file"] or "t.csv"
        row["_row"] = row["_row"] or i + 2
        row["_ingested_at"] = row["_ingested_at"] or ingested
        row["_row_hash"] = row["_row_hash"] or f"{table}-{ingested.isoformat()}-{i}"
        full.append(row)
    engine.write_arrow(table, pa.Table.from_pylist(full, schema=schema))


def D(x: str) -> Decimal:
    return Decimal(x)


def seed(engine: Engine) -> None:
    put(engine, "raw_order", [
        # a Tmall order first exported as paid …
        {"channel": "tmall", "order_id": "T1", "channel_uid": "nick1", "created_at": T0, "paid_at": T0,
         "amount_paid": D("100.00"), "status": "paid"},
        # Douyin order with two sub-orders, one refunded
        {"channel": "douyin", "order_id": "D1", "sub_order_id": "D1-1", "channel_uid": "dy1", "created_at": T0,
         "amount_paid": D("30.00"), "status": "paid"},
        {"channel": "douyin", "order_id": "D1", "sub_order_id": "D1-2", "channel_uid": "dy1", "created_at": T0,
         "amount_paid": D("20.00"), "status": "refunded"},
        # JD order: two item rows repeating the order amount
        {"channel": "jd", "order_id": "J1", "channel_uid": "pin1", "created_at": T0, "amount_paid": D("80.00"),
         "status": "paid", "_row": 2},
        {"channel": "jd", "order_id": "J1", "channel_uid": "pin1", "created_at": T0, "amount_paid": D("80.00"),
         "status": "paid", "_row": 3},
        # an unpaid order
        {"channel": "tmall", "order_id": "T2", "channel_uid": "nick1", "created_at": T0,
         "amount_paid": D("50.00"), "status": "pending"},
    ])
    # … and re-exported later as refunded: the later import wins
    put(engine, "raw_order", [
        {"channel": "tmall", "order_id": "T1", "channel_uid": "nick1", "created_at": T0, "paid_at": T0,
         "amount_paid": D("100.00"), "status": "refunded", "refund_amount": D("40.00")},
    ], ingested=T1)
    put(engine, "raw_order_item", [
        {"channel": "jd", "order_id": "J1", "sku": "SKU1", "qty": 2, "price": D("20.00")},
        {"channel": "jd", "order_id": "J1", "sku": "SKU2", "qty": 1, "price": D("40.00")},
    ])
    put(engine, "raw_product", [{"sku": "SKU1", "product_name": "冰丝内裤", "category": "panties", "material": "冰丝",
                                 "style": "基础款"}])
    put(engine, "raw_identity", [
        {"channel": "tmall", "channel_uid": "nick1", "name": "张**", "phone": "138****5678"},
        # JD: full-width digits behind 86-, a short province name and a city without 市
        {"channel": "jd", "channel_uid": "pin1", "name": "付 欣丽", "phone": "86-１３６１２３４５６７８",
         "province": "广东", "city": "深圳", "district": "南山区"},
        {"channel": "store", "channel_uid": "M001", "member_no": "M001", "phone": "+86 139-1234-5678",
         "name": "李丽"},
        {"channel": "miniprogram", "channel_uid": "o1", "unionid": "u1", "phone": "0086 13712345678",
         "email": " Li@Example.COM "},
    ])
    put(engine, "raw_identity", [
        {"channel": "store", "channel_uid": "M001", "member_no": "M001", "phone": "13900000000"},
    ], ingested=T1)
    put(engine, "raw_contact", [
        {"staff_id": "S1", "external_userid": "wm1", "unionid": "u1", "added_at": T0, "add_source": "package_card"},
        {"staff_id": "S1", "external_userid": "wm1", "unionid": "u1", "added_at": T1, "add_source": "qr_code"},
    ])
    put(engine, "raw_contact", [
        {"staff_id": "S1", "external_userid": "wm1", "unionid": "u1", "added_at": T0, "removed_at": T0,
         "add_source": "package_card"},
    ], ingested=T1)
    put(engine, "raw_group_event", [
        {"group_id": "G1", "member_id": "wm2", "unionid": "u2", "event": "join", "event_at": T0},
    ])
    # holders known only from a coupon or a stored-value top-up
    put(engine, "raw_coupon", [{"coupon_id": "C1", "channel": "miniprogram", "channel_uid": "o9", "issued_at": T0}])
    put(engine, "raw_stored_value", [{"txn_id": "V1", "channel": "store", "channel_uid": "M9", "kind": "topup",
                                      "amount": D("500.00"), "txn_at": T0}])


def rows(engine: Engine, sql: str) -> list[dict[str, Any]]:
    return engine.query(sql).to_pylist()


def check_clean_tables(engine: Engine) -> None:
    seed(engine)
    rows_in, rows_out, _ = normalise(engine)
    assert rows_in > 0 and rows_out > 0
    orders = {r["order_id"]: r for r in rows(engine, "SELECT * FROM orders")}
    assert set(orders) == {"T1", "D1", "J1", "T2"}
    assert orders["T1"]["status"] == "refunded" and orders["T1"]["net_amount"] == D("60.00")
    assert orders["D1"]["amount_paid"] == D("50.00") and orders["D1"]["status"] == "partially_refunded"
    assert orders["D1"]["net_amount"] == D("30.00")
    assert orders["J1"]["amount_paid"] == D("80.00") and orders["J1"]["n_items"] == 3
    assert orders["T2"]["net_amount"] == D("0.00")
    assert orders["T1"]["order_date"] == T0.date()

    items = {r["sku"]: r for r in rows(engine, "SELECT * FROM order_items")}
    assert items["SKU1"]["material"] == "冰丝" and items["SKU1"]["amount"] == D("40.00")

    ids = {(r["channel"], r["channel_uid"]): r for r in rows(engine, "SELECT * FROM identities")}
    tm = ids[("tmall", "nick1")]
    assert tm["phone"] is None and tm["phone_masked"] and tm["name_masked"]
    assert (tm["phone_prefix"], tm["phone_suffix"]) == ("138", "5678")
    assert ids[("store", "M001")]["phone"] == "13900000000"  # the later phone wins on the identity …
    assert ids[("miniprogram", "o1")]["phone"] == "13712345678"
    jd = ids[("jd", "pin1")]
    assert (jd["phone"], jd["province"], jd["city"], jd["district"]) == ("13612345678", "广东省", "深圳市", "南山区")
    assert ids[("miniprogram", "o1")]["email"] == "li@example.com"
    assert ("wecom", "wm2") in ids and ids[("wecom", "wm2")]["unionid"] == "u2"  # seen only in a group
    assert ("miniprogram", "o9") in ids and ("store", "M9") in ids  # every holder is an identity, so a person
    keys = rows(engine, "SELECT key_value FROM identity_keys WHERE channel = 'store' AND key_type = 'phone'")
    assert sorted(k["key_value"] for k in keys) == ["13900000000", "13912345678"]  # … both remain keys

    contacts = rows(engine, "SELECT * FROM contacts ORDER BY added_at")
    assert len(contacts) == 2  # removal and re-add are two friendships
    assert contacts[0]["removed_at"] == T0 and contacts[1]["removed_at"] is None


def test_clean_tables_duckdb(duck: Engine) -> None:
    check_clean_tables(duck)


def test_normalise_is_idempotent(duck: Engine) -> None:
    seed(duck)
    normalise(duck)
    first = {t: duck.row_count(t) for t in ("orders", "identities", "contacts", "identity_keys")}
    normalise(duck)
    assert {t: duck.row_count(t) for t in first} == first


@pytest.mark.spark
def test_clean_tables_spark(spark: Engine) -> None:
    check_clean_tables(spark)


@pytest.mark.spark
def test_parity_duckdb_spark(duck: Engine, spark: Engine) -> None:
    for engine in (duck, spark):
        seed(engine)
        normalise(engine)
    for table, key in [("orders", "channel, order_id"), ("identities", "channel, channel_uid"),
                       ("identity_keys", "channel, channel_uid, key_type, key_value"),
                       ("contacts", "staff_id, external_userid, added_at"), ("order_items", "order_id, sku")]:
        sql = f"SELECT * FROM {table} ORDER BY {key}"
        assert duck.query(sql).to_pylist() == spark.query(sql).to_pylist(), table
