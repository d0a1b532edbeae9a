"""Segments (人群筛选): a safe expression language over the profile, saved segments and member snapshots.

Also the `tags` step, because user tag rules are written in the segment language. Names load on first use
(PEP 562): `siyu segment count` needs the language and the store, not the steps and the profile layer.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from siyu.segment.errors import SegmentError
    from siyu.segment.language import Vocabulary, compile_predicate, segment_sql
    from siyu.segment.steps import run_segments, run_tags

_HOMES = {
    "SegmentError": "errors", "Vocabulary": "language", "compile_predicate": "language", "segment_sql": "language",
    "run_segments": "steps", "run_tags": "steps",
}

__all__ = ["SegmentError", "Vocabulary", "compile_predicate", "run_segments", "run_tags", "segment_sql"]


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(import_module(f"siyu.segment.{_HOMES[name]}"), name)
    raise AttributeError(f"module 'siyu.segment' has no attribute {name!r}")
