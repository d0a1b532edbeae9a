"""Migration 0005 creates the guides', KOC and referral tables exactly as their modules describe them."""

from __future__ import annotations

import sqlalchemy as sa

from siyu.guides import tables as guide_tables
from siyu.koc import tables as koc_tables
from siyu.referrals import tables as referral_tables


def test_migrated_tables_match_the_modules(store: sa.Engine) -> None:
    found = sa.inspect(store)
    for md in (guide_tables.metadata, koc_tables.metadata, referral_tables.metadata):
        for table in md.sorted_tables:
            columns = {c["name"]: c["nullable"] for c in found.get_columns(table.name)}
            assert columns == {c.name: c.nullable for c in table.columns}, table.name
