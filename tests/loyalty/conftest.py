"""Fixtures of the ledger tests: every test using `ledger_db` runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from .loyalty_stores import store


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """The ledger on SQLite and on PostgreSQL: every test using it runs on both."""
    with store(request.param, tmp_path) as engine:
        yield engine
