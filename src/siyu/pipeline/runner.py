"""Run steps in order, time each, and append what happened to `run_log`."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import pyarrow as pa

from siyu.config import Settings
from siyu.engine import Engine
from siyu.pipeline.steps import StepContext, check_settings, find_steps
from siyu.schema import migrate
from siyu.schema.tables import SYSTEM_TABLES


@dataclass(frozen=True)
class StepOutcome:
    step: str
    rows_in: int
    rows_out: int
    seconds: float
    status: str
    message: str = ""


@dataclass
class RunReport:
    run_id: str
    engine: str
    outcomes: list[StepOutcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(o.status == "ok" for o in self.outcomes)

    @property
    def seconds(self) -> float:
        return sum(o.seconds for o in self.outcomes)


def _log(engine: Engine, run_id: str, started: dt.datetime, outcome: StepOutcome) -> None:
    row = {
        "run_id": run_id, "step": outcome.step, "engine": engine.name, "started_at": started,
        "finished_at": started + dt.timedelta(seconds=outcome.seconds), "seconds": outcome.seconds,
        "rows_in": outcome.rows_in, "rows_out": outcome.rows_out, "status": outcome.status,
        "message": outcome.message,
    }
    schema = SYSTEM_TABLES["run_log"]
    engine.write_arrow("run_log", pa.Table.from_pylist([row], schema=schema))


def run_pipeline(
    engine: Engine,
    settings: Settings,
    steps: list[str] | None = None,
    on_step: Callable[[str], None] | None = None,
    options: dict[str, object] | None = None,
) -> RunReport:
    """Run the chosen steps (all by default); stop at the first failure, which is logged and re-raised. The whole
    of siyu.toml is checked first, so a bad setting changes nothing."""
    check_settings(settings)
    migrate(engine)
    run_id = uuid.uuid4().hex[:12]
    ctx = StepContext(engine, settings, run_id, dict(options or {}))
    report = RunReport(run_id, engine.name)
    for step in find_steps(steps):
        if on_step:
            on_step(step.name)
        started = dt.datetime.now().replace(microsecond=0)
        t0 = time.perf_counter()
        try:
            result = step.run(ctx)
        except Exception as exc:
            outcome = StepOutcome(step.name, 0, 0, time.perf_counter() - t0, "failed", str(exc)[:2000])
            report.outcomes.append(outcome)
            _log(engine, run_id, started, outcome)
            raise
        outcome = StepOutcome(
            step.name, result.rows_in, result.rows_out, time.perf_counter() - t0, "ok", result.message
        )
        report.outcomes.append(outcome)
        _log(engine, run_id, started, outcome)
    return report
