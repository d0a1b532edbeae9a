"""Background jobs the API starts (a pipeline run, an import), kept in the operational store.

Why the store and not process memory: `siyu serve --workers N` answers each request in whichever worker the
kernel hands the connection to, so a job started through one worker must be visible, with its progress, from
all. Each job runs in its own process (`python -m siyu.api.jobrunner ID`), which writes its own end into the
store; a job whose process vanished without doing so is marked failed when next read. The `slot` column is
unique while a job is queued or running: DuckDB allows one writing process, so one warehouse writer at a time,
whichever worker is asked.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import psutil
import sqlalchemy as sa

from siyu.errors import SiyuError
from siyu.store.tables import export_jobs, jobs

WRITER = "warehouse"  # the slot of every job that writes the warehouse
STORE_ENV = "SIYU_JOB_STORE"  # the store's URL for the job's process (kept out of its command line)
_children: list[subprocess.Popen[bytes]] = []  # reaped on the next call, so no zombie outlives its job


class JobRunning(SiyuError):
    """Another job holds the warehouse (the API answers 409)."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _reap() -> None:
    _children[:] = [p for p in _children if p.poll() is None]


def start(store: sa.Engine, store_url: str, kind: str, user: str, args: dict[str, Any], logs: Path,
          key: str | None = None) -> str:
    """Record the job, take the writer's slot (JobRunning when taken) and start its process; its output goes to
    `logs/<job id>.log`."""
    _reap()
    job_id = uuid.uuid4().hex
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"{job_id}.log"
    try:
        with store.begin() as con:
            con.execute(jobs.insert().values(id=job_id, kind=kind, user_name=user, slot=WRITER, key=key,
                                             args=json.dumps(args), status="queued", log=str(log),
                                             created_at=_now()))
    except sa.exc.IntegrityError:
        raise JobRunning("a run or an import is in progress; wait for it to finish") from None
    env = {**os.environ, STORE_ENV: store_url}
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "siyu.api.jobrunner", job_id], stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, start_new_session=True)
    _children.append(proc)
    with store.begin() as con:
        con.execute(jobs.update().where(jobs.c.id == job_id, jobs.c.pid.is_(None)).values(pid=proc.pid))
    return job_id


def _alive(pid: int) -> bool:
    """Whether the process runs (a zombie, ended but not yet reaped by its parent worker, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def finish(store: sa.Engine, job_id: str, code: int, result: dict[str, Any]) -> None:
    """The job's end, written by its own process: done on exit code 0, else failed; the slot is freed."""
    with store.begin() as con:
        con.execute(jobs.update().where(jobs.c.id == job_id).values(
            status="done" if code == 0 else "failed", exit_code=code, result=json.dumps(result, default=str),
            finished_at=_now(), slot=None))


def _stop_orphans(pid: int) -> None:
    """End what a vanished job process left running: its process group (it started its own session), e.g. the
    `siyu run` a killed job had started, which would otherwise go on writing the warehouse after its slot is freed."""
    with contextlib.suppress(ProcessLookupError, PermissionError):  # nothing left of the group
        os.killpg(pid, signal.SIGTERM)


def _settled(store: sa.Engine, row: sa.Row[Any]) -> dict[str, Any]:
    job = dict(row._mapping)
    if job["status"] in ("queued", "running") and job["pid"] and not _alive(int(job["pid"])):
        _stop_orphans(int(job["pid"]))
        finish(store, job["id"], -1, {"message": "the job's process ended without reporting (killed?)"})
        return get(store, job["id"]) or job
    job["args"] = json.loads(job["args"] or "{}")
    job["result"] = json.loads(job["result"]) if job["result"] else None
    return job


def get(store: sa.Engine, job_id: str) -> dict[str, Any] | None:
    _reap()
    with store.connect() as con:
        row = con.execute(sa.select(jobs).where(jobs.c.id == job_id)).first()
    return None if row is None else _settled(store, row)


def latest(store: sa.Engine, kind: str) -> dict[str, Any] | None:
    """The newest job of a kind."""
    _reap()
    with store.connect() as con:
        row = con.execute(sa.select(jobs).where(jobs.c.kind == kind).order_by(jobs.c.created_at.desc()).limit(1)
                          ).first()
    return None if row is None else _settled(store, row)


def for_key(store: sa.Engine, kind: str, key: str) -> dict[str, Any] | None:
    """The newest job for `key` that did not fail: what a retry of the same request is answered with."""
    with store.connect() as con:
        rows = con.execute(sa.select(jobs).where(jobs.c.kind == kind, jobs.c.key == key)
                           .order_by(jobs.c.created_at.desc())).all()
    for row in rows:
        job = _settled(store, row)
        if job["status"] != "failed":
            return job
    return None


def mark_running(store: sa.Engine, job_id: str) -> dict[str, Any]:
    """Called by the job's process as it starts; returns the job's arguments."""
    with store.begin() as con:
        con.execute(jobs.update().where(jobs.c.id == job_id).values(status="running", pid=os.getpid()))
        row = con.execute(sa.select(jobs.c.kind, jobs.c.args).where(jobs.c.id == job_id)).one()
    return {"kind": row.kind, **json.loads(row.args)}


def _runs_since(pid: int, since: dt.datetime) -> bool:
    """Whether process `pid` is alive and the same one as at `since` (naive UTC): after a restart a new server
    may get the old one's pid (in a container it is often 1), and must not be taken for it."""
    if not _alive(pid):
        return False
    try:
        started = dt.datetime.fromtimestamp(psutil.Process(pid).create_time(), dt.UTC).replace(tzinfo=None)
    except psutil.Error:
        return False
    return started <= since


def export_died(store: sa.Engine, job: dict[str, Any]) -> dict[str, Any]:
    """A segment export runs in the worker that accepted it (its pid on the row): when that worker is gone while
    the export is queued or running, the export is failed now, with a message, instead of "running" for ever."""
    if job["status"] not in ("queued", "running") or not job.get("pid") or _runs_since(int(job["pid"]),
                                                                                       job["created_at"]):
        return job
    message = "the server process running this export stopped before it finished; start the export again"
    with store.begin() as con:
        con.execute(export_jobs.update().where(export_jobs.c.id == job["id"], export_jobs.c.status == job["status"])
                    .values(status="failed", message=message, finished_at=_now()))
    return job | {"status": "failed", "message": message}
