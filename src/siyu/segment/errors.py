"""Segment-language errors that point at the offending token, with a suggestion when one is close."""

from __future__ import annotations

from collections.abc import Iterable

from siyu.errors import nearest_name


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
    found = nearest_name(word.lower(), choices)
    return f"did you mean '{found}'?" if found else ""
