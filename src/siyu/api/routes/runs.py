"""Start a pipeline run in another process, follow it from any worker, and read the history."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request

from siyu.api import jobs
from siyu.api.pages import Limit, Offset, Page
from siyu.api.security import config, guarded, user_of
from siyu.auth import audit

router = APIRouter(tags=["runs"])
TAIL = 40


def _status(run: dict[str, Any]) -> dict[str, Any]:
    log = Path(run["log"] or "")
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()[-TAIL:] if log.is_file() else []
    return {"id": run["id"], "started_at": run["created_at"], "started_by": run["user_name"],
            "running": run["status"] in ("queued", "running"), "status": run["status"],
            "exit_code": run["exit_code"], "finished_at": run["finished_at"], "output": lines}


@router.post("/runs", status_code=202, **guarded("runs:start"))
def start_run(request: Request) -> dict[str, Any]:
    """Start `siyu run` on the warehouse in a separate process; 409 while a run or an import is in progress."""
    cfg, user = config(request), user_of(request)
    args = {"warehouse": str(cfg.warehouse), "config": str(cfg.settings.source) if cfg.settings.source else None}
    try:
        run_id = jobs.start(cfg.store, cfg.store_url, "run", user.name, args, cfg.files / "runs")
    except jobs.JobRunning as exc:
        raise HTTPException(409, str(exc)) from None
    audit.record(cfg.store, user, "run", run_id, "")
    return {"id": run_id, "status": "started"}


@router.get("/runs/current", **guarded("runs:read"))
def current_run(request: Request) -> dict[str, Any]:
    """The last run started through the API (by any worker): running or not, exit code, the tail of its output."""
    current = jobs.latest(config(request).store, "run")
    if current is None:
        raise HTTPException(404, "no run started through the API")
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
