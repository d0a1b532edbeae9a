"""Faults a user meets at the command line: files that are not siyu warehouses, messages with brackets, exit
codes; each ends in one line and the right exit status, never a traceback, and nothing is changed."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import duckdb


def siyu(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("SIYU_WAREHOUSE", "SIYU_DEBUG")}
    environ.update(COLUMNS="200", **env)
    return subprocess.run(
        [sys.executable, "-m", "siyu", *args], cwd=cwd, env=environ, capture_output=True, text=True, timeout=300
    )


def _one_line_error(out: subprocess.CompletedProcess[str], code: int) -> str:
    assert out.returncode == code, (out.returncode, out.stdout, out.stderr)
    assert "Traceback" not in out.stderr
    lines = [x for x in out.stderr.splitlines() if x.startswith("error:")]
    assert len(lines) == 1, out.stderr
    return lines[0]


def test_another_applications_duckdb_file_is_refused_and_left_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "crm.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE customers (id INTEGER)")
    con.close()
    (tmp_path / "x.csv").write_text("订单编号,买家会员名\n1,a\n", encoding="utf-8")
    for command in (["status"], ["segment", "count", "orders > 0"], ["import", "--source", "tmall", "x.csv"]):
        line = _one_line_error(siyu(*command, "-w", str(path), cwd=tmp_path), 2)
        assert "another application" in line and "customers" in line
    con = duckdb.connect(str(path), read_only=True)
    assert con.sql("SHOW TABLES").fetchall() == [("customers",)]  # siyu added none of its tables
    con.close()


def test_a_sqlite_file_is_refused_without_reaching_for_an_extension(tmp_path: Path) -> None:
    path = tmp_path / "shop.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    before = path.read_bytes()
    out = siyu("status", "-w", str(path), cwd=tmp_path, http_proxy="http://127.0.0.1:9", https_proxy="http://127.0.0.1:9")
    line = _one_line_error(out, 2)
    assert "SQLite" in line and str(path) in line and "extension" not in out.stderr
    assert path.read_bytes() == before


def test_a_file_that_is_no_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("order_id,amount\n1,2\n", encoding="utf-8")
    line = _one_line_error(siyu("status", "-w", str(path), cwd=tmp_path), 2)
    assert "not a DuckDB database" in line
