"""The ledger's stores for tests: SQLite (WAL, a temp file) and PostgreSQL (SIYU_TEST_PG_URL, a fresh schema
per use, dropped after, so runs never see each other's rows or the service's tables)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from siyu.loyalty.tables import create_all

PG_URL = os.environ.get("SIYU_TEST_PG_URL", "")


def sqlite_engine(path: Path) -> Engine:
    engine = sa.create_engine(f"sqlite:///{path}", connect_args={"timeout": 60})

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi: Any, _record: Any) -> None:
        dbapi.execute("PRAGMA journal_mode=WAL")
        dbapi.execute("PRAGMA foreign_keys=ON")

    return engine


@contextmanager
def pg_engine(pool_size: int = 5) -> Iterator[Engine]:
    """An engine whose search_path is a new schema, dropped on exit."""
    if not PG_URL:
        pytest.skip("PostgreSQL tests need SIYU_TEST_PG_URL")
    url = PG_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    schema = f"loyalty_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    engine = sa.create_engine(url, connect_args={"options": f"-csearch_path={schema}"}, pool_size=pool_size)
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@contextmanager
def store(kind: str, folder: Path, pool_size: int = 5) -> Iterator[Engine]:
    """A ledger with its tables created, on `kind` (sqlite | postgresql)."""
    if kind == "sqlite":
        engine = sqlite_engine(folder / f"ledger-{uuid.uuid4().hex[:8]}.store.sqlite")
        create_all(engine)
        try:
            yield engine
        finally:
            engine.dispose()
    else:
        with pg_engine(pool_size) as engine:
            create_all(engine)
            yield engine
