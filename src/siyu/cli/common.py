"""What every command shares: finding the warehouse, reaching it as a reader or a writer, printing messages.

Readers (status, segment count, metrics …) answer from the last published snapshot and never migrate; writers
(import, run, init, migrate, and the commands that record a decision: segment save, identity merge) hold the
warehouse one at a time (siyu.pipeline.access). Messages are plain text: Rich markup is off for anything that
carries user data, so a `[fields]` in a message prints as written.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console

from siyu.errors import SiyuError, UserError

if TYPE_CHECKING:
    from siyu.config import WarehouseChoice
    from siyu.engine import Engine

__all__ = ["UserError", "console", "err_console", "fail", "friendly", "reading", "writing"]

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

EXIT_OK, EXIT_PARTIAL, EXIT_USER, EXIT_INTERNAL, EXIT_BUSY, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130


def debugging() -> bool:
    """--debug (set by the entry point) or SIYU_DEBUG=1: let a traceback through."""
    return os.environ.get("SIYU_DEBUG", "").strip().lower() not in ("", "0", "false", "no")


def say_error(message: str) -> None:
    """One line on stderr, printed literally (no markup, no highlighting)."""
    first = str(message).strip().splitlines()[0] if str(message).strip() else "failed"
    err_console.print(f"error: {first}", markup=False, highlight=False, soft_wrap=True)


def _user_errors() -> tuple[type[BaseException], ...]:
    """Errors that are a user's to fix. Loaded lazily: naming EngineError and ConfigError must not import them
    for `siyu --help`."""
    from siyu.config import ConfigError
    from siyu.engine import EngineError

    return (ConfigError, EngineError, FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError)


_PACKAGE = str(Path(__file__).resolve().parents[1])


def _ours(exc: BaseException) -> bool:
    """A ValueError siyu raised itself (its innermost frame is in siyu) is a message for the user; one raised
    inside a library is a bug of ours, exit 3 (issue 18 §4)."""
    tb = exc.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    return str(Path(tb.tb_frame.f_code.co_filename).resolve()).startswith(_PACKAGE)


def friendly(func: F) -> F:
    """Print a failure siyu expects as one line with its exit status instead of a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except typer.Exit:
            raise
        except SiyuError as exc:
            if debugging():
                raise
            say_error(str(exc))
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            if debugging():
                raise
            err_console.print("interrupted", markup=False, highlight=False)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except Exception as exc:
            if debugging():
                raise
            if isinstance(exc, _user_errors()) or (isinstance(exc, ValueError) and _ours(exc)):
                say_error(_plain(exc))
                raise typer.Exit(EXIT_USER) from None
            say_error(f"internal error ({type(exc).__name__}: {_plain(exc)}); rerun with --debug for the traceback")
            raise typer.Exit(EXIT_INTERNAL) from None

    return wrapper  # type: ignore[return-value]


def _plain(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.strerror or 'cannot use'}: {exc.filename}"
    return str(exc)


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
