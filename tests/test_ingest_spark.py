"""An import on Spark stores exactly what the same import stores on DuckDB (parity), and is idempotent there too."""

from __future__ import annotations

from pathlib import Path

import pytest

from siyu.engine import Engine
from siyu.ingest.importer import import_file

TABLES = {
    "raw_order": "order_id, status",
    "raw_order_item": "order_id, sku",
    "raw_identity": "channel_uid, address",
    "quarantine": "_row",
}


def _export(tmp_path: Path) -> Path:
    path = tmp_path / "jd.csv"
    path.write_bytes((
        "订单号,下单帐号,客户姓名,客户地址,联系电话,下单时间,应付金额,订单状态,商品名称,商品ID,订购数量,京东价\n"
        "501,pin_a,王五,北京市 北京市 朝阳区 建国路88号,13800001111,2024/3/5 9:30,268.5,已完成,睡衣,S1,1,200\n"
        "501,pin_a,王五,北京市 北京市 朝阳区 建国路88号,13800001111,2024/3/5 9:30,268.5,已完成,袜子,S2,2,34.25\n"
        "502,pin_b,赵六,四川省成都市武侯区天府大道1号,13900002222,45356.75,\"¥1,080\",已取消,外套,S3,1,1080\n"
        "503,pin_c,钱七,,13900003333,2024-03-06,abc,已完成,外套,S3,1,1080\n"
    ).encode("gb18030"))
    return path


def _snapshot(engine: Engine) -> dict[str, list[dict[str, object]]]:
    out = {}
    for table, order in TABLES.items():
        rows = engine.query(f"SELECT * FROM {table} ORDER BY {order}").to_pylist()
        out[table] = [{k: v for k, v in r.items() if k not in ("_ingested_at", "import_id", "_file")} for r in rows]
    return out


@pytest.mark.spark
def test_spark_import_equals_duckdb_import(duck: Engine, spark: Engine, tmp_path: Path) -> None:
    path = _export(tmp_path)
    on_duck = import_file(duck, "jd", path)
    on_spark = import_file(spark, "jd", path)
    assert (on_spark.rows_loaded, on_spark.rows_quarantined, on_spark.added) == (
        on_duck.rows_loaded, on_duck.rows_quarantined, on_duck.added)
    assert _snapshot(spark) == _snapshot(duck)
    again = import_file(spark, "jd", path)
    assert sum(again.added.values()) == 0 and spark.row_count("quarantine") == 1
    assert spark.row_count("import_log") == 2


@pytest.mark.spark
def test_spark_keeps_rows_with_bad_optional_fields_like_duckdb(duck: Engine, spark: Engine, tmp_path: Path) -> None:
    """Field-level quarantine, birthdays without a year and strict values store the same on both engines."""
    path = tmp_path / "pos.csv"
    path.write_text(
        "单据号,会员卡号,会员姓名,生日,销售时间,实收金额,单据类型,数量\n"
        "S1,M1,张三,05-12,2024-03-01T02:00:00Z,100,销售,1\n"
        "S2,M2,李四,13-45,2024-03-01 11:00,200,销售,x\n"
        "S3,M3,王五,1990-05-12,2024-03-01 12:00,12.345,销售,1\n", encoding="utf-8")
    on_duck = import_file(duck, "store", path)
    on_spark = import_file(spark, "store", path)
    counts = ("rows_loaded", "rows_quarantined", "fields_quarantined", "added")
    assert [getattr(on_spark, c) for c in counts] == [getattr(on_duck, c) for c in counts]
    assert (on_duck.rows_loaded, on_duck.rows_quarantined, on_duck.fields_quarantined) == (2, 1, 2)

    def snapshot(engine: Engine) -> list[list[dict[str, object]]]:
        return [engine.query(sql).to_pylist() for sql in (
            "SELECT channel_uid, birthday, birth_month, birth_day, _row_hash FROM raw_identity ORDER BY channel_uid",
            "SELECT order_id, created_at, amount_paid, _row_hash FROM raw_order ORDER BY order_id",
            "SELECT _row, field, reason, raw_text, _row_hash FROM quarantine ORDER BY _row, field",
        )]

    assert snapshot(spark) == snapshot(duck)
    again = import_file(spark, "store", path)
    assert sum(again.added.values()) == 0 and spark.row_count("quarantine") == 3
