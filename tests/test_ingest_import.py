"""What a user relies on from an import: quarantine, idempotency, all-or-nothing, streaming, own mappings."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from siyu.engine import Engine
from siyu.engine.duckdb_engine import DuckDBEngine
from siyu.ingest.importer import import_file
from siyu.ingest.mapping import MappingError, load_mapping
from siyu.ingest.meta import add_meta
from siyu.ingest.parse import MissingHeaderError
from siyu.ingest.readers import FileFormatError

HEADER = "订单编号,买家会员名,买家实际支付金额,订单状态,订单创建时间,宝贝标题,宝贝总数量"


def _tmall(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_bytes(("\n".join([HEADER, *lines]) + "\n").encode(encoding))
    return path


def _orders(n: int, start: int = 0) -> list[str]:
    return [f"{1000 + i},buyer{i % 97},{10 + i % 50}.50,交易成功,2024-03-01 12:{i % 60:02d}:00,背心,1"
            for i in range(start, start + n)]


def _counts(engine: Engine) -> dict[str, int]:
    names = ["raw_order", "raw_order_item", "raw_identity", "quarantine", "import_log"]
    return {name: engine.row_count(name) for name in names if engine.table_exists(name)}


def test_bad_rows_go_to_quarantine_with_file_row_field_and_reason(duck: Engine, tmp_path: Path) -> None:
    path = _tmall(tmp_path / "orders.csv", [
        "1,a,10,交易成功,2024-03-01,背心,1",
        "2,b,12元5角,交易成功,2024-03-01,背心,1",
        "3,c,10,交易成功,2024-02-30,背心,1",
        "4,,10,交易成功,2024-03-01,背心,1",
        "5,e,10,已签收未知,2024-03-01,背心,1",
        "6,f,10,交易成功",
    ])
    report = import_file(duck, "tmall", path)
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (6, 1, 5)
    rows = duck.query("SELECT _file, _row, field, reason, raw_text FROM quarantine ORDER BY _row").to_pylist()
    assert [(r["_row"], r["field"]) for r in rows] == [
        (3, "买家实际支付金额"), (4, "订单创建时间"), (5, "买家会员名"), (6, "订单状态"), (7, None)]
    assert rows[0]["_file"] == str(path)
    assert rows[0]["reason"] == ("买家实际支付金额 (amount_paid): not an amount: '12元5角' "
                                 "(at most 2 decimals; thousands separators every 3 digits)")
    assert rows[2]["reason"] == "missing required field 买家会员名 (channel_uid)"
    assert "已签收未知" in rows[3]["reason"]
    assert rows[4]["reason"] == "expected 7 columns as in the header, found 4"
    assert '"买家实际支付金额": "12元5角"' in rows[0]["raw_text"]
    assert [p.row for p in report.problems] == [3, 4, 5, 6, 7]
    log = duck.query("SELECT rows_read, rows_loaded, rows_quarantined, status FROM import_log").to_pylist()
    assert log == [{"rows_read": 6, "rows_loaded": 1, "rows_quarantined": 5, "status": "quarantined"}]


def test_reimport_changes_nothing_and_an_overlapping_export_adds_only_new_rows(duck: Engine, tmp_path: Path) -> None:
    week1 = _tmall(tmp_path / "week1.csv", [*_orders(100), "bad,x,abc,交易成功,2024-03-01,背心,1"])
    first = import_file(duck, "tmall", week1)
    after_first = _counts(duck)
    again = import_file(duck, "tmall", week1)
    assert (again.rows_read, again.rows_loaded, again.rows_duplicate) == (101, 0, 100)
    assert sum(again.added.values()) == 0
    after_again = _counts(duck)
    assert after_again == {**after_first, "import_log": after_first["import_log"] + 1}
    assert first.rows_loaded == 100
    week2 = _tmall(tmp_path / "week2.csv", _orders(100, start=60))  # 40 rows overlap week 1
    second = import_file(duck, "tmall", week2)
    assert (second.rows_loaded, second.rows_duplicate) == (60, 40)
    assert duck.row_count("raw_order") == 160


def test_an_error_after_batches_were_written_leaves_the_warehouse_unchanged(duck: Engine, tmp_path: Path) -> None:
    import_file(duck, "tmall", _tmall(tmp_path / "before.csv", _orders(10)))
    before = _counts(duck)
    lines = _orders(5000)
    # valid UTF-8 for the first 64 KiB (so it is detected as UTF-8), then a GBK-encoded row deep in the file
    good = ("\n".join([HEADER, *lines[:4000]]) + "\n").encode("utf-8")
    bad = "9999,坏行,10,交易成功,2024-03-01,背心,1\n".encode("gbk")
    rest = ("\n".join(lines[4000:]) + "\n").encode("utf-8")
    path = tmp_path / "mixed.csv"
    path.write_bytes(good + bad + rest)
    with pytest.raises(FileFormatError, match=r"mixed\.csv.*--encoding"):
        import_file(duck, "tmall", path, batch_rows=500)
    assert _counts(duck) == before
    # the fixed file then imports cleanly
    path.write_bytes(good + bad.decode("gbk").encode("utf-8") + rest)
    report = import_file(duck, "tmall", path, batch_rows=500)
    assert report.rows_quarantined == 0 and report.rows_loaded == 5001 - 10


def test_large_file_streams_in_batches(duck: Engine, tmp_path: Path) -> None:
    n = 50_000
    ids = pa.array([str(100_000 + i) for i in range(n)])
    table = pa.table({
        "订单编号": ids, "买家会员名": pa.array([f"b{i % 1000}" for i in range(n)]),
        "买家实际支付金额": pa.array(["¥1,000.00"] * n), "订单状态": pa.array(["交易成功"] * n),
        "订单创建时间": pa.array(["2024/3/1 12:00"] * n), "宝贝标题": pa.array(["背心"] * n),
        "宝贝总数量": pa.array(["1"] * n),
    })
    path = tmp_path / "big.csv"
    pacsv.write_csv(table, path)
    seen: list[int] = []
    report = import_file(duck, "tmall", path, batch_rows=1000, progress=lambda done, total, unit: seen.append(done))
    assert report.batches > 1
    assert report.rows_loaded == n and duck.row_count("raw_order") == n
    assert len(seen) == report.batches and seen == sorted(seen) and seen[-1] == path.stat().st_size
    assert duck.scalar("SELECT max(_row) FROM raw_order") == n + 1
    assert duck.scalar("SELECT min(_row) FROM raw_order") == 2


def test_a_repeated_row_is_stored_once_with_its_first_row_number_across_batches(
    duck: Engine, tmp_path: Path
) -> None:
    lines = _orders(30)
    path = _tmall(tmp_path / "repeats.csv", [*lines, lines[3], lines[3], *_orders(5, start=30)])
    report = import_file(duck, "tmall", path, batch_rows=7)  # the repeats land in later batches
    assert (report.rows_read, report.rows_loaded, report.rows_duplicate) == (37, 35, 2)
    assert duck.query("SELECT _row FROM raw_order WHERE order_id = '1003'").column(0).to_pylist() == [5]
    assert duck.row_count("raw_order") == 35


def test_staged_batches_never_reach_the_warehouse_file(duck: Engine, tmp_path: Path) -> None:
    """Batches wait in a connection-private temporary table: the file shows nothing until the commit."""
    assert isinstance(duck, DuckDBEngine)
    path = _tmall(tmp_path / "orders.csv", _orders(200))
    seen: list[list[str]] = []

    def look(done: int, total: int | None, unit: str) -> None:
        other = DuckDBEngine(duck.path)  # another connection to the same file
        try:
            staged = [t for t in other.tables() if t.startswith("_import_")]
            seen.append([*staged, str(other.row_count("raw_order"))])
        finally:
            other.close()

    import_file(duck, "tmall", path, batch_rows=50, progress=look)
    assert seen and all(s == ["0"] for s in seen)
    assert duck.row_count("raw_order") == 200
    assert not [t for t in duck.tables() if t.startswith("_import_")]


def test_missing_required_header_fails_before_loading_anything(duck: Engine, tmp_path: Path) -> None:
    path = tmp_path / "wrong.csv"
    path.write_text("订单号码,买家会员名\n1,a\n", encoding="utf-8")
    before = _counts(duck)
    with pytest.raises(MissingHeaderError) as info:
        import_file(duck, "tmall", path)
    message = str(info.value)
    assert "wrong.csv" in message and "order_id" in message
    assert "订单编号, 订单号, order_id" in message and "headers found: 订单号码, 买家会员名" in message
    assert _counts(duck) == before


def test_headers_match_despite_bom_spaces_and_full_width_spaces(duck: Engine, tmp_path: Path) -> None:
    path = tmp_path / "spaces.csv"
    path.write_bytes(("\ufeff 订单编号 ,买家会员名\u3000,买家实际支付金额,订单状态,订单创建时间\n"
                      "1,a,10,交易成功,2024-03-01\n").encode("utf-8"))
    assert import_file(duck, "tmall", path).rows_loaded == 1


def test_custom_mapping_for_another_layout(duck: Engine, tmp_path: Path) -> None:
    mapping = tmp_path / "pdd.toml"
    mapping.write_text(
        """
source = "pdd"
channel = "pinduoduo"
description = "Pinduoduo orders"

[fields]
order_id = { headers = ["订单号"], type = "id", required = true }
channel_uid = { headers = ["用户ID"], type = "id", required = true }
amount_paid = { headers = ["商家实收金额(元)"], type = "amount", required = true }
status = { headers = ["订单状态"], type = "map", map = "pdd_status", required = true }
created_at = { headers = ["订单成交时间"], type = "datetime", required = true }

[maps.pdd_status]
"已发货，待收货" = "paid"
"已收货" = "paid"
"未发货，退款成功" = "refunded"

[[targets]]
table = "raw_order"
fields = ["order_id", "channel_uid", "amount_paid", "status", "created_at"]
""",
        encoding="utf-8",
    )
    data = tmp_path / "pdd.csv"
    data.write_text("订单号,用户ID,商家实收金额(元),订单状态,订单成交时间\n"
                    "240301-01,u9,19.9,已收货,2024-03-01 08:00:00\n"
                    "240301-02,u8,29.9,未发货，退款成功,2024-03-01 09:00:00\n"
                    "240301-03,u7,9.9,交易关闭,2024-03-01 10:00:00\n", encoding="utf-8")
    report = import_file(duck, mapping, data)
    assert report.source == "pdd" and report.rows_loaded == 2
    rows = duck.query("SELECT channel, order_id, status, _source FROM raw_order ORDER BY order_id").to_pylist()
    assert [(r["channel"], r["status"], r["_source"]) for r in rows] == [
        ("pinduoduo", "paid", "pdd"), ("pinduoduo", "refunded", "pdd")]
    # a map of the mapping's own holds only its own values: 交易关闭 is not a Pinduoduo status
    assert "unknown value '交易关闭'; allowed: 已发货，待收货, 已收货, 未发货，退款成功" in report.problems[0].reason


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[fields]\nx = { headers = ["a"], type = "money" }\n[[targets]]\ntable = "raw_order"\nfields = ["x"]',
         "unknown type 'money'"),
        ('[fields]\norder_id = { headers = ["a"] }\n[[targets]]\ntable = "raw_orders"\nfields = ["order_id"]',
         "unknown target table 'raw_orders'"),
        ('[fields]\nfoo = { headers = ["a"] }\n[[targets]]\ntable = "raw_order"\nfields = ["foo"]',
         "raw_order has no column 'foo'"),
        ('[fields]\nstatus = { headers = ["a"], type = "map", map = "nope" }\n'
         '[[targets]]\ntable = "raw_order"\nfields = ["status"]', "unknown map 'nope'"),
        ('[fields]\nsku = { headers = ["s"] }\nlaunched_at = { headers = ["a"], type = "text" }\n'
         '[[targets]]\ntable = "raw_product"\nfields = ["sku", "launched_at"]', "has type text"),
        ('[fields]\norder_id = { headers = ["a"], requried = true }\n'
         '[[targets]]\ntable = "raw_order"\nfields = ["order_id"]', "unknown key 'requried'; did you mean 'required'?"),
        ("[fields\n", "not valid TOML"),
    ],
)
def test_mapping_mistakes_are_named(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(MappingError, match=r"bad\.toml") as info:
        load_mapping(path)
    assert message in str(info.value)


def test_imported_rows_hash_like_the_demo_direct_write(duck: Engine, tmp_path: Path) -> None:
    """The demo writes raw rows with `add_meta`; importing its export of the same rows must add nothing."""
    path = _tmall(tmp_path / "o.csv", ["77,buyer,¥12.50,交易成功,2024/3/1 12:00,背心,2"])
    import_file(duck, "tmall", path)
    direct = pa.table({
        "channel": ["tmall"], "order_id": ["77"], "channel_uid": ["buyer"],
        "created_at": pa.array([dt.datetime(2024, 3, 1, 12)]), "amount_paid": pa.array([12.5]),
        "status": ["paid"], "status_raw": ["交易成功"],
    })
    staged = add_meta(direct, "tmall", "demo", None, dt.datetime.now(), target="raw_order")
    assert duck.append_new("raw_order", staged, key="_row_hash") == 0


def test_unknown_file_type_and_empty_file(duck: Engine, tmp_path: Path) -> None:
    doc = tmp_path / "orders.docx"
    doc.write_bytes(b"PK")
    with pytest.raises(FileFormatError, match=r"unknown file type \.docx"):
        import_file(duck, "tmall", doc)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(FileFormatError, match="empty"):
        import_file(duck, "tmall", empty)


def _typed_parquet(path: Path) -> Path:
    """A Tmall export with typed columns, padded cells and one amount that is not a number."""
    table = pa.table({
        "订单编号": ["T1", " T2 ", "T3"],
        "买家会员名": ["tb_a", "tb_b", "tb_c"],
        "买家实际支付金额": pa.array([12.5, 99.0, float("nan")]),
        "订单状态": ["交易成功", " 交易关闭", "交易成功"],
        "收货人姓名": ["张**", None, "李*"],
        "收货地址": ["浙江省 杭州市 西湖区 文三路1号", "上海市浦东新区世纪大道2号", ""],
        "联系手机": ["138****5678", "", None],
        "订单创建时间": pa.array([dt.datetime(2024, 3, 1, 12), dt.datetime(2024, 3, 2, 8, 30, 5),
                                  dt.datetime(2024, 3, 3)]),
        "宝贝标题": ["背心\u3000", "睡衣", "袜子"],
        "宝贝总数量": pa.array([2, 1, 1]),
    })
    pq.write_table(table, path)
    return path


def test_row_hashes_equal_those_stored_by_earlier_versions(duck: Engine, tmp_path: Path) -> None:
    """Hashes an earlier siyu (f0c82bd) stored for this file: a re-import after any speed-up must add nothing.

    Quarantine entries are keyed by file, row and field since schema 2 (so they include the file's path)."""
    report = import_file(duck, "tmall", _typed_parquet(tmp_path / "t.parquet"), batch_rows=2)
    assert [p.reason for p in report.problems] == [
        "买家实际支付金额 (amount_paid): not an amount: 'nan' "
        "(at most 2 decimals; thousands separators every 3 digits)"]
    stored = {t: duck.query(f"SELECT _row_hash FROM {t} ORDER BY _row").column(0).to_pylist()
              for t in ("raw_order", "raw_order_item", "raw_identity")}
    assert stored == {
        "raw_order": ["0c50773cda88709bd70a58716a19b72d", "31a440e0334b29636a506f0caa60a30f"],
        "raw_order_item": ["84308b6c035d127356abd5e6d8bfde60", "3108d89432777ec28381112cc8740106"],
        "raw_identity": ["1d4f74f8167f7cc8561aaf5f99cf59eb", "5428f5fc9998101a38e6cc76440751e7"],
    }
    identity = duck.query("SELECT province, city, district, address FROM raw_identity ORDER BY _row").to_pylist()
    assert identity[1] == {"province": "上海市", "city": "上海市", "district": "浦东新区", "address": "世纪大道2号"}


def test_the_same_orders_as_csv_and_as_typed_parquet_are_the_same_rows(duck: Engine, tmp_path: Path) -> None:
    """The text path (CSV) and the typed path (Parquet) parse to the same values, so to the same hashes."""
    csv = _tmall(tmp_path / "o.csv", [" 77 ,buyer,¥12.50,交易成功,2024/3/1 12:00,背心,2"])
    assert import_file(duck, "tmall", csv).rows_loaded == 1
    pq.write_table(pa.table({
        "订单编号": ["77"], "买家会员名": ["buyer"], "买家实际支付金额": pa.array([12.5]),
        "订单状态": ["交易成功"], "订单创建时间": pa.array([dt.datetime(2024, 3, 1, 12)]),
        "宝贝标题": ["背心"], "宝贝总数量": pa.array([2]),
    }), tmp_path / "o.parquet")
    again = import_file(duck, "tmall", tmp_path / "o.parquet")
    assert (again.rows_loaded, again.rows_duplicate) == (0, 1)


def test_a_first_batch_of_only_bad_rows_still_stages_the_good_ones_after_it(duck: Engine, tmp_path: Path) -> None:
    path = _tmall(tmp_path / "o.csv", ["1,a,abc,交易成功,2024-03-01,背心,1", *_orders(3)])
    report = import_file(duck, "tmall", path, batch_rows=1)
    assert (report.rows_loaded, report.rows_quarantined, report.batches) == (3, 1, 4)
    assert duck.row_count("raw_order") == 3
