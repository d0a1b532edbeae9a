"""Fixtures of the guides, KOC and referral tests: the operational store (migrated) on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from loyalty.loyalty_stores import store as open_test_store
from sqlalchemy.engine import Engine


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """The operational store on SQLite and on PostgreSQL: every test using it runs on both."""
    with open_test_store(request.param, tmp_path) as engine:
        yield engine
