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


def test_a_message_with_brackets_prints_them_as_written(tmp_path: Path) -> None:
    (tmp_path / "m.toml").write_text('source = "x"\n[[targets]]\ntable = "raw_order"\n', encoding="utf-8")
    (tmp_path / "o.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    line = _one_line_error(siyu("import", "o.csv", "--mapping", "m.toml", "-w", "w.duckdb", cwd=tmp_path), 2)
    assert "needs a [fields] table" in line


def test_a_traceback_only_with_debug(tmp_path: Path) -> None:
    quiet = siyu("status", "-w", "nowhere.duckdb", cwd=tmp_path)
    assert quiet.returncode == 2 and "Traceback" not in quiet.stderr
    for loud in (siyu("--debug", "status", "-w", "nowhere.duckdb", cwd=tmp_path),
                 siyu("status", "-w", "nowhere.duckdb", cwd=tmp_path, SIYU_DEBUG="1")):
        assert loud.returncode != 0 and "Traceback" in loud.stderr and "UserError" in loud.stderr


def test_a_usage_error_exits_2_and_a_bug_exits_3_with_one_line() -> None:
    import typer
    from typer.testing import CliRunner

    from siyu.cli.common import friendly

    app = typer.Typer()

    @app.command()
    @friendly
    def broken() -> None:
        {}["missing"]  # a bug, not a user's mistake

    @app.command()
    @friendly
    def library() -> None:
        import json

        json.loads("{")  # a ValueError raised inside a library is a bug of ours too

    runner = CliRunner()
    for name in ("broken", "library"):
        out = runner.invoke(app, [name])
        assert out.exit_code == 3 and "internal error" in out.output and "--debug" in out.output
    usage = subprocess.run([sys.executable, "-m", "siyu", "status", "--no-such-option"], capture_output=True,
                           text=True, timeout=120)
    assert usage.returncode == 2 and "Traceback" not in usage.stderr


def test_the_cli_and_the_demo_agree_on_when_the_demo_goes_direct() -> None:
    from siyu.cli.demo import DIRECT_ABOVE as SAID
    from siyu.demo.build import DIRECT_ABOVE

    assert SAID == DIRECT_ABOVE


def test_help_and_version_load_no_layer() -> None:
    """The CLI imports a layer only when a command runs it: --help and version import no engine, no pyarrow."""
    probe = ("import sys; from siyu.cli.entry import main\n"
             "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
             "heavy = [m for m in ('pyarrow', 'duckdb', 'numpy', 'siyu.engine', 'siyu.pipeline', 'splink') "
             "if m in sys.modules]\nprint('HEAVY', heavy)")
    for args in (["--help"], ["version"], ["segment", "--help"]):
        out = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, timeout=120)
        assert "HEAVY []" in out.stdout, (args, out.stdout[-500:], out.stderr[-500:])


def _tmall_export(path: Path, rows: int) -> None:
    head = "订单编号,买家会员名,订单状态,买家实际支付金额,订单创建时间,订单付款时间,收货人姓名,联系手机,收货地址\n"
    line = ("T{i},nick{i},交易成功,{amount},2024-03-01 12:00:00,2024-03-01 12:01:00,张*,138****5678,"
            "浙江省 杭州市 西湖区 文三路1号\n")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(head)
        for i in range(rows):
            handle.write(line.format(i=i, amount=100 + i % 50))


def test_ctrl_c_during_an_import_says_so_keeps_nothing_and_shows_no_traceback(tmp_path: Path) -> None:
    import signal

    _tmall_export(tmp_path / "big.csv", 3_000)
    env = {k: v for k, v in os.environ.items() if k not in ("SIYU_WAREHOUSE", "SIYU_DEBUG")}
    proc = subprocess.Popen([sys.executable, "-m", "siyu", "import", "big.csv", "-s", "tmall", "-w", "w.duckdb"],
                            cwd=tmp_path, env={**env, "SIYU_TEST_PAUSE": "import"}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    for line in proc.stderr:  # the rows are written and not yet committed when the import pauses
        if line.startswith("paused at step import"):
            break
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "the file being imported was rolled back, nothing of it was kept" in err
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        assert con.sql("SELECT count(*) FROM raw_order").fetchall() == [(0,)]
        assert con.sql("SELECT count(*) FROM import_log").fetchall() == [(0,)]


def test_ctrl_c_during_a_run_names_the_steps_whose_results_are_current(tmp_path: Path) -> None:
    import signal

    _tmall_export(tmp_path / "o.csv", 30)
    (tmp_path / "siyu.toml").write_text('[identity]\nprobabilistic = false\n', encoding="utf-8")
    assert siyu("import", "o.csv", "-s", "tmall", "-w", "w.duckdb", cwd=tmp_path).returncode == 0
    env = {k: v for k, v in os.environ.items() if k not in ("SIYU_WAREHOUSE", "SIYU_DEBUG")}
    proc = subprocess.Popen([sys.executable, "-m", "siyu", "run", "-w", "w.duckdb"], cwd=tmp_path,
                            env={**env, "SIYU_TEST_PAUSE": "profile"}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    for line in proc.stderr:
        if line.startswith("paused at step profile"):
            break
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    line = next(x for x in err.splitlines() if x.startswith("error:"))
    assert "interrupted during step profile" in line
    assert "normalise, identity, loyalty, clv (unavailable) finished" in line
    assert "profile, tags, segments, metrics" in line and "previous run" in line
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        log = con.sql("SELECT step, status FROM run_log ORDER BY started_at").fetchall()
        assert log == [("normalise", "ok"), ("identity", "ok"), ("loyalty", "ok"), ("clv", "unavailable")]
        assert con.sql("SELECT status FROM pipeline_run").fetchall() == [("interrupted",)]
        assert not con.sql("SELECT * FROM information_schema.tables WHERE table_name = 'person_profile'").fetchall()


def test_init_hints_an_import_path_that_exists_from_where_it_says_to_run_it(tmp_path: Path) -> None:
    made = siyu("init", "brand", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    hint = " ".join(made.stdout.split())
    assert "`cd brand && siyu import --source tmall imports/orders.csv`" in hint
    assert (tmp_path / "brand" / "imports").is_dir()
