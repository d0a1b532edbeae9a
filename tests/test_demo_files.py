"""The demo's export files: each channel's own format, readable by the importers, equal to direct mode."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook

from siyu.demo.brand import DemoBrand, generate
from siyu.demo.build import build_demo, truth_paths
from siyu.demo.config import DemoConfig
from siyu.demo.files import write_files
from siyu.demo.mappings import headers


@pytest.fixture(scope="module")
def small() -> DemoBrand:
    return generate(DemoConfig(persons=400, seed=2))


@pytest.fixture(scope="module")
def files(small: DemoBrand, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return dict(write_files(small.exports.items(), tmp_path_factory.mktemp("files"), seed=2))


def test_tmall_is_gb18030_with_excel_styled_rows(files: dict[str, Path]) -> None:
    raw = files["tmall"].read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("gb18030")
    first = text.splitlines()[0]
    assert [h for _, h, _ in headers("tmall")] == [h.strip('"') for h in first.split(",")]
    assert "¥" in text and "交易成功" in text
    assert re.search(r"\b20\d\d/\d{1,2}/\d{1,2} \d{1,2}:\d\d\b", text)  # how Excel re-saves dates
    assert re.search(r"\b20\d\d-\d\d-\d\d \d\d:\d\d:\d\d\b", text)


def test_jd_is_xlsx(small: DemoBrand, tmp_path: Path) -> None:
    written = write_files([("jd", small.exports["jd"])], tmp_path)
    assert [p.suffix for _, p in written] == [".xlsx"]
    sheet = load_workbook(written[0][1], read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == [h for _, h, _ in headers("jd")]
    assert len(rows) == small.exports["jd"].num_rows + 1


def test_a_large_jd_export_is_split_into_xlsx_and_csv_at_an_order_boundary(tmp_path: Path) -> None:
    jd = generate(DemoConfig(persons=4000, seed=2)).exports["jd"]
    written = write_files([("jd", jd)], tmp_path)
    assert [p.suffix for _, p in written] == [".xlsx", ".csv"]
    early = {r[0] for r in load_workbook(written[0][1], read_only=True).active.iter_rows(min_row=2, values_only=True)}
    late = written[1][1].read_text(encoding="utf-8")
    assert all(str(order) not in late for order in list(early)[:200])


def test_douyin_has_bom_and_miniprogram_is_json_lines(files: dict[str, Path]) -> None:
    assert files["douyin"].read_bytes().startswith(b"\xef\xbb\xbf")
    first = json.loads(files["miniprogram"].read_text(encoding="utf-8").splitlines()[0])
    assert {"订单号", "openid", "unionid", "订单状态"} <= set(first)
    assert pq.read_table(files["messages"]).num_rows > 0


def test_files_import_cleanly_and_match_direct_mode(tmp_path: Path) -> None:
    """Through the importers nothing is quarantined, and the raw tables hold what direct mode writes."""
    cfg = DemoConfig(persons=300, seed=9)
    via_files = build_demo(tmp_path / "f.duckdb", cfg, direct=False)
    via_direct = build_demo(tmp_path / "d.duckdb", cfg, direct=True)
    assert via_files.mode == "files" and via_direct.mode == "direct"
    assert sum(x.rows_quarantined for x in via_files.loaded) == 0
    assert via_files.summary["orders"] == via_direct.summary["orders"]
    assert via_files.summary["identities"] == via_direct.summary["identities"]
    assert truth_paths(tmp_path / "f.duckdb")["truth"].exists()


@pytest.mark.slow
def test_siyu_demo_end_to_end(tmp_path: Path) -> None:
    run = [sys.executable, "-m", "siyu", "demo", "--persons", "2000", "--out", str(tmp_path / "demo.duckdb")]
    first = subprocess.run(run, capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert first.returncode == 0, first.stderr
    assert "2,000 persons" in first.stdout and "tmall" in first.stdout and "normalise" in first.stdout
    assert (tmp_path / "demo.truth.parquet").exists() and (tmp_path / "demo-files").is_dir()
    truth = json.loads((tmp_path / "demo.truth.json").read_text(encoding="utf-8"))
    assert truth["config"]["persons"] == 2000
    status = [sys.executable, "-m", "siyu", "status", "--warehouse", str(tmp_path / "demo.duckdb")]
    before = subprocess.run(status, capture_output=True, text=True, timeout=120).stdout
    again = subprocess.run(run, capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert again.returncode == 0, again.stderr
    after = subprocess.run(status, capture_output=True, text=True, timeout=120).stdout
    # a rebuilt demo replaces the warehouse: same rows, not twice as many
    assert [ln for ln in before.splitlines() if "raw_order " in ln] == [
        ln for ln in after.splitlines() if "raw_order " in ln
    ]


def test_siyu_demo_rejects_bad_arguments_without_traceback(tmp_path: Path) -> None:
    run = [sys.executable, "-m", "siyu", "demo", "--persons", "3", "--out", str(tmp_path / "x.duckdb")]
    done = subprocess.run(run, capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 2
    assert "persons must be at least 10" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
