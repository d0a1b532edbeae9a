"""The ledger's stores for tests: the operational store (`siyu.store.open_store`, migrations applied) on SQLite
(a temp file) and on PostgreSQL (SIYU_TEST_PG_URL, a fresh schema per use, dropped after, so runs never see each
other's rows or the service's tables)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from siyu.store import open_store

PG_URL = os.environ.get("SIYU_TEST_PG_URL", "")


def _schema_url(base: str, schema: str) -> str:
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


@contextmanager
def pg_url() -> Iterator[str]:
    """The test PostgreSQL with a new schema first on its search path, dropped on exit."""
    if not PG_URL:
        pytest.skip("PostgreSQL tests need SIYU_TEST_PG_URL")
    schema = f"loyalty_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        yield _schema_url(PG_URL, schema)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@contextmanager
def store(kind: str, folder: Path) -> Iterator[Engine]:
    """The operational store, migrated (so the ledger's tables come from migration 0002), on `kind`
    (sqlite | postgresql)."""
    with ExitStack() as stack:
        if kind == "sqlite":
            url = f"sqlite:///{folder / f'store-{uuid.uuid4().hex[:8]}.sqlite'}"
        else:
            url = stack.enter_context(pg_url())
        engine = open_store(url)
        stack.callback(engine.dispose)
        yield engine
