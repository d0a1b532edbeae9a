"""What every command shares: finding the warehouse, opening the engine, turning user mistakes into messages."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from siyu.config import ConfigError, WarehouseChoice, locate_warehouse
from siyu.engine import Engine, EngineError, open_engine
from siyu.schema import migrate

console = Console()
err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])

WarehouseOpt = Annotated[
    str | None,
    typer.Option(
        "--warehouse", "-w", help="DuckDB warehouse file (else SIYU_WAREHOUSE, siyu.toml, ./siyu-demo.duckdb)"
    ),
]
ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="siyu.toml to use (default: ./siyu.toml)")]
EngineOpt = Annotated[str | None, typer.Option("--engine", help="duckdb (default) or spark")]


class UserError(Exception):
    """A mistake the user can fix: printed as a message, never as a traceback; exit code 2."""


USER_ERRORS: tuple[type[BaseException], ...] = (UserError, ConfigError, FileNotFoundError, EngineError, ValueError)


def friendly(func: F) -> F:
    """Print user mistakes as one clear message and exit non-zero, instead of a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except typer.Exit:
            raise
        except USER_ERRORS as exc:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True)
            raise typer.Exit(2) from None
        except KeyboardInterrupt:
            err_console.print("[yellow]interrupted; nothing half-written was kept[/]")
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


def choose(warehouse: str | None, config: Path | None, quiet: bool = False) -> WarehouseChoice:
    choice = locate_warehouse(warehouse, config)
    if not quiet:
        err_console.print(f"[dim]warehouse: {choice.path} ({choice.reason})[/]", highlight=False)
    return choice


@contextmanager
def opened(
    warehouse: str | None,
    config: Path | None,
    engine: str | None = None,
    must_exist: bool = True,
    quiet: bool = False,
) -> Iterator[tuple[Engine, WarehouseChoice]]:
    """Open the chosen warehouse on the chosen engine, migrated to the current schema."""
    choice = choose(warehouse, config, quiet=quiet)
    name = engine or choice.settings.engine.name
    if must_exist and name == "duckdb" and not choice.path.exists():
        raise UserError(
            f"no warehouse at {choice.path}; run `siyu demo` or `siyu import` first, or pass --warehouse"
        )
    eng = open_engine(choice.settings, choice.path, engine)
    try:
        migrate(eng)
        yield eng, choice
    finally:
        eng.close()


def fail(message: str, code: int = 2) -> None:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    sys.stdout.flush()
    raise typer.Exit(code)
