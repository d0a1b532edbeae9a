"""The value forms exports really contain: each parses to the typed value, or is rejected with a reason."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from siyu.ingest.mapping import ESSENTIAL, parse_mapping
from siyu.ingest.parse import LEFT_EMPTY, BatchParser, field_notes, resolve_columns

# A field of each type and an optional raw column it can land in (a bad optional value is left empty and noted).
_FIELD_FOR = {
    "datetime": ("raw_product", "launched_at"),
    "date": ("raw_identity", "birthday"),
    "birthday": ("raw_identity", "birthday"),
    "amount": ("raw_product", "list_price"),
    "int": ("raw_order_item", "qty"),
    "bool": ("raw_parcel", "with_card"),
    "id": ("raw_order_item", "sku"),
    "map": ("raw_order", "status"),
    "address": ("raw_identity", "address"),
}
# The essential fields of those tables, read from constant columns of the probe file.
_ESSENTIAL = {"order_id": ("id", "1"), "channel_uid": ("id", "u1"), "created_at": ("datetime", "2024-03-01"),
              "amount_paid": ("amount", "1"), "sku": ("id", "S1"), "parcel_id": ("id", "P1")}


def parse_one(kind: str, values: list[str | None], **options: Any) -> list[Any]:
    """Parse one column of `kind`; each result is the value, or ('bad', reason) for a rejected row or a value
    left empty."""
    table, name = _FIELD_FOR[kind]
    targets = ["province", "city", "district", "address"] if kind == "address" else [name]
    others = [f for f in ESSENTIAL[table] if f != name]
    fields = {name: {"headers": ["值"], "type": kind, **options}}
    fields.update({f: {"headers": [f], "type": _ESSENTIAL[f][0]} for f in others})
    mapping = parse_mapping(
        {"source": "probe", "fields": fields, "targets": [{"table": table, "fields": targets + others}]},
        Path("probe.toml"),
    )
    parser = BatchParser(mapping, resolve_columns(mapping, ["值", *others], Path("probe.csv")))
    rows = pa.array(range(2, 2 + len(values)), pa.int64())
    data = {"c0": pa.array(values, pa.string())}
    data.update({f"c{i}": pa.array([_ESSENTIAL[f][1]] * len(values)) for i, f in enumerate(others, start=1)})
    parsed = parser.parse(pa.table(data), rows)
    out: dict[int, Any] = {}
    for r in parsed.good.to_pylist():
        out[r["__row"]] = tuple(r[t] for t in targets) if kind == "address" else r[name]
    for r in field_notes(parsed.good).to_pylist():
        out[r["__row"]] = ("bad", r["reason"].removesuffix(LEFT_EMPTY))
    for r in parsed.bad.to_pylist():
        out[r["__row"]] = ("bad", r["__bad_reason"])
    return [out[i] for i in range(2, 2 + len(values))]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-01 12:00:00", dt.datetime(2024, 3, 1, 12)),
        ("2024/3/1 12:00", dt.datetime(2024, 3, 1, 12)),
        ("2024/03/01", dt.datetime(2024, 3, 1)),
        ("2024-03-01", dt.datetime(2024, 3, 1)),
        ("20240301", dt.datetime(2024, 3, 1)),
        ("2024-03-01T12:00:00", dt.datetime(2024, 3, 1, 12)),
        ("2024-03-01 12:00:00.250", dt.datetime(2024, 3, 1, 12, 0, 0, 250000)),
        ("2024年3月1日 12:00", dt.datetime(2024, 3, 1, 12)),
        ("2024年3月1日", dt.datetime(2024, 3, 1)),
        ("２０２４-０３-０１", dt.datetime(2024, 3, 1)),
        ("45352", dt.datetime(2024, 3, 1)),  # Excel serial: days since 1899-12-30
        ("45352.5", dt.datetime(2024, 3, 1, 12)),
        ("1709265600", dt.datetime(2024, 3, 1, 12)),  # Unix seconds, read as Asia/Shanghai
        ("1709265600000", dt.datetime(2024, 3, 1, 12)),
        ("  2024-03-01 12:00:00\t", dt.datetime(2024, 3, 1, 12)),
    ],
)
def test_datetime_forms(text: str, expected: dt.datetime) -> None:
    assert parse_one("datetime", [text]) == [expected]


def test_bad_and_empty_datetimes() -> None:
    got = parse_one("datetime", ["2024-13-45", "昨天", "", None])
    assert got[0] == ("bad", "值 (launched_at): not a date/time: '2024-13-45' "
                             "(dates from 1900 to a year from now; spreadsheet serials from 10000)")
    assert got[1][0] == "bad"
    assert got[2:] == [None, None]


def test_dates() -> None:
    assert parse_one("date", ["1990/5/6", "1990-05-06 00:00:00", "32874"]) == [
        dt.date(1990, 5, 6), dt.date(1990, 5, 6), dt.date(1990, 1, 1)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12.5", Decimal("12.50")),
        ("¥1,234.50", Decimal("1234.50")),
        ("￥ 99", Decimal("99.00")),
        ("1,234,567.8", Decimal("1234567.80")),
        ("-12.50", Decimal("-12.50")),
        ("(12.50)", Decimal("-12.50")),
        ("12.50元", Decimal("12.50")),
        ("１２.５", Decimal("12.50")),
        ("0", Decimal("0.00")),
    ],
)
def test_amount_forms(text: str, expected: Decimal) -> None:
    assert parse_one("amount", [text]) == [expected]


def test_bad_amount_names_the_value() -> None:
    assert parse_one("amount", ["12元5角"]) == [
        ("bad", "值 (list_price): not an amount: '12元5角' (at most 2 decimals; thousands separators every 3 digits)")]


def test_ints_reject_fractions() -> None:
    got = parse_one("int", ["3", "3.0", "1,200", "2.5", "x"])
    assert got[:3] == [3, 3, 1200]
    assert got[3] == ("bad", "值 (qty): not a whole number: '2.5'")
    assert got[4][0] == "bad"


def test_bools() -> None:
    got = parse_one("bool", ["是", "否", "Y", "n", "TRUE", "false", "1", "0", "", "也许"])
    assert got[:9] == [True, False, True, False, True, False, True, False, None]
    assert got[9][0] == "bad" and "yes/no" in got[9][1]


def test_ids_lose_excel_and_exporter_decorations() -> None:
    assert parse_one("id", ['="3001"', "\t3002", "'3003", "3004.0", " A-1 ", "3005.5"]) == [
        "3001", "3002", "3003", "3004", "A-1", "3005.5"]


def test_statuses_map_and_unknown_ones_are_rejected_with_the_allowed_values() -> None:
    values = ["交易成功", "交易关闭", "退款成功", "等待买家付款", " Paid ", "部分退款", "外星状态"]
    got = parse_one("map", values, map="status")
    assert got[:6] == ["paid", "closed", "refunded", "pending", "paid", "partially_refunded"]
    kind, reason = got[6]
    assert kind == "bad" and "unknown value '外星状态'" in reason and "交易成功" in reason


def test_required_empty_field_is_rejected() -> None:
    assert parse_one("id", ["", "1"], required=True) == [("bad", "missing required field 值 (sku)"), "1"]


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("浙江省 杭州市 西湖区 文三路1号", ("浙江省", "杭州市", "西湖区", "文三路1号")),
        ("浙江省杭州市西湖区文三路1号", ("浙江省", "杭州市", "西湖区", "文三路1号")),
        ("上海 上海市 浦东新区 世纪大道100号", ("上海市", "上海市", "浦东新区", "世纪大道100号")),
        # JD writes short province names and cities without 市
        ("广东 深圳 南山区 科技路1号", ("广东省", "深圳市", "南山区", "科技路1号")),
        ("广西 南宁 青秀区 民族大道1号", ("广西壮族自治区", "南宁市", "青秀区", "民族大道1号")),
        ("北京 朝阳区 建国路88号", ("北京市", "北京市", "朝阳区", "建国路88号")),
        ("北京市朝阳区建国路88号", ("北京市", "北京市", "朝阳区", "建国路88号")),
        ("内蒙古自治区呼和浩特市新城区新华大街1号", ("内蒙古自治区", "呼和浩特市", "新城区", "新华大街1号")),
        ("广东省 深圳市 南山区", ("广东省", "深圳市", "南山区", None)),
        ("文三路1号", (None, None, None, "文三路1号")),
    ],
)
def test_address_split(text: str, parts: tuple[str | None, ...]) -> None:
    assert parse_one("address", [text]) == [parts]
