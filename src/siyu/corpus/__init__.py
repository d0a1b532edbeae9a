"""A development corpus for OneID: clean people, rendered in several schemas, with realistic errors at set rates.

Not the held-out data (that lives outside the project): a generator to develop and test against. Each record
carries its person (`truth`), so `siyu dedupe FILE --id rec_id --truth truth` scores a run. Everything is
drawn from one seed: the same (schema, profile, persons, seed) gives the same file.

    from siyu.corpus import make_corpus
    table = make_corpus("zh_channels", "typical", persons=1000, seed=7)
"""

from __future__ import annotations

from siyu.corpus.build import SCHEMAS, make_corpus, write_corpus
from siyu.corpus.profiles import PROFILES

__all__ = ["PROFILES", "SCHEMAS", "make_corpus", "write_corpus"]
