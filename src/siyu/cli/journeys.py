"""`siyu journeys`: run the journeys now, list them, put a person on the do-not-contact list. Thin: the rules
live in siyu.journeys."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.table import Table

from siyu.cli.common import ConfigOpt, WarehouseOpt, console, fail, friendly, reading

journeys_app = typer.Typer(help="Journeys (SOP): staff tasks from triggers, guard rails, holdout.",
                           no_args_is_help=True)


def journeys_run(
    as_of: Annotated[str | None, typer.Option("--as-of", help="the day to evaluate (default: the profile's)")] = None,
    warehouse: WarehouseOpt = None, config: ConfigOpt = None,
) -> None:
    """Evaluate every journey on the last published warehouse: new entries, due steps, tasks and coupons
    (running it again creates nothing new)."""
    from siyu.journeys.step import run_journeys
    from siyu.store import open_store, store_url

    day = None
    if as_of:
        try:
            day = dt.date.fromisoformat(as_of)
        except ValueError:
            fail(f"--as-of {as_of!r}: use YYYY-MM-DD")
    with reading(warehouse, config) as (eng, choice):
        store = open_store(store_url(choice.settings, choice.path))
        try:
            detail = run_journeys(eng, choice.settings, day, store=store)[2]
        finally:
            store.dispose()
    console.print(detail)


def journeys_list(warehouse: WarehouseOpt = None, config: ConfigOpt = None) -> None:
    """The journeys this brand runs, with their trigger, steps and holdout."""
    from siyu.cli.common import choose
    from siyu.journeys.catalogue import all_journeys
    from siyu.journeys.settings import journeys_file
    from siyu.store import open_store, store_url

    choice = choose(warehouse, config)
    store = open_store(store_url(choice.settings, choice.path))
    try:
        found = all_journeys(store, journeys_file(choice.settings))
    finally:
        store.dispose()
    table = Table("journey", "trigger", "steps", "holdout", "enabled", title="journeys")
    for j in found:
        table.add_row(j.name, j.trigger, " → ".join(s.name for s in j.steps), f"{j.holdout:.0%}", str(j.enabled))
    console.print(table)


def journeys_optout(
    person: Annotated[str, typer.Argument(help="person id")],
    reason: Annotated[str, typer.Option("--reason", help="why (kept with the entry)")],
    warehouse: WarehouseOpt = None, config: ConfigOpt = None,
) -> None:
    """Put a person on the do-not-contact list: no staff task for them in any journey from the next evaluation."""
    from siyu.cli.common import choose
    from siyu.journeys.optouts import opt_out
    from siyu.store import open_store, store_url

    choice = choose(warehouse, config)
    store = open_store(store_url(choice.settings, choice.path))
    try:
        added = opt_out(store, person, reason)
    finally:
        store.dispose()
    console.print(f"{person}: {'added to' if added else 'already on'} the do-not-contact list")


def register(app: typer.Typer) -> None:
    journeys_app.command("run")(friendly(journeys_run))
    journeys_app.command("list")(friendly(journeys_list))
    journeys_app.command("optout")(friendly(journeys_optout))
    app.add_typer(journeys_app, name="journeys")
