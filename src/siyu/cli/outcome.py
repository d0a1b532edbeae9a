"""How a command's failure becomes one line on stderr and an exit status (docs/cli.md), without typer or rich:
`siyu segment count` answers through this alone (siyu.cli.quick), the other commands through `friendly`.

Exit statuses: 0 ok, 1 partial or quarantined, 2 a user's mistake, 3 a bug, 4 busy, 130 interrupted.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from siyu.errors import SiyuError

EXIT_OK, EXIT_PARTIAL, EXIT_USER, EXIT_INTERNAL, EXIT_BUSY, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130

_PACKAGE = str(Path(__file__).resolve().parents[1])


def debugging() -> bool:
    """--debug (set by the entry point) or SIYU_DEBUG=1: let a traceback through."""
    return os.environ.get("SIYU_DEBUG", "").strip().lower() not in ("", "0", "false", "no")


def say_error(message: str) -> None:
    """One line on stderr, printed literally (a `[fields]` in it prints as written)."""
    first = str(message).strip().splitlines()[0] if str(message).strip() else "failed"
    print(f"error: {first}", file=sys.stderr, flush=True)


def _user_errors() -> tuple[type[BaseException], ...]:
    """Errors that are a user's to fix. Loaded lazily: naming EngineError and ConfigError must not import them
    for `siyu --help`."""
    from siyu.config import ConfigError
    from siyu.engine import EngineError

    return (ConfigError, EngineError, FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError)


def _ours(exc: BaseException) -> bool:
    """A ValueError siyu raised itself (its innermost frame is in siyu) is a message for the user; one raised
    inside a library is a bug of ours, exit 3 (issue 18 §4)."""
    tb = exc.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    return str(Path(tb.tb_frame.f_code.co_filename).resolve()).startswith(_PACKAGE)


def plain(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.strerror or 'cannot use'}: {exc.filename}"
    return str(exc)


def exit_status(exc: BaseException) -> int:
    """Say what went wrong in one line and return the exit status; with --debug, raise it for its traceback."""
    if debugging():
        raise exc
    if isinstance(exc, SiyuError):
        say_error(str(exc))
        return exc.exit_code
    if isinstance(exc, KeyboardInterrupt):
        print("interrupted", file=sys.stderr, flush=True)
        return EXIT_INTERRUPTED
    if isinstance(exc, _user_errors()) or (isinstance(exc, ValueError) and _ours(exc)):
        say_error(plain(exc))
        return EXIT_USER
    say_error(f"internal error ({type(exc).__name__}: {plain(exc)}); rerun with --debug for the traceback")
    return EXIT_INTERNAL
