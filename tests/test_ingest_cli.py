"""`siyu import` as a user meets it: the report, exit codes, clear messages, and surviving a kill."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from siyu.engine.duckdb_engine import DuckDBEngine

HEADER = "订单编号,买家会员名,买家实际支付金额,订单状态,订单创建时间"


def siyu(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SIYU_WAREHOUSE"}
    env["COLUMNS"] = "250"
    return subprocess.run(
        [sys.executable, "-m", "siyu", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def _csv(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def test_import_reports_counts_and_exits_1_on_quarantine_unless_allowed(tmp_path: Path) -> None:
    _csv(tmp_path / "orders.csv", ["1,a,10,交易成功,2024-03-01", "2,b,abc,交易成功,2024-03-01"])
    first = siyu("import", "orders.csv", "--source", "tmall", "-w", "w.duckdb", cwd=tmp_path)
    assert first.returncode == 1, first.stderr
    assert (tmp_path / "w.duckdb").exists()  # the first import creates the warehouse
    assert "orders.csv" in first.stdout and "│ 2 " in first.stdout  # rows read
    assert "not an amount: 'abc'" in first.stdout and "买家实际支付金额" in first.stdout
    assert "--allow-bad" in first.stderr and "Traceback" not in first.stderr
    again = siyu("import", "orders.csv", "-s", "tmall", "-w", "w.duckdb", "--allow-bad", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    with DuckDBEngine(tmp_path / "w.duckdb") as eng:
        assert eng.row_count("raw_order") == 1 and eng.row_count("quarantine") == 1
        assert eng.row_count("import_log") == 2


def test_user_mistakes_exit_2_with_a_message_and_no_traceback(tmp_path: Path) -> None:
    (tmp_path / "wrong.csv").write_text("单号,金额\n1,2\n", encoding="utf-8")
    (tmp_path / "broken.xlsx").write_bytes(b"not a zip file")
    cases = [
        (("import", "wrong.csv", "-s", "taobao"), ["unknown source 'taobao'", "tmall", "--mapping"]),
        (("import", "wrong.csv", "-s", "tmall"), ["wrong.csv", "order_id", "订单编号", "headers found: 单号, 金额"]),
        (("import", "missing.csv", "-s", "tmall"), ["file not found", "missing.csv"]),
        (("import", "broken.xlsx", "-s", "jd"), ["broken.xlsx", "not a readable XLSX"]),
        (("import", "wrong.csv"), ["--source", "--mapping"]),
        (("import", "wrong.csv", "--mapping", "nope.toml"), ["nope.toml", "not found"]),
    ]
    for args, needles in cases:
        out = siyu(*args, "-w", "w.duckdb", cwd=tmp_path)
        assert out.returncode == 2, (args, out.stdout, out.stderr)
        assert "Traceback" not in out.stderr, out.stderr
        flat = " ".join(out.stderr.split())
        for needle in needles:
            assert needle in flat, (args, flat)
    with DuckDBEngine(tmp_path / "w.duckdb") as eng:  # nothing was loaded by any of them
        assert eng.row_count("raw_order") == 0


_KILLABLE = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from siyu.engine.duckdb_engine import DuckDBEngine
    from siyu.ingest.importer import import_file
    from siyu.schema import migrate

    engine = DuckDBEngine(sys.argv[1])
    migrate(engine)

    def tick(done, total, unit):
        print("batch", done, flush=True)

    import_file(engine, "tmall", Path(sys.argv[2]), batch_rows=2000, progress=tick)
    print("finished", flush=True)
    """
)


def test_a_killed_import_leaves_the_warehouse_as_it_was_and_a_retry_works(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    small = _csv(tmp_path / "small.csv", ["1,a,10,交易成功,2024-03-01", "2,b,20,交易成功,2024-03-02"])
    assert siyu("import", str(small), "-s", "tmall", "-w", str(warehouse), cwd=tmp_path).returncode == 0
    n = 200_000
    big = tmp_path / "big.csv"
    pacsv.write_csv(pa.table({
        "订单编号": pa.array([str(10_000 + i) for i in range(n)]),
        "买家会员名": pa.array([f"b{i % 5000}" for i in range(n)]),
        "买家实际支付金额": pa.array(["¥88.00"] * n), "订单状态": pa.array(["交易成功"] * n),
        "订单创建时间": pa.array(["2024/3/1 12:00"] * n),
    }), big)
    script = tmp_path / "killable.py"
    script.write_text(_KILLABLE, encoding="utf-8")
    proc = subprocess.Popen([sys.executable, str(script), str(warehouse), str(big)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    batches = 0
    for line in proc.stdout:
        assert not line.startswith("finished"), "the import ended before it could be killed"
        batches += line.startswith("batch")
        if batches == 5:  # 10,000 rows appended inside the open transaction
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    with DuckDBEngine(warehouse) as eng:
        assert eng.row_count("raw_order") == 2
        assert eng.row_count("raw_identity") == 2
        assert eng.row_count("import_log") == 1
    retry = siyu("import", str(big), "-s", "tmall", "-w", str(warehouse), cwd=tmp_path)
    assert retry.returncode == 0, retry.stderr
    with DuckDBEngine(warehouse) as eng:
        assert eng.row_count("raw_order") == n + 2
        assert not [t for t in eng.tables() if t.startswith("_import_")]  # the killed import's staging is gone
