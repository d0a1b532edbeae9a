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
    status = siyu("status", "-w", "w.duckdb", cwd=tmp_path)
    assert status.returncode == 0 and "run_log" in status.stdout and "last run" in status.stdout
