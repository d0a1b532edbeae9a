"""Careless and hostile input to `siyu import`: nothing guessed, nothing lost, no traceback, a retry harmless."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from siyu.engine import Engine
from siyu.engine.duckdb_engine import DuckDBEngine
from siyu.ingest.importer import import_file
from siyu.ingest.mapping import MappingError, load_mapping
from siyu.ingest.parse import DuplicateHeaderError

TMALL = "订单编号,买家会员名,买家实际支付金额,订单状态,订单创建时间,宝贝总数量"
STORE = "单据号,会员卡号,会员姓名,生日,销售时间,实收金额,单据类型"


def _csv(path: Path, header: str, lines: list[str]) -> Path:
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def _counts(engine: Engine) -> dict[str, int]:
    names = ["raw_order", "raw_order_item", "raw_identity", "quarantine", "import_log"]
    return {name: engine.row_count(name) for name in names if engine.table_exists(name)}


def siyu(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SIYU_WAREHOUSE"} | {"COLUMNS": "250"}
    return subprocess.run([sys.executable, "-m", "siyu", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)


# --- times ----------------------------------------------------------------------------------------------
def test_zoned_parquet_timestamps_are_stored_as_the_brands_wall_clock_time(duck: Engine, tmp_path: Path) -> None:
    shanghai = dt.datetime(2024, 3, 1, 10, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    pq.write_table(pa.table({
        "订单编号": ["1", "2", "3"], "买家会员名": ["a", "b", "c"], "买家实际支付金额": [10, 10, 10],
        "订单状态": ["交易成功"] * 3,
        "订单创建时间": pa.array([shanghai, shanghai, shanghai.astimezone(dt.UTC)],
                                 pa.timestamp("us", tz="Asia/Shanghai")),
        "订单付款时间": pa.array([dt.datetime(2024, 3, 1, 10, 2)] * 3, pa.timestamp("us", tz="UTC")),
    }), tmp_path / "zoned.parquet")
    import_file(duck, "tmall", tmp_path / "zoned.parquet")
    rows = duck.query("SELECT created_at, paid_at FROM raw_order ORDER BY order_id").to_pylist()
    assert {r["created_at"] for r in rows} == {dt.datetime(2024, 3, 1, 10, 1)}
    assert {r["paid_at"] for r in rows} == {dt.datetime(2024, 3, 1, 18, 2)}  # 10:02 UTC is 18:02 in Shanghai


def test_the_brand_time_zone_decides_and_text_offsets_are_converted(duck: Engine, tmp_path: Path) -> None:
    path = _csv(tmp_path / "o.csv", TMALL, ["1,a,10,交易成功,2024-03-01T02:01:00Z,1",
                                            "2,b,10,交易成功,2024-03-01 10:01:00+08:00,1",
                                            "3,c,10,交易成功,2024-03-01 03:01:00,1"])
    import_file(duck, "tmall", path, timezone="Europe/Berlin")
    assert duck.query("SELECT created_at FROM raw_order ORDER BY order_id").column(0).to_pylist() == [
        dt.datetime(2024, 3, 1, 3, 1)] * 3  # a naive time is already wall-clock time


# --- numbers and dates that used to be guessed ------------------------------------------------------------
def test_guessed_numbers_and_dates_are_refused_with_the_value(duck: Engine, tmp_path: Path) -> None:
    path = _csv(tmp_path / "o.csv", TMALL, [
        '1,a,"¥1,2,3",交易成功,2024-03-01,1', "2,b,1_000,交易成功,2024-03-01,1", "3,c,12.345,交易成功,2024-03-01,1",
        "4,d,10,交易成功,1,1", "5,e,10,交易成功,0001-01-01,1", "6,f,10,交易成功,9999-12-31,1",
        '7,g,"¥1,234.50",交易成功,45352,1',
    ])
    report = import_file(duck, "tmall", path)
    assert (report.rows_loaded, report.rows_quarantined) == (1, 6)
    assert duck.query("SELECT amount_paid, created_at FROM raw_order").to_pylist() == [
        {"amount_paid": pytest.approx(1234.5), "created_at": dt.datetime(2024, 3, 1)}]
    reasons = duck.query("SELECT reason FROM quarantine ORDER BY _row").column(0).to_pylist()
    expected = [("not an amount", "'¥1,2,3'"), ("not an amount", "'1_000'"), ("not an amount", "'12.345'"),
                ("not a date/time", "'1'"), ("not a date/time", "'0001-01-01'"), ("not a date/time", "'9999-12-31'")]
    assert [(what in reason and raw in reason) for reason, (what, raw) in zip(reasons, expected, strict=True)] == [
        True] * 6


def test_duplicate_headers_a_field_reads_are_refused_with_both_columns(duck: Engine, tmp_path: Path) -> None:
    path = _csv(tmp_path / "dup.csv", TMALL + ",买家实际支付金额", ["1,a,10,交易成功,2024-03-01,1,99"])
    with pytest.raises(DuplicateHeaderError, match=r"dup\.csv.*'买家实际支付金额'.*columns 3 and 7"):
        import_file(duck, "tmall", path)
    assert duck.row_count("raw_order") == 0
    # a repeated header no field reads is harmless
    other = _csv(tmp_path / "ok.csv", TMALL + ",备注,备注", ["1,a,10,交易成功,2024-03-01,1,x,y"])
    assert import_file(duck, "tmall", other).rows_loaded == 1


# --- mappings ---------------------------------------------------------------------------------------------
_ORDER_FIELDS = (
    'order_id = { headers = ["id"], type = "id" }\nchannel_uid = { headers = ["who"], type = "id" }\n'
    'created_at = { headers = ["at"], type = "datetime" }\namount_paid = { headers = ["paid"], type = "amount" }\n'
)
_ORDER_TARGET = '[[targets]]\ntable = "raw_order"\nfields = ["order_id", "channel_uid", "created_at", "amount_paid"]\n'


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[fields]\n" + _ORDER_FIELDS.replace('type = "id" }', 'type = "id", required = "no" }', 1) + _ORDER_TARGET,
         "required must be true or false (without quotes), not 'no'"),
        ('[fields]\norder_id = { headers = ["id"], type = "id" }\n[[targets]]\ntable = "raw_order"\n'
         'fields = ["order_id"]\n', "target raw_order must fill channel_uid, created_at, amount_paid"),
        ("[fields]\n" + _ORDER_FIELDS.replace('["id"]', "5") + _ORDER_TARGET, "needs `headers`"),
        ("[fields]\n" + _ORDER_FIELDS.replace('type = "id" }', "type = 3 }", 1) + _ORDER_TARGET, "unknown type 3"),
        ('fields = "order_id"\n' + _ORDER_TARGET, "needs a [fields] table"),
        ("source = 5\n[fields]\n" + _ORDER_FIELDS + _ORDER_TARGET, "source must be non-empty text"),
        ("[fields]\n" + _ORDER_FIELDS + "[maps.x]\na = 1\n" + _ORDER_TARGET, "[maps.x] must be a table"),
        ("[fields]\n" + _ORDER_FIELDS + _ORDER_TARGET.replace('"raw_order"', "1"), "table must be non-empty text"),
        ("[fields]\n" + _ORDER_FIELDS + _ORDER_TARGET.replace('fields = ["order_id", ', 'fields = [1, '),
         "fields must be a list of field names"),
        ("[fields]\n" + _ORDER_FIELDS.replace("type =", "tpye =", 1) + _ORDER_TARGET,
         "unknown key 'tpye'; did you mean 'type'?"),
        ("[feilds]\n" + _ORDER_TARGET, "unknown key 'feilds'; did you mean 'fields'?"),
        ("[fields]\n" + _ORDER_FIELDS + _ORDER_TARGET.replace("raw_order", "raw_ordr"),
         "unknown target table 'raw_ordr'; did you mean 'raw_order'?"),
        ("[fields]\n" + _ORDER_FIELDS + _ORDER_TARGET + "tabel = 1\n", "unknown key 'tabel'; did you mean 'table'?"),
    ],
)
def test_mapping_mistakes_name_the_file_and_the_entry(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "m.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(MappingError, match=r"m\.toml") as info:
        load_mapping(path)
    assert message in str(info.value)


def test_a_mapping_path_that_is_a_folder_is_a_message(tmp_path: Path) -> None:
    (tmp_path / "maps.toml").mkdir()
    with pytest.raises(MappingError, match="is a folder"):
        load_mapping(tmp_path / "maps.toml")


def test_essential_fields_are_required_even_when_the_mapping_does_not_say_so(duck: Engine, tmp_path: Path) -> None:
    """A mapping without `required` must not let an order without an id into raw_order."""
    mapping = tmp_path / "m.toml"
    mapping.write_text(f'source = "m"\nchannel = "m"\n[fields]\n{_ORDER_FIELDS}{_ORDER_TARGET}', encoding="utf-8")
    path = _csv(tmp_path / "o.csv", "id,who,at,paid", ["1,a,2024-03-01,10", ",b,2024-03-01,10", "3,,2024-03-01,10",
                                                       "4,d,,10", "5,e,2024-03-01,"])
    report = import_file(duck, mapping, path)
    assert (report.rows_loaded, report.rows_quarantined) == (1, 4)
    assert duck.scalar("SELECT count(*) FROM raw_order WHERE order_id IS NULL OR amount_paid IS NULL") == 0


def test_cli_mapping_mistakes_exit_2_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "folder.toml").mkdir()
    (tmp_path / "types.toml").write_text('[fields]\norder_id = { headers = 5 }\n', encoding="utf-8")
    _csv(tmp_path / "o.csv", TMALL, ["1,a,10,交易成功,2024-03-01,1"])
    for mapping, needle in (("folder.toml", "is a folder"), ("types.toml", "needs `headers`")):
        out = siyu("import", "o.csv", "--mapping", mapping, "-w", "w.duckdb", cwd=tmp_path)
        assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr
        assert needle in " ".join(out.stderr.split())


# --- a bad optional field keeps its row ---------------------------------------------------------------------
def test_month_day_birthdays_keep_the_sale_and_a_bad_optional_field_is_noted_not_fatal(
    duck: Engine, tmp_path: Path
) -> None:
    path = _csv(tmp_path / "pos.csv", STORE, [
        "S1,M1,张三,05-12,2024-03-01 10:00,100,销售", "S2,M2,李四,5月12日,2024-03-01 11:00,200,销售",
        "S3,M3,王五,--02-29,2024-03-01 12:00,300,销售", "S4,M4,赵六,1990-05-12,2024-03-01 13:00,400,销售",
        "S5,M5,钱七,13-45,2024-03-01 14:00,500,销售",
    ])
    report = import_file(duck, "store", path)
    assert (report.rows_loaded, report.rows_quarantined, report.fields_quarantined) == (5, 0, 1)
    assert duck.row_count("raw_order") == 5  # every sale is in
    people = duck.query("SELECT channel_uid, birthday, birth_month, birth_day FROM raw_identity ORDER BY 1").to_pylist()
    assert [(p["birthday"], p["birth_month"], p["birth_day"]) for p in people] == [
        (None, 5, 12), (None, 5, 12), (None, 2, 29), (dt.date(1990, 5, 12), None, None), (None, None, None)]
    note = duck.query("SELECT _file, _row, field, reason, raw_text FROM quarantine").to_pylist()
    assert note == [{"_file": str(path), "_row": 6, "field": "生日", "raw_text": "13-45",
                     "reason": "生日 (birthday): not a date, or a month and day: '13-45' (like 1990-05-12, 05-12 or "
                               "5月12日); the field was left empty, the row kept"}]
    assert duck.query("SELECT fields_quarantined, status FROM import_log").to_pylist() == [
        {"fields_quarantined": 1, "status": "quarantined"}]
    before = _counts(duck)
    again = import_file(duck, "store", path)  # a retry changes nothing but the log
    assert sum(again.added.values()) == 0
    assert _counts(duck) == {**before, "import_log": before["import_log"] + 1}


def test_cli_exits_1_when_a_field_was_emptied(tmp_path: Path) -> None:
    _csv(tmp_path / "o.csv", TMALL, ["1,a,10,交易成功,2024-03-01,2.5"])
    out = siyu("import", "o.csv", "-s", "tmall", "-w", "w.duckdb", cwd=tmp_path)
    assert out.returncode == 1, out.stderr
    assert "--allow-bad" in out.stderr and "not a whole number: '2.5'" in out.stdout
    with DuckDBEngine(tmp_path / "w.duckdb") as eng:
        assert eng.query("SELECT order_id, qty FROM raw_order_item").to_pylist() == [{"order_id": "1", "qty": None}]


# --- interrupts -------------------------------------------------------------------------------------------------
def test_ctrl_c_during_an_import_leaves_nothing_half_written_and_a_retry_works(duck: Engine, tmp_path: Path) -> None:
    import_file(duck, "tmall", _csv(tmp_path / "first.csv", TMALL, ["1,a,10,交易成功,2024-03-01,1"]))
    before = _counts(duck)
    lines = [f"{100 + i},b{i},10,交易成功,2024-03-01,x" for i in range(50)]  # qty x: field entries too
    path = _csv(tmp_path / "big.csv", TMALL, lines)
    seen = 0

    def interrupt(done: int, total: int | None, unit: str) -> None:
        nonlocal seen
        seen += 1
        if seen == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        import_file(duck, "tmall", path, batch_rows=10, progress=interrupt)
    assert _counts(duck) == before
    assert not [t for t in duck.tables() if t.startswith("_import_")]
    report = import_file(duck, "tmall", path, batch_rows=10)
    assert (report.rows_loaded, report.fields_quarantined) == (50, 50)


def test_a_birthday_without_a_year_reaches_the_clean_identities(duck: Engine, tmp_path: Path) -> None:
    from siyu.ingest.normalise import normalise

    path = _csv(tmp_path / "pos.csv", STORE, ["S1,M1,张三,05-12,2024-03-01 10:00,100,销售",
                                              "S4,M4,赵六,1990-06-30,2024-03-01 13:00,400,销售"])
    import_file(duck, "store", path)
    normalise(duck)
    rows = duck.query("SELECT channel_uid, birthday, birth_month, birth_day FROM identities ORDER BY 1").to_pylist()
    assert rows == [
        {"channel_uid": "M1", "birthday": None, "birth_month": 5, "birth_day": 12},
        {"channel_uid": "M4", "birthday": dt.date(1990, 6, 30), "birth_month": 6, "birth_day": 30},
    ]


def test_an_unknown_time_zone_is_refused_before_reading(duck: Engine, tmp_path: Path) -> None:
    path = _csv(tmp_path / "o.csv", TMALL, ["1,a,10,交易成功,2024-03-01,1"])
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Phobos'"):
        import_file(duck, "tmall", path, timezone="Mars/Phobos")
    assert duck.row_count("raw_order") == 0


def test_a_schema_1_warehouse_is_migrated_and_then_imports(tmp_path: Path) -> None:
    """Schema 2 adds raw_identity.birth_month/birth_day and import_log.encoding/fields_quarantined; a schema-1
    warehouse goes through every later version too."""
    from siyu.schema import SCHEMA_VERSION, migrate

    with DuckDBEngine(tmp_path / "old.duckdb") as eng:
        migrate(eng)
        for table, column in (("raw_identity", "birth_month"), ("raw_identity", "birth_day"),
                              ("import_log", "encoding"), ("import_log", "fields_quarantined")):
            eng.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        eng.execute("DELETE FROM schema_version")
        eng.execute("INSERT INTO schema_version VALUES (1, TIMESTAMP '2026-11-01 00:00:00')")
    with DuckDBEngine(tmp_path / "old.duckdb") as eng:
        assert migrate(eng) == SCHEMA_VERSION >= 2
        assert eng.scalar("SELECT max(version) FROM schema_version") == SCHEMA_VERSION
        import_file(eng, "store", _csv(tmp_path / "pos.csv", STORE, ["S1,M1,张三,05-12,2024-03-01 10:00,100,销售"]))
        assert eng.query("SELECT birth_month, birth_day FROM raw_identity").to_pylist() == [
            {"birth_month": 5, "birth_day": 12}]
        assert eng.query("SELECT encoding, fields_quarantined FROM import_log").to_pylist() == [
            {"encoding": "utf-8", "fields_quarantined": 0}]
