"""The steps of the pipeline, in the order data flows (DESIGN.md: raw → identity → profile → …).

A step is a function of a `StepContext` that reads tables and writes tables through the engine and
returns how many rows it read and wrote. Steps are idempotent: running one twice gives the same tables.
Later layers add their steps here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from siyu.config import Settings
from siyu.engine import Engine
from siyu.ingest.normalise import normalise


@dataclass
class StepContext:
    engine: Engine
    settings: Settings
    run_id: str
    options: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class StepResult:
    rows_in: int
    rows_out: int
    message: str = ""


@dataclass(frozen=True)
class Step:
    name: str
    description: str
    run: Callable[[StepContext], StepResult]


def _normalise(ctx: StepContext) -> StepResult:
    rows_in, rows_out, detail = normalise(ctx.engine)
    return StepResult(rows_in, rows_out, detail)


STEPS: list[Step] = [
    Step("normalise", "raw channel rows → one clean row per order, identity, contact, message …", _normalise),
]


def find_steps(names: list[str] | None) -> list[Step]:
    """The steps to run, in pipeline order; unknown names are an error listing the known ones."""
    if not names:
        return list(STEPS)
    known = {s.name for s in STEPS}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"unknown step(s) {', '.join(unknown)}; known steps: {', '.join(s.name for s in STEPS)}")
    return [s for s in STEPS if s.name in names]
