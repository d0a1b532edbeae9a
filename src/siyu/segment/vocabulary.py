"""What a segment expression may name on this warehouse, and how many persons one matches now.

Read from the database's own catalogue and fetched as Python values, never as Arrow: `siyu segment count` is
the reader a user waits for, and pyarrow alone costs more to import than the count takes on 1M persons.
"""

from __future__ import annotations

import datetime as dt

from siyu.engine import Engine
from siyu.errors import UserError
from siyu.segment.helpers import Sources
from siyu.segment.language import Vocabulary, segment_sql


def vocabulary(engine: Engine, src: Sources | None = None) -> Vocabulary:
    """The profile's columns and as-of day; a clear message when the profile has not been built yet."""
    src = src or Sources()
    have = set(engine.tables())  # once: each look costs a catalogue query
    if src.profile not in have:
        raise UserError(f"no {src.profile} table yet: run `siyu run` (steps normalise, identity, profile) first")
    kinds = engine.column_kinds(src.profile)
    as_of = engine.scalar(f"SELECT max(as_of) FROM {src.profile}")
    if not isinstance(as_of, dt.date):
        as_of = dt.date.today()  # an empty profile: no person will match anyway
    if src.tags not in have:
        from siyu.segment.tables import PERSON_TAG

        engine.ensure_table(src.tags, PERSON_TAG)

    def of(kind: str) -> frozenset[str]:
        return frozenset(name for name, k in kinds.items() if k == kind)

    names = frozenset(kinds) - {"person_key"}  # internal, changes every run
    return Vocabulary(names, as_of, of("boolean"), of("text"), of("number"))


def count(engine: Engine, expression: str) -> int:
    """How many persons match an expression now."""
    vocab = vocabulary(engine)
    return int(engine.scalar(f"SELECT count(*) FROM ({segment_sql(expression, vocab)}) AS s") or 0)
