"""Shared fixtures: real engines (DuckDB in a temp file, Spark local[2] on a temp lake)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from siyu.engine import Engine
from siyu.engine.duckdb_engine import DuckDBEngine
from siyu.schema import migrate


def _java_available() -> bool:
    return shutil.which("java") is not None


@pytest.fixture
def duck(tmp_path: Path) -> Iterator[Engine]:
    """A migrated DuckDB warehouse in a temporary file."""
    engine = DuckDBEngine(tmp_path / "test.duckdb")
    migrate(engine)
    yield engine
    engine.close()


@pytest.fixture
def spark(tmp_path: Path) -> Iterator[Engine]:
    """A migrated Spark engine on a temporary lake (the Spark session itself is shared by the process)."""
    if not _java_available():
        pytest.skip("Spark needs Java")
    from siyu.engine.spark_engine import SparkEngine

    engine = SparkEngine(tmp_path / "lake")
    migrate(engine)
    yield engine
    engine.close()


@pytest.fixture(params=["duckdb", "spark"])
def any_engine(request: pytest.FixtureRequest) -> Engine:
    """The same test on both engines."""
    return request.getfixturevalue("duck" if request.param == "duckdb" else "spark")
