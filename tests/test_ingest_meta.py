"""The content hash that makes imports idempotent, as the demo's direct-write mode relies on it."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from siyu.ingest.meta import add_meta

NOW = dt.datetime(2024, 3, 1, 12, 0)


def _orders(**extra: pa.Array) -> pa.Table:
    base = {"order_id": pa.array(["A1", "A2"]), "amount_paid": pa.array([12.5, 8.0])}
    return pa.table({**base, **extra})


def test_hash_ignores_file_row_and_time_but_not_content_or_source() -> None:
    a = add_meta(_orders(), "tmall", "a.csv", pa.array([2, 3]), NOW, target="raw_order")
    later = NOW + dt.timedelta(days=1)
    b = add_meta(_orders(), "tmall", "b.csv", pa.array([10, 11]), later, target="raw_order")
    assert a.column("_row_hash").to_pylist() == b.column("_row_hash").to_pylist()
    other_source = add_meta(_orders(), "jd", "a.csv", None, NOW, target="raw_order")
    assert other_source.column("_row_hash")[0] != a.column("_row_hash")[0]
    assert len(set(a.column("_row_hash").to_pylist())) == 2


def test_absent_and_all_null_columns_hash_alike_and_target_casts_types() -> None:
    plain = add_meta(_orders(), "tmall", "", None, NOW, target="raw_order")
    padded = _orders(shop_name=pa.nulls(2, pa.string()))
    with_null = add_meta(padded, "tmall", "", None, NOW, target="raw_order")
    assert plain.column("_row_hash").equals(with_null.column("_row_hash"))
    assert plain.schema.field("amount_paid").type == pa.decimal128(18, 2)
    assert plain.column_names[-5:] == ["_source", "_file", "_row", "_ingested_at", "_row_hash"]
    assert plain.column("_row").null_count == 2
