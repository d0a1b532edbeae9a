"""The errors siyu raises on purpose, so the CLI can tell a user's mistake from a bug."""

from __future__ import annotations


class SiyuError(Exception):
    """Base of the errors siyu raises on purpose."""


class UserError(SiyuError, ValueError):
    """A mistake the user can fix: printed as one line, exit 2."""
