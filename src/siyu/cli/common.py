"""What every command shares: finding the warehouse, reaching it as a reader or a writer, printing messages.

Readers (status, segment count, metrics …) answer from the last published snapshot and never migrate; writers
(import, run, init, migrate, and the commands that record a decision: segment save, identity merge) hold the
warehouse one at a time (siyu.pipeline.access). Messages are plain text: Rich markup is off for anything that
carries user data, so a `[fields]` in a message prints as written.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console

from siyu.cli.outcome import (
    EXIT_BUSY,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_USER,
    debugging,
    exit_status,
    say_error,
)
from siyu.errors import UserError

if TYPE_CHECKING:
    from siyu.config import WarehouseChoice
    from siyu.engine import Engine

__all__ = ["EXIT_BUSY", "EXIT_INTERNAL", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_PARTIAL", "EXIT_USER", "UserError",
           "console", "debugging", "err_console", "fail", "friendly", "reading", "say_error", "writing"]

console = Console(markup=False, highlight=False)
err_console = Console(stderr=True, markup=False, highlight=False)

F = TypeVar("F", bound=Callable[..., Any])

WarehouseOpt = Annotated[
    str | None,
    typer.Option(
        "--warehouse", "-w", help="DuckDB warehouse file (else SIYU_WAREHOUSE, siyu.toml, ./siyu-demo.duckdb)"
    ),
]
ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="siyu.toml to use (default: ./siyu.toml)")]
EngineOpt = Annotated[str | None, typer.Option("--engine", help="duckdb (default) or spark")]


def friendly(func: F) -> F:
    """Print a failure siyu expects as one line with its exit status instead of a traceback (cli/outcome.py)."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except typer.Exit:
            raise
        except (Exception, KeyboardInterrupt) as exc:
            raise typer.Exit(exit_status(exc)) from None

    return wrapper  # type: ignore[return-value]


def choose(warehouse: str | None, config: Path | None, quiet: bool = False) -> WarehouseChoice:
    from siyu.config import locate_warehouse

    choice = locate_warehouse(warehouse, config)
    if not quiet:
        err_console.print(f"warehouse: {choice.path} ({choice.reason})", style="dim", markup=False, highlight=False)
    return choice


@contextmanager
def reading(
    warehouse: str | None, config: Path | None, engine: str | None = None, quiet: bool = False
) -> Iterator[tuple[Engine, WarehouseChoice]]:
    """The last published snapshot, read-only (see siyu.pipeline.access.open_reader)."""
    from siyu.pipeline.access import open_reader

    choice = choose(warehouse, config, quiet=quiet)
    with open_reader(choice.settings, choice.path, engine) as eng:
        yield eng, choice


@contextmanager
def writing(
    warehouse: str | None,
    config: Path | None,
    engine: str | None = None,
    must_exist: bool = True,
    quiet: bool = False,
) -> Iterator[tuple[Engine, WarehouseChoice]]:
    """The warehouse held for writing, migrated, published when the block ends well."""
    from siyu.pipeline.access import writing as held

    choice = choose(warehouse, config, quiet=quiet)
    with held(choice.settings, choice.path, engine, must_exist=must_exist) as eng:
        yield eng, choice


def fail(message: str, code: int = EXIT_USER) -> None:
    say_error(message)
    sys.stdout.flush()
    raise typer.Exit(code)
