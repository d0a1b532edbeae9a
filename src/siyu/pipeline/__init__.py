"""The ordered steps of `siyu run`, and the run log that records each step's rows and seconds."""

from siyu.pipeline.runner import RunReport, StepOutcome, run_pipeline
from siyu.pipeline.steps import STEPS, Step, StepContext, StepResult

__all__ = ["STEPS", "RunReport", "Step", "StepContext", "StepOutcome", "StepResult", "run_pipeline"]
