"""Start a pipeline run in another process, follow it, and read the history."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import uuid
from typing import Any

from fastapi import APIRouter, HTTPException, Request

from siyu.api.context import ServiceConfig
from siyu.api.pages import Limit, Offset, Page
from siyu.api.security import config, guarded, user_of
from siyu.auth import audit

router = APIRouter(tags=["runs"])
TAIL = 40


def _current(cfg: ServiceConfig) -> dict[str, Any] | None:
    return cfg.runs.get("current")  # type: ignore[return-value]


def _status(run: dict[str, Any]) -> dict[str, Any]:
    proc: subprocess.Popen[bytes] = run["process"]
    code = proc.poll()
    lines = run["log"].read_text(encoding="utf-8", errors="replace").splitlines()[-TAIL:]
    return {"id": run["id"], "started_at": run["started_at"], "started_by": run["user"],
            "running": code is None, "exit_code": code, "output": lines}


@router.post("/runs", status_code=202, **guarded("runs:start"))
def start_run(request: Request) -> dict[str, Any]:
    """Start `siyu run` on the warehouse in a separate process; 409 while one is running."""
    cfg, user = config(request), user_of(request)
    current = _current(cfg)
    if current and current["process"].poll() is None:
        raise HTTPException(409, "a run is already in progress")
    run_id = uuid.uuid4().hex[:12]
    log = cfg.files / "runs" / f"{run_id}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "siyu", "run", "--warehouse", str(cfg.warehouse)]
    if cfg.settings.source:
        cmd += ["--config", str(cfg.settings.source)]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    cfg.runs["current"] = {"id": run_id, "process": proc, "log": log, "user": user.name,
                           "started_at": dt.datetime.now(dt.UTC).replace(tzinfo=None)}
    audit.record(cfg.store, user, "run", run_id, "")
    return {"id": run_id, "status": "started"}


@router.get("/runs/current", **guarded("runs:read"))
def current_run(request: Request) -> dict[str, Any]:
    """The run this server started last: running or not, exit code, the tail of its output."""
    current = _current(config(request))
    if current is None:
        raise HTTPException(404, "no run started by this server")
    return _status(current)


@router.get("/runs", response_model=Page, **guarded("runs:read"))
def history(request: Request, limit: Limit = 20, offset: Offset = 0) -> Page:
    """Finished runs in the serving warehouse, newest first, with their steps."""
    with config(request).serving.reader() as eng:
        total = int(eng.scalar("SELECT count(DISTINCT run_id) FROM run_log") or 0)
        items = eng.query(
            f"SELECT run_id, min(started_at) AS started_at, max(finished_at) AS finished_at, "
            f"round(sum(seconds), 2) AS seconds, bool_and(status = 'ok') AS ok, "
            f"list({{'step': step, 'status': status, 'rows_out': rows_out, 'seconds': round(seconds, 2)}} "
            f"ORDER BY started_at) AS steps FROM run_log GROUP BY run_id ORDER BY started_at DESC "
            f"LIMIT {limit} OFFSET {offset}").to_pylist()
    return Page(items=items, total=total, limit=limit, offset=offset)
