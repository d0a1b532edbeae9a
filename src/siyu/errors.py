"""The errors siyu raises on purpose, so the CLI can tell a user's mistake from a bug.

Each carries the exit status the CLI ends with (docs/cli.md): 2 a mistake the user can fix, 4 the warehouse is
busy with another writer. Anything else that escapes is a bug: exit 3, traceback only with --debug.
"""

from __future__ import annotations

from collections.abc import Iterable


def nearest_name(word: str, names: Iterable[str]) -> str | None:
    """The known name a misspelt `word` most likely meant, or None when none is close: one reading of "did you
    mean" for siyu.toml, mappings, channels and the segment language."""
    import difflib  # only when a mistake is being explained: every command imports this module

    found = difflib.get_close_matches(word, list(names), n=1, cutoff=0.6)
    return found[0] if found else None


class SiyuError(Exception):
    """Base of the errors siyu raises on purpose."""

    exit_code = 2


class UserError(SiyuError, ValueError):
    """A mistake the user can fix: printed as one line, exit 2."""


class WarehouseBusy(SiyuError):
    """Another process holds the warehouse for writing (a run or an import): exit 4, nothing changed."""

    exit_code = 4


class Interrupted(SiyuError):
    """Ctrl-C, with what was kept said exactly: exit 130."""

    exit_code = 130


class NoResult(SiyuError):
    """A step cannot produce its results from the data there is (no CLV model can be fitted when every customer
    has one order): the run records why, skips what needs them and carries on with the rest."""


class Degraded(UserWarning):
    """A step produced its results a lesser way and says how (identity with key links only, when Splink finds
    nothing to learn in a tiny warehouse). Issued as a warning so any layer can raise it without changing what
    it returns: the runner records it in the run log and on the run, and `siyu run` and `siyu status` print it."""
