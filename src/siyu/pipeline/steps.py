"""The steps of the pipeline, in the order data flows (DESIGN.md: raw → identity → profile → …).

A step is a function of a `StepContext` that reads tables and writes tables through the engine and
returns how many rows it read and wrote. Steps are idempotent: running one twice gives the same tables.
Each layer keeps its logic; this module only names the steps and their order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from siyu.clv import run_clv
from siyu.clv.settings import clv_settings
from siyu.config import Settings
from siyu.engine import Engine
from siyu.errors import UserError
from siyu.identity import run_identity
from siyu.identity.settings import identity_settings
from siyu.ingest.normalise import normalise
from siyu.journeys.definition import load_journeys
from siyu.journeys.settings import journeys_file
from siyu.journeys.step import run_journeys
from siyu.loyalty.rules import loyalty_settings
from siyu.loyalty.step import run_loyalty
from siyu.metrics import metrics_config, run_metrics
from siyu.profile import run_profile
from siyu.profile.settings import profile_settings, tag_settings
from siyu.segment import run_segments, run_tags
from siyu.segment.tagging import load_rules
from siyu.store.settings import store_settings


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
    """`outputs`: the tables that hold this step's results, dropped when it cannot produce them (so nothing
    stale from an earlier run is read as current). `own_transaction`: the layer commits its own writes (the
    segment snapshot pre-runs each segment and must survive one that fails at run time, which would abort an
    enclosing DuckDB transaction)."""

    name: str
    description: str
    run: Callable[[StepContext], StepResult]
    outputs: tuple[str, ...] = ()
    own_transaction: bool = False


def _normalise(ctx: StepContext) -> StepResult:
    rows_in, rows_out, detail = normalise(ctx.engine)
    return StepResult(rows_in, rows_out, detail)


def _layer(run: Callable[[Engine, Settings], tuple[int, int, str]]) -> Callable[[StepContext], StepResult]:
    """Adapt a layer's `run_x(engine, settings)` to a step."""

    def step(ctx: StepContext) -> StepResult:
        return StepResult(*run(ctx.engine, ctx.settings))

    return step


def _loyalty(ctx: StepContext) -> StepResult:
    return StepResult(*run_loyalty(ctx.engine, ctx.settings, full_facts=bool(ctx.options.get("full_facts"))))


def _segments(ctx: StepContext) -> StepResult:
    return StepResult(*run_segments(ctx.engine, ctx.settings, ctx.run_id))


STEPS: list[Step] = [
    Step("normalise", "raw channel rows → one clean row per order, identity, contact, message …", _normalise),
    Step("identity", "channel identities → persons (OneID): hard keys, Splink, stable ids", _layer(run_identity)),
    # its own transactions: loyalty_facts commits before the ledger forgets whom it wrote (siyu.loyalty.export)
    Step("loyalty", "identified buyers' orders → the points ledger; loyalty_facts back", _loyalty,
         own_transaction=True),
    Step("clv", "BG/NBD / Pareto/NBD + Gamma-Gamma: P(alive), expected orders, predicted value", _layer(run_clv),
         outputs=("clv_score", "clv_model")),
    Step("profile", "one row per person: orders, spend, channels, preferences, private domain", _layer(run_profile)),
    Step("tags", "built-in and user tags, with their history", _layer(run_tags)),
    Step("segments", "saved segments' members snapshotted for this run", _segments, own_transaction=True),
    Step("metrics", "private-domain metrics by day/week/month, funnel, health", _layer(run_metrics)),
    Step("journeys", "journeys (SOP): triggered persons → staff tasks and coupons, guard rails, holdout",
         _layer(run_journeys)),
]


def check_settings(settings: Settings) -> None:
    """Every layer's table of siyu.toml, validated before the first step runs: a misspelt [clv] key must stop the
    run before normalise and identity have rewritten their tables, not halfway through it."""
    identity_settings(settings)
    clv_settings(settings)
    profile_settings(settings)
    load_rules(settings.path(tag_settings(settings).rules_file))  # the user's tags.toml, as far as it can be read
    metrics_config(settings)
    loyalty_settings(settings)
    if "journeys" in settings.sections:
        load_journeys(journeys_file(settings))  # the brand's journeys file, as far as it can be read
    store_settings(settings)


def find_steps(names: list[str] | None) -> list[Step]:
    """The steps to run, in pipeline order; unknown names are an error listing the known ones."""
    if not names:
        return list(STEPS)
    known = {s.name for s in STEPS}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UserError(f"unknown step(s) {', '.join(unknown)}; known steps: {', '.join(s.name for s in STEPS)}")
    return [s for s in STEPS if s.name in names]
