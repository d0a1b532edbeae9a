"""Migration 0005 creates exactly the guides', KOC and referral tables their modules describe (columns, types,
keys, indexes), on SQLite and on PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from siyu.guides import tables as guide_tables
from siyu.koc import tables as koc_tables
from siyu.referrals import tables as referral_tables


def test_migrated_tables_match_the_modules(store: sa.Engine) -> None:
    with store.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        for md in (guide_tables.metadata, koc_tables.metadata, referral_tables.metadata):
            ours = {t.name for t in md.sorted_tables}
            assert ours <= set(sa.inspect(conn).get_table_names())
            diff = [d for d in compare_metadata(context, md)
                    if any(f"'{name}'" in repr(d) for name in ours)]  # other modules' tables are not compared here
            assert diff == [], diff
