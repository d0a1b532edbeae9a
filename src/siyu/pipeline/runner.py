"""Run steps in order, each in its own transaction, and record what happened.

- `run_log`: one row per step, written in the step's own transaction, so the rows that say "ok" are exactly
  the steps whose results are in the warehouse, whatever happens to the process afterwards (kill -9 included).
- `pipeline_run`: one row per run: `running` while it works, then ok, partial, failed or interrupted.

A step that cannot produce its results (NoResult: no CLV model when every customer has one order) is recorded
as `unavailable` with the reason, its output tables are dropped, and the steps after it still run: the run is
`partial`. Any other failure stops the run; the steps before it keep their committed results. A step that
produced its results a lesser way (a `Degraded` warning: identity by key links alone when Splink has nothing
to learn) is ok; what it said is kept as its outcome's `note`, in its run_log message and in the run's reason.
"""

from __future__ import annotations

import datetime as dt
import os
import time
import uuid
import warnings
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field

import pyarrow as pa

from siyu.config import Settings
from siyu.engine import Engine
from siyu.errors import Degraded, NoResult
from siyu.pause import pause_point
from siyu.pipeline.interrupts import StepsInterrupted
from siyu.pipeline.steps import Step, StepContext, StepResult, check_settings, find_steps
from siyu.schema import migrate
from siyu.schema.tables import SYSTEM_TABLES

OK, UNAVAILABLE, FAILED, INTERRUPTED = "ok", "unavailable", "failed", "interrupted"


@dataclass(frozen=True)
class StepOutcome:
    step: str
    rows_in: int
    rows_out: int
    seconds: float
    status: str
    message: str = ""
    note: str = ""  # how the step fell short while still producing its results (a Degraded warning)


@dataclass
class RunReport:
    run_id: str
    engine: str
    outcomes: list[StepOutcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(o.status == OK for o in self.outcomes)

    @property
    def partial(self) -> bool:
        """Some step could not produce its results; the others did."""
        return any(o.status == UNAVAILABLE for o in self.outcomes)

    @property
    def status(self) -> str:
        return "partial" if self.partial else "ok"

    @property
    def notes(self) -> list[str]:
        return [f"{o.step}: {o.note}" for o in self.outcomes if o.note]

    @property
    def seconds(self) -> float:
        return sum(o.seconds for o in self.outcomes)


def _now() -> dt.datetime:
    """To the microsecond: steps a few milliseconds apart must keep their order in run_log."""
    return dt.datetime.now()


def _log(engine: Engine, run_id: str, started: dt.datetime, outcome: StepOutcome) -> None:
    row = {
        "run_id": run_id, "step": outcome.step, "engine": engine.name, "started_at": started,
        "finished_at": started + dt.timedelta(seconds=outcome.seconds), "seconds": outcome.seconds,
        "rows_in": outcome.rows_in, "rows_out": outcome.rows_out, "status": outcome.status,
        "message": "; ".join(m for m in (outcome.message, outcome.note) if m),
    }
    engine.write_arrow("run_log", pa.Table.from_pylist([row], schema=SYSTEM_TABLES["run_log"]))


def _mark(engine: Engine, run_id: str, started: dt.datetime, status: str, reason: str = "") -> None:
    """Record the run's state: every earlier row of this run is replaced by this one."""
    row = {"run_id": run_id, "pid": os.getpid(), "engine": engine.name, "started_at": started,
           "finished_at": None if status == "running" else _now(), "status": status, "reason": reason[:2000]}
    others = engine.query("SELECT * FROM pipeline_run WHERE run_id <> $run_id", {"run_id": run_id})
    new = pa.Table.from_pylist([row], schema=SYSTEM_TABLES["pipeline_run"])
    keep = others.cast(SYSTEM_TABLES["pipeline_run"]) if others.num_rows else new.slice(0, 0)
    with engine.transaction():
        engine.write_arrow("pipeline_run", pa.concat_tables([keep, new]), mode="replace")


def _noting(ctx: StepContext, step: Step) -> tuple[StepResult, str]:
    """Run the step's work; what it said with a Degraded warning comes back as one note, other warnings pass."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", Degraded)
        result = step.run(ctx)
    notes = []
    for w in caught:
        if issubclass(w.category, Degraded):
            notes.append(str(w.message))
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return result, "; ".join(notes)


def _run_step(ctx: StepContext, step: Step) -> StepOutcome:
    """Run one step with its run_log row in one transaction (where the engine can hold a step in one, see
    `Engine.step_transactions`); NoResult → `unavailable`, its outputs dropped."""
    engine = ctx.engine
    started = _now()
    t0 = time.perf_counter()
    try:
        if step.own_transaction or not engine.step_transactions:
            pause_point(step.name)
            result, note = _noting(ctx, step)
            outcome = StepOutcome(step.name, result.rows_in, result.rows_out, time.perf_counter() - t0, OK,
                                  result.message, note)
            _log(engine, ctx.run_id, started, outcome)
            return outcome
        with engine.transaction():
            result, note = _noting(ctx, step)
            outcome = StepOutcome(step.name, result.rows_in, result.rows_out, time.perf_counter() - t0, OK,
                                  result.message, note)
            _log(engine, ctx.run_id, started, outcome)
            pause_point(step.name)  # tests kill the process here: the step's writes are not yet committed
        return outcome
    except NoResult as exc:
        outcome = StepOutcome(step.name, 0, 0, time.perf_counter() - t0, UNAVAILABLE, str(exc)[:2000])
        with engine.transaction():
            for table in step.outputs:
                engine.drop_table(table)
            _log(engine, ctx.run_id, started, outcome)
        return outcome


def run_pipeline(
    engine: Engine,
    settings: Settings,
    steps: list[str] | None = None,
    on_step: Callable[[str], None] | None = None,
    options: dict[str, object] | None = None,
) -> RunReport:
    """Run the chosen steps (all by default). The whole of siyu.toml is checked first, so a bad setting changes
    nothing. A failure stops the run (logged, re-raised); Ctrl-C raises StepsInterrupted naming the steps whose
    results are current."""
    check_settings(settings)
    chosen = find_steps(steps)
    migrate(engine)
    run_id = uuid.uuid4().hex[:12]
    ctx = StepContext(engine, settings, run_id, dict(options or {}))
    report = RunReport(run_id, engine.name)
    run_started = _now()
    _mark(engine, run_id, run_started, "running")
    for step in chosen:
        if on_step:
            on_step(step.name)
        t0 = time.perf_counter()
        try:
            report.outcomes.append(_run_step(ctx, step))
        except KeyboardInterrupt:
            done = [o.step + (" (unavailable)" if o.status == UNAVAILABLE else "") for o in report.outcomes]
            _finish(engine, run_id, run_started, INTERRUPTED, f"interrupted at step {step.name}")
            raise StepsInterrupted(done, step.name, [s.name for s in chosen]) from None
        except Exception as exc:
            outcome = StepOutcome(step.name, 0, 0, time.perf_counter() - t0, FAILED, str(exc)[:2000])
            report.outcomes.append(outcome)
            _log(engine, run_id, _now(), outcome)
            _finish(engine, run_id, run_started, FAILED, f"step {step.name}: {str(exc)[:500]}")
            raise
    reasons = [f"{o.step}: {o.message}" for o in report.outcomes if o.status == UNAVAILABLE]
    _finish(engine, run_id, run_started, report.status, "; ".join(reasons + report.notes))
    return report


def _finish(engine: Engine, run_id: str, started: dt.datetime, status: str, reason: str) -> None:
    with suppress(KeyboardInterrupt):  # a second Ctrl-C while recording: the run stays `running`, also true
        _mark(engine, run_id, started, status, reason)
