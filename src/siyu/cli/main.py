"""`siyu`: the command tree. Each command group lives in its own module; this file only assembles them.

Nothing here imports a layer at module level: `siyu --help` and `siyu version` load typer and rich only, and
each command imports the layer it calls when it runs (bench/bench_cli.py measures it).
"""

from __future__ import annotations

from typing import Annotated

import typer

from siyu.cli import clv, demo, guides, identity, importing, journeys, loyalty, metrics, project, segment
from siyu.cli import service as service_cli
from siyu.cli.common import EXIT_PARTIAL, ConfigOpt, EngineOpt, WarehouseOpt, console, friendly, reading, writing

app = typer.Typer(
    name="siyu",
    help="siyu (私域): OneID, profiles, segments, lifetime value and private-domain metrics for a brand. "
    "`siyu --debug COMMAND …` (or SIYU_DEBUG=1) shows the traceback of a failure.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@app.callback()
def main() -> None:
    """A group, not a command (`--debug` is read by siyu.cli.entry before typer parses)."""


@app.command()
def version() -> None:
    """Print siyu's version."""
    from siyu import __version__

    console.print(__version__)


@app.command()
@friendly
def run(
    warehouse: WarehouseOpt = None,
    config: ConfigOpt = None,
    engine: EngineOpt = None,
    step: Annotated[list[str] | None, typer.Option("--step", help="run only this step (repeatable)")] = None,
    full_facts: Annotated[bool, typer.Option("--full-facts", help="loyalty: write every member's loyalty_facts, "
                                             "not only those changed since the last run")] = False,
) -> None:
    """Run the pipeline steps in order and record each step's rows and seconds in the run log (exit 1 when a
    step could not produce its results and the run is partial)."""
    from rich.table import Table

    from siyu.pipeline.runner import run_pipeline

    with writing(warehouse, config, engine) as (eng, choice):
        with console.status("running…") as status:

            def started(name: str) -> None:
                status.update(f"step {name}…")
                if not console.is_terminal:  # a log (the console's Runs page follows it): no spinner, a line each
                    console.print(f"step {name}…")

            report = run_pipeline(eng, choice.settings, step, on_step=started,
                                  options={"full_facts": True} if full_facts else None)
        title = f"run {report.run_id} on {eng.name}: {report.status}"
        table = Table("step", "rows in", "rows out", "seconds", "status", "detail", title=title)
        for o in report.outcomes:
            table.add_row(o.step, f"{o.rows_in:,}", f"{o.rows_out:,}", f"{o.seconds:.2f}", o.status, o.message)
        console.print(table)
    for note in report.notes:  # a step that got its results a lesser way (siyu.errors.Degraded)
        console.print(f"note: {note}", style="yellow", soft_wrap=True)
    if report.partial:
        missing = ", ".join(o.step for o in report.outcomes if o.status == "unavailable")
        console.print(f"partial run: {missing} could not produce results (see detail); the other steps did",
                      style="yellow")
        raise typer.Exit(EXIT_PARTIAL)


@app.command()
@friendly
def status(warehouse: WarehouseOpt = None, config: ConfigOpt = None, engine: EngineOpt = None) -> None:
    """Show the warehouse (its last published state): its tables and rows, and the last run."""
    from rich.table import Table

    from siyu.pipeline.status import warehouse_status

    with reading(warehouse, config, engine) as (eng, _):
        state = warehouse_status(eng)
    table = Table("table", "rows", title=state.where)
    for name, rows in state.tables:
        table.add_row(name, f"{rows:,}")
    console.print(table)
    last = state.last_run
    if last is None:
        console.print("no run yet: `siyu run`")
        return
    title = f"last run {last.run_id} at {last.started_at}: {last.status}"
    runs = Table("step", "status", "rows out", "seconds", "detail", title=title)
    for r in last.steps:
        runs.add_row(str(r["step"]), str(r["status"]), f"{r['rows_out'] or 0:,}", str(r["seconds"]),
                     str(r["message"] or "")[:120])
    console.print(runs)
    if last.status == "partial":
        console.print(f"the last run was partial: {last.reason}", style="yellow")
    elif last.status == "ok" and last.reason:
        console.print(f"note: {last.reason}", style="yellow", soft_wrap=True)


@app.command()
@friendly
def migrate(warehouse: WarehouseOpt = None, config: ConfigOpt = None, engine: EngineOpt = None) -> None:
    """Bring the warehouse to this version's schema and publish it for readers (readers never migrate)."""
    from siyu.schema import SCHEMA_VERSION

    with writing(warehouse, config, engine) as (eng, _):
        console.print(f"{eng.describe()}: schema version {SCHEMA_VERSION}")


for _group in (project, importing, demo, guides, identity, clv, segment, metrics, service_cli, loyalty, journeys):
    _group.register(app)
