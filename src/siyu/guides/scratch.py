"""Scratch tables for a computation's own inputs: temporary where the engine has them (DuckDB: private to the
connection, so the service's read-only snapshot and concurrent requests can each have their own)."""

from __future__ import annotations

import pyarrow as pa

from siyu.engine import Engine


def scratch_arrow(engine: Engine, name: str, data: pa.Table) -> None:
    """Temporary table `name` holding `data` (replacing one of that name)."""
    engine.create_temp_table(name, data.schema)
    engine.write_arrow(name, data, mode="append")
