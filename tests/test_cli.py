"""The CLI as a user meets it: clear messages and exit codes, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def siyu(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SIYU_WAREHOUSE"}
    env["COLUMNS"] = "200"
    return subprocess.run(
        [sys.executable, "-m", "siyu", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def test_init_creates_a_project_and_refuses_to_overwrite(tmp_path: Path) -> None:
    made = siyu("init", "brand", "--name", "织梦内衣", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    text = (tmp_path / "brand" / "siyu.toml").read_text(encoding="utf-8")
    assert 'name = "织梦内衣"' in text and 'timezone = "Asia/Shanghai"' in text and 'currency = "CNY"' in text
    again = siyu("init", "brand", cwd=tmp_path)
    assert again.returncode == 2 and "already exists" in again.stderr and "Traceback" not in again.stderr


def test_status_without_a_warehouse_says_what_to_do(tmp_path: Path) -> None:
    out = siyu("status", cwd=tmp_path)
    assert out.returncode == 2 and "siyu demo" in out.stderr and "Traceback" not in out.stderr


def test_run_in_a_new_project_finds_its_toml_and_says_nothing_was_imported(tmp_path: Path) -> None:
    assert siyu("init", ".", cwd=tmp_path).returncode == 0
    run = siyu("run", cwd=tmp_path)
    assert run.returncode == 2 and "no warehouse" in run.stderr and "siyu.toml" in run.stderr


@pytest.mark.parametrize("args, needle", [
    (["run", "--step", "nope", "--warehouse", "{wh}"], "unknown step(s) nope"),
    (["status", "--config", "{bad}"], "unknown top-level key"),
])
def test_user_mistakes_are_messages(tmp_path: Path, args: list[str], needle: str) -> None:
    from siyu.engine.duckdb_engine import DuckDBEngine
    from siyu.schema import migrate

    wh = tmp_path / "w.duckdb"
    engine = DuckDBEngine(wh)
    migrate(engine)
    engine.close()
    bad = tmp_path / "bad.toml"
    bad.write_text("colour = 3\n", encoding="utf-8")
    out = siyu(*[a.format(wh=wh, bad=bad) for a in args], cwd=tmp_path)
    assert out.returncode == 2 and needle in out.stderr and "Traceback" not in out.stderr


def test_run_and_status_on_an_empty_warehouse(tmp_path: Path) -> None:
    from siyu.engine.duckdb_engine import DuckDBEngine
    from siyu.schema import migrate

    engine = DuckDBEngine(tmp_path / "w.duckdb")
    migrate(engine)
    engine.close()
    run = siyu("run", "-w", "w.duckdb", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "normalise" in run.stdout
    from siyu.pipeline.steps import STEPS

    progress = [line for line in run.stdout.splitlines() if line.startswith("step ")]  # no terminal: a line a step,
    assert progress == [f"step {s.name}…" for s in STEPS]  # what the console's Runs page shows while it runs
    status = siyu("status", "-w", "w.duckdb", cwd=tmp_path)
    assert status.returncode == 0 and "run_log" in status.stdout and "last run" in status.stdout


def _commands(group: object, prefix: str = "") -> list[str]:
    """Every command path of a click group, e.g. 'segment count'."""
    names = []
    for name, cmd in getattr(group, "commands", {}).items():
        path = f"{prefix}{name}"
        sub = _commands(cmd, f"{path} ")
        names.extend(sub or [path])
    return names


def test_every_command_is_documented_in_docs_cli() -> None:
    import typer.main

    from siyu.cli.main import app

    commands = _commands(typer.main.get_command(app))
    doc = (Path(__file__).parents[1] / "docs" / "cli.md").read_text(encoding="utf-8")
    assert len(commands) > 20
    assert [c for c in commands if f"`siyu {c}" not in doc] == []


@pytest.mark.spark
@pytest.mark.slow
def test_a_spark_project_imports_runs_and_reports_from_the_lake(tmp_path: Path) -> None:
    """`engine = "spark"` in siyu.toml: import, run and status all work on the Parquet lake."""
    assert siyu("init", ".", cwd=tmp_path).returncode == 0
    toml = tmp_path / "siyu.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('name = "duckdb"', 'name = "spark"'), encoding="utf-8")
    export = tmp_path / "淘宝订单.csv"
    export.write_text(
        "订单编号,买家会员名,订单状态,买家实际支付金额,订单创建时间,订单付款时间,收货人姓名,联系手机,收货地址\n"
        "T1,nick1,交易成功,\"¥1,234.50\",2024-03-01 12:00:00,2024-03-01 12:01:00,张*,138****5678,"
        "浙江省 杭州市 西湖区 文三路1号\n"
        "T2,nick1,交易成功,99,2024/3/9 12:00,2024/3/9 12:01,张*,138****5678,浙江省 杭州市 西湖区 文三路1号\n",
        encoding="gb18030",
    )
    imported = siyu("import", "--source", "tmall", str(export), cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    run = siyu("run", "--step", "normalise", "--step", "identity", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "lake" / "orders").is_dir() and not list(tmp_path.glob("*.duckdb"))
    status = siyu("status", cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    rows = {line.split("│")[1].strip(): line.split("│")[2].strip()
            for line in status.stdout.splitlines() if line.count("│") >= 3}
    assert rows["orders"] == "2" and rows["person_map"] == "1"
