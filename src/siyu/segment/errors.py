"""Segment-language errors that point at the offending token, with a suggestion when one is close."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class SegmentError(ValueError):
    """An expression that cannot be a segment; the message shows where and what to do."""

    def __init__(self, message: str, text: str = "", start: int | None = None, end: int | None = None,
                 hint: str = "") -> None:
        self.reason = message
        self.start, self.end = start, end
        lines = [message]
        if text and start is not None:
            width = max(1, (end if end is not None else start) - start + 1)
            lines += [f"  {text}", "  " + " " * start + "^" * width]
        if hint:
            lines.append(hint)
        super().__init__("\n".join(lines))


def closest(word: str, choices: Iterable[str]) -> str:
    """'did you mean …?' for the nearest known name, or '' when nothing is close."""
    found = difflib.get_close_matches(word.lower(), list(choices), n=1, cutoff=0.6)
    return f"did you mean '{found[0]}'?" if found else ""
