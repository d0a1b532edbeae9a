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
