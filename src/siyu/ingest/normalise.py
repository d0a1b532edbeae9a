"""The `normalise` step: raw rows → clean tables (filled in below)."""

from __future__ import annotations

from siyu.engine import Engine


def normalise(engine: Engine) -> tuple[int, int, str]:
    return 0, 0, ""
