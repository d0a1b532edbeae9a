"""What `siyu status` shows: the warehouse's tables and rows, and how the last run went."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from siyu.engine import Engine


@dataclass
class LastRun:
    run_id: str
    started_at: Any
    status: str  # ok, partial, failed, interrupted, or running (still going, or killed before it finished)
    reason: str
    steps: list[dict[str, Any]] = field(default_factory=list)  # step, status, rows_out, seconds, message


@dataclass
class WarehouseStatus:
    where: str
    tables: list[tuple[str, int]]
    last_run: LastRun | None


def warehouse_status(engine: Engine) -> WarehouseStatus:
    tables = [(name, engine.row_count(name)) for name in engine.tables()]
    return WarehouseStatus(engine.describe(), tables, last_run(engine))


def last_run(engine: Engine) -> LastRun | None:
    """The latest run and its steps; a warehouse from before `pipeline_run` existed reads its run_log alone."""
    have = set(engine.tables())
    if "run_log" not in have:
        return None
    run = None
    if "pipeline_run" in have:
        rows = engine.query("SELECT * FROM pipeline_run ORDER BY started_at DESC, run_id LIMIT 1").to_pylist()
        run = rows[0] if rows else None
    if run is None:
        ids = engine.query("SELECT run_id, started_at FROM run_log ORDER BY started_at DESC LIMIT 1").to_pylist()
        if not ids:
            return None
        run = {"run_id": ids[0]["run_id"], "started_at": ids[0]["started_at"], "status": "", "reason": ""}
    steps = engine.query(
        "SELECT step, status, rows_out, round(seconds, 2) AS seconds, message FROM run_log "
        "WHERE run_id = $run_id ORDER BY started_at, finished_at", {"run_id": run["run_id"]}
    ).to_pylist()
    status = str(run["status"] or ("failed" if any(s["status"] == "failed" for s in steps) else "ok"))
    return LastRun(str(run["run_id"]), run["started_at"], status, str(run["reason"] or ""), steps)
