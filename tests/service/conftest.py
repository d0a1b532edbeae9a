"""The service's fixtures: the operational store on SQLite and on PostgreSQL (SIYU_TEST_PG_URL; in CI a missing
PostgreSQL fails, outside CI it skips), and one small demo warehouse built once per session."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from siyu.store import open_store

PG_ENV = "SIYU_TEST_PG_URL"


def _pg_schema_url(base: str, schema: str) -> str:
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh schema on the test PostgreSQL, dropped afterwards, so tests never see each other's rows."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"PostgreSQL tests need {PG_ENV} (postgresql://user:pw@127.0.0.1/db)")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine("postgresql+psycopg://" + base.removeprefix("postgresql://"))
    try:
        with admin.begin() as con:
            con.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.OperationalError as exc:
        pytest.skip(f"PostgreSQL at {PG_ENV} not reachable: {str(exc).splitlines()[0]}")
    yield _pg_schema_url(base, schema)
    with admin.begin() as con:
        con.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    """The operational store, migrated, on SQLite and on PostgreSQL."""
    url = f"sqlite:///{tmp_path / 'store.sqlite'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    engine = open_store(url)
    yield engine
    engine.dispose()
