"""Runs as users meet them, with real processes: readers answer from the last completed run while a run works,
a second run is refused, a run killed with kill -9 at any step and run again leaves exactly the tables of a clean
run, and a step that cannot produce its results makes the run partial instead of stopping it."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from siyu.pipeline.steps import STEPS as PIPELINE

pytestmark = pytest.mark.slow

STEPS = [step.name for step in PIPELINE]  # every step of `siyu run`, in order (a new one is covered by itself)
# appended once per run by design: a killed run leaves its committed steps' log rows (that is the point of them)
PER_RUN_LOGS = {"run_log", "pipeline_run"}


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SIYU_WAREHOUSE", "SIYU_DEBUG", "SIYU_TEST_PAUSE")}
    env.update(COLUMNS="200", PYTHONPATH=os.pathsep.join(p for p in sys.path if p), **extra)
    return env


def siyu(*args: str, cwd: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "siyu", *args], cwd=cwd, env=_env(**extra), capture_output=True,
                          text=True, timeout=600)


def paused_run(warehouse: Path, step: str) -> subprocess.Popen[str]:
    """`siyu run` stopped inside `step`'s transaction (SIYU_TEST_PAUSE), its earlier steps committed."""
    proc = subprocess.Popen([sys.executable, "-m", "siyu", "run", "-w", str(warehouse)], cwd=warehouse.parent,
                            env=_env(SIYU_TEST_PAUSE=step), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    assert proc.stderr is not None
    for line in proc.stderr:
        if line.startswith(f"paused at step {step}"):
            return proc
    proc.wait()
    raise AssertionError(f"the run never reached step {step}: exit {proc.returncode}")


def kill9(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def tables(path: Path) -> dict[str, int]:
    """Every table of a warehouse with its row count, but the per-run logs."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = [r[0] for r in con.sql("SELECT table_name FROM information_schema.tables "
                                       "WHERE table_schema = 'main' ORDER BY 1").fetchall()]
        return {n: int(con.sql(f'SELECT count(*) FROM "{n}"').fetchall()[0][0]) for n in names
                if n not in PER_RUN_LOGS}
    finally:
        con.close()


def content(path: Path, table: str, columns: str) -> list[tuple[object, ...]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.sql(f"SELECT {columns} FROM {table} ORDER BY ALL").fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo brand, imported and run once (the state a user has before the runs below)."""
    folder = tmp_path_factory.mktemp("demo")
    made = siyu("demo", "--persons", "1500", "--out", str(folder / "demo.duckdb"), cwd=folder)
    assert made.returncode == 0, made.stderr
    return folder / "demo.duckdb"


@pytest.fixture(scope="module")
def clean(demo: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, int]:
    """The tables after one more run that nothing disturbed."""
    folder = tmp_path_factory.mktemp("clean")
    shutil.copy(demo, folder / "w.duckdb")
    run = siyu("run", "-w", "w.duckdb", cwd=folder)
    assert run.returncode == 0, run.stderr
    return tables(folder / "w.duckdb")


def _copy(demo: Path, tmp_path: Path) -> Path:
    shutil.copy(demo, tmp_path / "w.duckdb")
    assert siyu("migrate", "-w", "w.duckdb", cwd=tmp_path).returncode == 0  # publishes the copy for readers
    return tmp_path / "w.duckdb"


def test_readers_answer_from_the_last_run_while_a_run_works_and_a_second_run_is_refused(
    demo: Path, tmp_path: Path
) -> None:
    warehouse = _copy(demo, tmp_path)
    before = siyu("segment", "count", "orders >= 2", "-w", "w.duckdb", cwd=tmp_path)
    assert before.returncode == 0, before.stderr
    proc = paused_run(warehouse, "profile")  # normalise, identity and clv committed; profile half-written
    try:
        t0 = time.perf_counter()
        status = siyu("status", "-w", "w.duckdb", cwd=tmp_path)
        count = siyu("segment", "count", "orders >= 2", "-w", "w.duckdb", cwd=tmp_path)
        assert status.returncode == 0 and count.returncode == 0, status.stderr + count.stderr
        assert time.perf_counter() - t0 < 60  # they did not wait for the run
        assert count.stdout == before.stdout
        assert "last run" in status.stdout and ": ok" in status.stdout  # the demo's completed run, not this one
        second = siyu("run", "-w", "w.duckdb", cwd=tmp_path)
        assert second.returncode == 4, second.stderr
        errors = [x for x in second.stderr.splitlines() if x.startswith("error:")]
        assert len(errors) == 1 and "in progress" in errors[0] and f"pid {proc.pid} since " in errors[0]
        assert "Traceback" not in second.stderr
    finally:
        kill9(proc)


@pytest.mark.parametrize("step", STEPS)
def test_a_run_killed_at_any_step_then_run_again_gives_the_tables_of_a_clean_run(
    demo: Path, clean: dict[str, int], tmp_path: Path, step: str
) -> None:
    warehouse = _copy(demo, tmp_path)
    kill9(paused_run(warehouse, step))
    status = siyu("status", "-w", "w.duckdb", cwd=tmp_path)  # readers still answer: the published snapshot
    assert status.returncode == 0, status.stderr
    again = siyu("run", "-w", "w.duckdb", cwd=tmp_path)  # the lock died with the killed process
    assert again.returncode == 0, again.stderr
    assert tables(warehouse) == clean
    runs = content(warehouse, "pipeline_run", "status")
    assert runs.count(("running",)) == 1 and ("ok",) in runs  # the killed run is on record as never finished


def test_the_published_snapshot_is_untouched_by_a_killed_run(demo: Path, tmp_path: Path) -> None:
    warehouse = _copy(demo, tmp_path)
    snapshot = tmp_path / "w.published.duckdb"
    before = snapshot.read_bytes()
    kill9(paused_run(warehouse, "metrics"))
    assert snapshot.read_bytes() == before and not list(tmp_path.glob("*.partial"))


def _one_order_each(folder: Path) -> Path:
    """A new store's first week: every customer has exactly one order, so no CLV model can be fitted."""
    lines = ["订单编号,买家会员名,订单状态,买家实际支付金额,订单创建时间,订单付款时间,收货人姓名,联系手机,收货地址"]
    for i in range(40):
        lines.append(f"T{i},nick{i},交易成功,{100 + i},2024-03-{1 + i % 20:02d} 12:00:00,"
                     f"2024-03-{1 + i % 20:02d} 12:01:00,张*,138****{i:04d},浙江省 杭州市 西湖区 文三路{i}号")
    export = folder / "orders.csv"
    export.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return export


def test_a_step_without_results_makes_the_run_partial_and_the_rest_still_run(tmp_path: Path) -> None:
    export = _one_order_each(tmp_path)
    # hard keys only: Splink cannot train on 40 strangers (a separate limit, see the report of issue 18)
    (tmp_path / "siyu.toml").write_text('[identity]\nprobabilistic = false\n', encoding="utf-8")
    assert siyu("import", "-s", "tmall", str(export), "-w", "w.duckdb", cwd=tmp_path).returncode == 0
    run = siyu("run", "-w", "w.duckdb", cwd=tmp_path)
    assert run.returncode == 1, run.stderr
    assert "partial" in run.stdout and "Traceback" not in run.stderr
    log = dict(content(tmp_path / "w.duckdb", "run_log", "step, status"))
    assert log == {**dict.fromkeys(STEPS, "ok"), "clv": "unavailable"}
    reason = content(tmp_path / "w.duckdb", "run_log", "message")
    assert any("one order" in str(r[0]) for r in reason)
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        profile = con.sql("SELECT count(*), count(p_alive) FROM person_profile").fetchall()[0]
        assert profile == (40, 0)  # profiles without CLV scores
        assert not con.sql("SELECT * FROM information_schema.tables WHERE table_name = 'clv_score'").fetchall()
    status = siyu("status", "-w", "w.duckdb", cwd=tmp_path)
    assert status.returncode == 0 and "partial" in status.stdout and "one order" in status.stdout


def test_strangers_with_nothing_to_learn_are_linked_by_keys_alone_and_the_run_goes_on(tmp_path: Path) -> None:
    """40 strangers share nothing Splink's EM sessions block on, so no model can be estimated: identity falls
    back to the hard-key links, says so in one line and on the run, and every later step still runs."""
    export = _one_order_each(tmp_path)
    store = tmp_path / "store.csv"  # two member cards with one phone: a hard-key link the fallback must keep
    head = ("单据号,会员卡号,会员手机,会员姓名,性别,生日,门店编号,导购编号,销售时间,实收金额,折扣金额,单据类型,"
            "商品编码,商品名称,数量,单价")
    sale = ("XS{i},880000000000{i},17863695651,王瑞雪,女,,MD0001,DG0001,2024-03-0{i} 10:00:00,49.00,0.00,销售,"
            "SKU1,袜子,1,49.00")
    store.write_text("\n".join([head, sale.format(i=1), sale.format(i=2)]) + "\n", encoding="utf-8")
    for source, path in (("tmall", export), ("store", store)):
        assert siyu("import", "-s", source, str(path), "-w", "w.duckdb", cwd=tmp_path).returncode == 0
    run = siyu("run", "-w", "w.duckdb", cwd=tmp_path)
    assert run.returncode == 1 and "Traceback" not in run.stderr, run.stderr  # partial for CLV only (one order)
    notes = [x for x in run.stdout.splitlines() if x.startswith("note:")]
    assert len(notes) == 1 and "identity: deterministic key links only" in notes[0], notes
    assert "these 42 records" in notes[0]
    assert notes[0].endswith("or more records")  # one line, not wrapped
    log = dict(content(tmp_path / "w.duckdb", "run_log", "step, status"))
    assert log == {**dict.fromkeys(STEPS, "ok"), "clv": "unavailable"}
    (reason,) = content(tmp_path / "w.duckdb", "pipeline_run", "reason")
    assert "identity: deterministic key links only" in str(reason[0])
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        persons = con.sql("SELECT count(DISTINCT person_id), count(*) FROM person_map").fetchall()[0]
        assert persons == (41, 42)  # 40 strangers and the two cards of one phone
        assert con.sql("SELECT count(*) FROM person_profile").fetchall()[0][0] == 41
        saved = con.sql("SELECT * FROM information_schema.tables WHERE table_name = 'identity_model'").fetchall()
        assert not saved  # no model was learnt, none saved: the next run tries again
    status = siyu("status", "-w", "w.duckdb", cwd=tmp_path)
    assert status.returncode == 0 and "deterministic key links only" in status.stdout


def test_a_stored_segment_that_fails_when_run_is_skipped_and_the_run_goes_on(tmp_path: Path) -> None:
    """The segment step pre-runs each saved segment; one failing in the engine must not abort the step's work
    (a failed statement would abort an enclosing DuckDB transaction) nor stop the steps after it."""
    export = _one_order_each(tmp_path)
    (tmp_path / "siyu.toml").write_text('[identity]\nprobabilistic = false\n', encoding="utf-8")
    assert siyu("import", "-s", "tmall", str(export), "-w", "w.duckdb", cwd=tmp_path).returncode == 0
    assert siyu("run", "-w", "w.duckdb", cwd=tmp_path).returncode == 1  # partial: no CLV model, as above
    assert siyu("segment", "save", "big", "orders >= 1", "-w", "w.duckdb", cwd=tmp_path).returncode == 0
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:  # as an older siyu could store it
        con.execute("INSERT INTO segment (name, expression, description, created_at, updated_at) "
                    "SELECT 'bad_type', 'month(orders) = 1', '', now(), now()")
    run = siyu("run", "-w", "w.duckdb", cwd=tmp_path)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    log = dict(content(tmp_path / "w.duckdb", "run_log", "step, status"))
    assert log["segments"] == "ok" and log["metrics"] == "ok"
    snap = dict(content(tmp_path / "w.duckdb", "segment_snapshot", "segment, members"))
    assert snap == {"big": 40, "bad_type": None}
