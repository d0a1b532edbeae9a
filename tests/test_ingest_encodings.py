"""Text is never silently corrupted: the encoding is decided from the bytes, reported, refused when unclear,
and lines that do not decode go to the quarantine by file and row instead of in with U+FFFD."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from siyu.engine import Engine
from siyu.engine.duckdb_engine import DuckDBEngine
from siyu.ingest.encodings import EncodingError, detect
from siyu.ingest.importer import import_file

HEADER = "订单编号,买家会员名,买家实际支付金额,订单状态,订单创建时间,收货人姓名,收货地址"
ROWS = [
    ("1", "tb_a", "10", "交易成功", "2024-03-01", "张三", "浙江省杭州市西湖区文三路1号"),
    ("2", "tb_b", "12.5", "交易成功", "2024-03-02", "李四", "上海市浦东新区世纪大道2号"),
]
ASCII_HEADER = "order_id,buyer_nick,amount_paid,status,created_at,receiver_name,address"
BIG5_ROWS = [
    ("1", "tb_a", "10", "交易成功", "2024-03-01", "陳大文", "台北市信義區松高路1號"),
    ("2", "tb_b", "12.5", "交易成功", "2024-03-02", "張國榮", "香港九龍旺角彌敦道"),
]


def _record(row: tuple[str, ...]) -> dict[str, str]:
    return dict(zip(HEADER.split(","), row, strict=True))


def _stored_text(duck: Engine) -> list[str]:
    rows = duck.query("SELECT name, address, province FROM raw_identity ORDER BY _row").to_pylist()
    return [" ".join(str(v) for v in r.values() if v) for r in rows]


def test_jsonl_lines_in_another_encoding_are_quarantined_by_row_never_stored_garbled(
    duck: Engine, tmp_path: Path
) -> None:
    lines = [json.dumps(_record(r), ensure_ascii=False).encode("utf-8") for r in ROWS * 3]
    # rows 4 and 5 come from a GB18030 system; both garble to the same text under errors="replace"
    lines[3] = json.dumps(_record(("7", "tb_g", "10", "交易成功", "2024-03-03", "王五", "北京市朝阳区")),
                          ensure_ascii=False).encode("gb18030")
    lines[4] = json.dumps(_record(("8", "tb_h", "10", "交易成功", "2024-03-03", "赵六", "天津市和平区")),
                          ensure_ascii=False).encode("gb18030")
    path = tmp_path / "orders.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    report = import_file(duck, "tmall", path)
    assert report.encoding == "utf-8"
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (6, 2, 2)  # 2 distinct, 2 repeats
    assert not any("\ufffd" in text for text in _stored_text(duck))
    rows = duck.query("SELECT _file, _row, reason FROM quarantine ORDER BY _row").to_pylist()
    assert [(r["_file"], r["_row"]) for r in rows] == [(str(path), 4), (str(path), 5)]
    assert all("not valid utf-8" in r["reason"] for r in rows)
    again = import_file(duck, "tmall", path)  # a retry adds nothing, quarantine included
    assert sum(again.added.values()) == 0 and duck.row_count("quarantine") == 2


def test_distinct_bad_rows_that_read_alike_are_all_kept_in_the_quarantine(duck: Engine, tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(f"{HEADER}\n" + "".join(f"{i},,10,交易成功,2024-03-01,,\n" for i in (1, 1, 1)), encoding="utf-8")
    report = import_file(duck, "tmall", path)
    assert report.rows_quarantined == 3
    assert duck.query("SELECT _row FROM quarantine ORDER BY _row").column(0).to_pylist() == [2, 3, 4]


def test_jsonl_keys_first_seen_late_in_the_file_are_read(duck: Engine, tmp_path: Path) -> None:
    records = [{"订单编号": str(i), "买家会员名": f"b{i}", "买家实际支付金额": "10", "订单状态": "交易成功",
                "订单创建时间": "2024-03-01"} for i in range(1500)]
    records[1200]["收货人姓名"] = "迟到的名字"
    path = tmp_path / "late.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")
    assert import_file(duck, "tmall", path).rows_loaded == 1500
    assert duck.query("SELECT name FROM raw_identity WHERE name IS NOT NULL").column(0).to_pylist() == ["迟到的名字"]


@pytest.mark.parametrize(
    ("encoding", "rows", "reported"),
    [("gb18030", ROWS, "gb18030"), ("big5", BIG5_ROWS, "big5"), ("utf-16", ROWS, "utf-16"),
     ("utf-8-sig", ROWS, "utf-8-sig"), ("utf-8", ROWS, "utf-8")],
)
def test_each_encoding_is_detected_read_exactly_and_reported(
    duck: Engine, tmp_path: Path, encoding: str, rows: list[tuple[str, ...]], reported: str
) -> None:
    header = HEADER if encoding != "big5" else ASCII_HEADER
    body = "\n".join([header, *(",".join(r) for r in rows)]) + "\n"
    path = tmp_path / f"{encoding}.csv"
    path.write_bytes(body.encode(encoding))
    report = import_file(duck, "tmall", path)
    assert (report.encoding, report.rows_loaded) == (reported, 2)
    names = duck.query("SELECT name FROM raw_identity ORDER BY _row").column(0).to_pylist()
    assert names == [r[5] for r in rows]
    assert duck.query("SELECT encoding FROM import_log").column(0).to_pylist() == [reported]


def test_latin1_with_ascii_headers_is_refused_not_read_as_chinese(duck: Engine, tmp_path: Path) -> None:
    path = tmp_path / "eu.csv"
    path.write_bytes("order_id,buyer_nick,amount_paid,status,created_at,receiver_name\n"
                     "1,a,10,交易成功,2024-03-01,José\n".replace("交易成功", "paid").encode("latin-1"))
    with pytest.raises(EncodingError, match=r"eu\.csv.*--encoding"):
        import_file(duck, "tmall", path)
    assert duck.row_count("raw_order") == 0
    report = import_file(duck, "tmall", path, encoding="latin-1")  # the user names it: read as given
    assert report.encoding == "latin-1"
    assert duck.query("SELECT name FROM raw_identity").column(0).to_pylist() == ["José"]


def test_undecidable_bytes_are_refused_with_both_readings() -> None:
    sample = "name\nCrème brûlée\n".encode("latin-1").replace(b"\xfb", b"\xfbl")
    with pytest.raises(EncodingError, match=r"cannot tell|not UTF-8"):
        detect(Path("x.csv"), sample)


def test_a_mapping_names_its_files_encoding(duck: Engine, tmp_path: Path) -> None:
    mapping = tmp_path / "eu.toml"
    mapping.write_text(
        'source = "eu"\nchannel = "eu"\nencoding = "cp1252"\n[fields]\n'
        'order_id = { headers = ["id"], type = "id" }\nchannel_uid = { headers = ["who"], type = "id" }\n'
        'created_at = { headers = ["at"], type = "datetime" }\namount_paid = { headers = ["paid"], type = "amount" }\n'
        '[[targets]]\ntable = "raw_order"\nfields = ["order_id", "channel_uid", "created_at", "amount_paid"]\n',
        encoding="utf-8",
    )
    path = tmp_path / "eu.csv"
    path.write_bytes("id,who,at,paid\n1,Zoë €,2024-03-01,10\n".encode("cp1252"))
    report = import_file(duck, mapping, path)
    assert report.encoding == "cp1252"
    assert duck.query("SELECT channel_uid FROM raw_order").column(0).to_pylist() == ["Zoë €"]


def test_cli_reports_the_encoding_and_refuses_an_unclear_one_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "big5.csv").write_bytes(
        ("\n".join([ASCII_HEADER, *(",".join(r) for r in BIG5_ROWS)]) + "\n").encode("big5"))
    (tmp_path / "eu.csv").write_bytes(b"order_id,buyer_nick\n1,Jos\xe9\n")
    env = {k: v for k, v in os.environ.items() if k != "SIYU_WAREHOUSE"} | {"COLUMNS": "250"}

    def siyu(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "siyu", *args, "-w", "w.duckdb"], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=300)

    ok = siyu("import", "big5.csv", "-s", "tmall")
    assert ok.returncode == 0, ok.stderr
    assert "big5" in ok.stdout
    refused = siyu("import", "eu.csv", "-s", "tmall")
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "eu.csv" in refused.stderr and "--encoding" in refused.stderr
    with DuckDBEngine(tmp_path / "w.duckdb") as eng:
        assert eng.query("SELECT name FROM raw_identity ORDER BY _row").column(0).to_pylist() == ["陳大文", "張國榮"]
