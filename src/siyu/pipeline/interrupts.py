"""Ctrl-C during a run, said exactly.

Each step commits on its own (runner.py), so an interrupted run leaves the steps before the interrupted one with
this run's results and the rest with the previous run's: the message names both, instead of pretending that
nothing was kept.
"""

from __future__ import annotations

from siyu.errors import Interrupted


class StepsInterrupted(Interrupted):
    """Ctrl-C during `siyu run`: exit 130, naming the steps whose results are current (`done`: step names, a step
    that could not produce results marked "(unavailable)")."""

    def __init__(self, done: list[str], at: str, chosen: list[str]) -> None:
        self.done, self.at = done, at
        rest = chosen[chosen.index(at):] if at in chosen else []
        current = f"{', '.join(done)} finished and their results are current" if done else "no step had finished"
        super().__init__(
            f"interrupted during step {at}: {current}; {', '.join(rest)} still hold(s) the previous run's results "
            "(run `siyu run` again to bring them up to date)"
        )
