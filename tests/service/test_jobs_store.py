"""Background jobs in the operational store, on SQLite and PostgreSQL: one warehouse writer at a time whoever
asks, a failed job frees the writer's slot and says why, a job whose process was killed is reported failed
instead of running forever, and a retry finds the job that did not fail."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from siyu.api import jobs


def _wait(store: sa.Engine, job_id: str) -> dict[str, object]:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        job = jobs.get(store, job_id)
        assert job is not None
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError("the job did not finish")


def _url(store: sa.Engine) -> str:
    return store.url.render_as_string(hide_password=False)


def test_one_writer_at_a_time_and_a_failure_is_reported(store: sa.Engine, tmp_path: Path) -> None:
    args = {"warehouse": str(tmp_path / "w.duckdb"), "source": "tmall", "file": str(tmp_path / "missing.csv"),
            "upload": "missing.csv"}
    first = jobs.start(store, _url(store), "import", "op", args, tmp_path / "logs", key="missing.csv:tmall")
    with pytest.raises(jobs.JobRunning):
        jobs.start(store, _url(store), "run", "op", {"warehouse": args["warehouse"]}, tmp_path / "logs")
    assert jobs.for_key(store, "import", "missing.csv:tmall")["id"] == first  # type: ignore[index]
    done = _wait(store, first)
    assert done["status"] == "failed" and done["exit_code"] != 0
    assert "missing.csv" in str(done["result"])  # the one-line reason, no traceback
    assert jobs.for_key(store, "import", "missing.csv:tmall") is None  # a failed job does not stop a retry
    again = jobs.start(store, _url(store), "import", "op", args, tmp_path / "logs", key="missing.csv:tmall")
    assert again != first
    _wait(store, again)


def test_a_killed_job_is_reported_failed_and_frees_the_slot(store: sa.Engine, tmp_path: Path) -> None:
    args = {"warehouse": str(tmp_path / "w.duckdb")}
    job_id = jobs.start(store, _url(store), "run", "op", args, tmp_path / "logs")
    job = jobs.get(store, job_id)
    assert job is not None and job["status"] in ("queued", "running")
    os.kill(int(job["pid"]), signal.SIGKILL)
    killed = _wait(store, job_id)
    assert killed["status"] == "failed" and "without reporting" in str(killed["result"])
    assert jobs.latest(store, "run")["id"] == job_id  # type: ignore[index]
    other = jobs.start(store, _url(store), "run", "op", args, tmp_path / "logs")  # the slot is free again
    os.kill(int(jobs.get(store, other)["pid"]), signal.SIGKILL)  # type: ignore[index]
    _wait(store, other)


def test_a_killed_run_job_takes_its_siyu_run_with_it(store: sa.Engine, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """kill -9 of a run's job process must not leave its `siyu run` writing the warehouse once the slot is free:
    the next run would find the warehouse locked, or two runs would interleave."""
    import subprocess
    import sys

    import psutil

    (tmp_path / "o.csv").write_text(
        "订单编号,买家会员名,订单状态,买家实际支付金额,订单创建时间\nT1,nick1,交易成功,99,2024-03-01 12:00:00\n",
        encoding="utf-8")
    imported = subprocess.run([sys.executable, "-m", "siyu", "import", "o.csv", "-s", "tmall", "-w", "w.duckdb"],
                              cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert imported.returncode == 0, imported.stderr
    monkeypatch.setenv("SIYU_TEST_PAUSE", "normalise")  # the run waits inside its first step
    job_id = jobs.start(store, _url(store), "run", "op", {"warehouse": str(tmp_path / "w.duckdb")}, tmp_path / "logs")
    job = jobs.get(store, job_id)
    assert job is not None
    log = Path(str(job["log"]))
    deadline = time.monotonic() + 180
    while "paused at step normalise" not in log.read_text(encoding="utf-8", errors="replace"):
        assert time.monotonic() < deadline, log.read_text(encoding="utf-8", errors="replace")
        time.sleep(0.2)
    runner = psutil.Process(int(jobs.get(store, job_id)["pid"]))  # type: ignore[index]
    children = runner.children(recursive=True)
    assert any("run" in c.cmdline() for c in children)
    runner.kill()
    assert _wait(store, job_id)["status"] == "failed"
    _, alive = psutil.wait_procs(children, timeout=60)
    for left in alive:  # a failing test leaves no paused run behind
        left.kill()
    assert not alive, [c.cmdline() for c in alive]
    monkeypatch.delenv("SIYU_TEST_PAUSE")
    again = _wait(store, jobs.start(store, _url(store), "run", "op", {"warehouse": str(tmp_path / "w.duckdb")},
                                    tmp_path / "logs"))
    said = Path(str(again["log"])).read_text(encoding="utf-8", errors="replace")
    # the warehouse is free: the run goes through its steps (one order is too few for CLV: a partial run, exit 1)
    assert again["exit_code"] in (0, 1) and "in progress" not in said and "normalise" in said, said[-2000:]
