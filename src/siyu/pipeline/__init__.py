"""The ordered steps of `siyu run`, the run log, and how commands reach the warehouse (access.py).

Names load on first use (PEP 562): `siyu.pipeline.access` must not pull in every layer the steps import.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from siyu.pipeline.runner import RunReport, StepOutcome, run_pipeline
    from siyu.pipeline.steps import STEPS, Step, StepContext, StepResult

_HOMES = {
    "RunReport": "runner", "StepOutcome": "runner", "run_pipeline": "runner",
    "STEPS": "steps", "Step": "steps", "StepContext": "steps", "StepResult": "steps",
}

__all__ = ["STEPS", "RunReport", "Step", "StepContext", "StepOutcome", "StepResult", "run_pipeline"]


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(import_module(f"siyu.pipeline.{_HOMES[name]}"), name)
    raise AttributeError(f"module 'siyu.pipeline' has no attribute {name!r}")
