"""Segments (人群筛选): a safe expression language over the profile, saved segments and member snapshots.

Also the `tags` step, because user tag rules are written in the segment language.
"""

from siyu.segment.errors import SegmentError
from siyu.segment.language import Vocabulary, compile_predicate, segment_sql
from siyu.segment.steps import run_segments, run_tags

__all__ = ["SegmentError", "Vocabulary", "compile_predicate", "run_segments", "run_tags", "segment_sql"]
