"""`siyu`: the entry point. Each command group lives in its own module; this file only assembles them."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from siyu import __version__
from siyu.cli import clv, demo, identity, importing, loyalty, metrics, project, segment
from siyu.cli import service as service_cli
from siyu.cli.common import ConfigOpt, EngineOpt, WarehouseOpt, console, friendly, opened
from siyu.pipeline import run_pipeline

app = typer.Typer(
    name="siyu",
    help="siyu (私域): OneID, profiles, segments, lifetime value and private-domain metrics for a brand.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.command()
def version() -> None:
    """Print siyu's version."""
    console.print(__version__)


@app.command()
@friendly
def run(
    warehouse: WarehouseOpt = None,
    config: ConfigOpt = None,
    engine: EngineOpt = None,
    step: Annotated[list[str] | None, typer.Option("--step", help="run only this step (repeatable)")] = None,
) -> None:
    """Run the pipeline steps in order and record each step's rows and seconds in the run log."""
    with opened(warehouse, config, engine) as (eng, choice):
        with console.status("running…") as status:
            report = run_pipeline(eng, choice.settings, step, on_step=lambda s: status.update(f"step {s}…"))
        title = f"run {report.run_id} on {eng.name}"
        table = Table("step", "rows in", "rows out", "seconds", "status", "detail", title=title)
        for o in report.outcomes:
            table.add_row(o.step, f"{o.rows_in:,}", f"{o.rows_out:,}", f"{o.seconds:.2f}", o.status, o.message)
        console.print(table)


@app.command()
@friendly
def status(warehouse: WarehouseOpt = None, config: ConfigOpt = None, engine: EngineOpt = None) -> None:
    """Show the warehouse: its tables and rows, and the last run."""
    with opened(warehouse, config, engine) as (eng, _):
        table = Table("table", "rows", title=eng.describe())
        for name in eng.tables():
            table.add_row(name, f"{eng.row_count(name):,}")
        console.print(table)
        last = eng.query(
            "SELECT run_id, step, status, rows_out, round(seconds, 2) AS seconds, started_at FROM run_log "
            "WHERE run_id = (SELECT run_id FROM run_log ORDER BY started_at DESC LIMIT 1) ORDER BY started_at"
        ).to_pylist()
        if not last:
            console.print("no run yet: `siyu run`")
            return
        title = f"last run {last[0]['run_id']} at {last[0]['started_at']}"
        runs = Table("step", "status", "rows out", "seconds", title=title)
        for r in last:
            runs.add_row(r["step"], r["status"], f"{r['rows_out']:,}", str(r["seconds"]))
        console.print(runs)


for _group in (project, importing, demo, identity, clv, segment, metrics, service_cli, loyalty):
    _group.register(app)
