"""The ledger lives in the operational store: migrations 0002 and 0003 create exactly the tables siyu.loyalty.tables
describes (columns, types, keys, indexes), on SQLite and on PostgreSQL, and the ledger posts through the store's
own engine."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from siyu.loyalty import lots
from siyu.loyalty.tables import metadata
from siyu.store.connect import MIGRATIONS


def _head() -> str:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    assert head is not None
    return head


def test_migrations_match_the_tables(ledger_db: Engine) -> None:
    with ledger_db.connect() as conn:
        names = set(inspect(conn).get_table_names())
        assert {t.name for t in metadata.sorted_tables} <= names
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar_one() == _head()
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = [d for d in compare_metadata(context, metadata)
                if "loyalty_" in repr(d)]  # the store's own tables are not ours to compare
    assert diff == []


def test_the_ledger_posts_through_the_store(ledger_db: Engine) -> None:
    lots.adjust(ledger_db, "P1", 10, "welcome", "w1")
    assert lots.redeem(ledger_db, "P1", 10, "r1").created
