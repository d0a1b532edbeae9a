"""SQL over Arrow tables in this process, for work that happens before data reaches a warehouse.

Importers parse and hash file batches here (vectorised, multi-threaded) whatever engine holds the
warehouse; the result is Arrow, handed to the warehouse engine. One in-memory DuckDB per thread.
"""

from __future__ import annotations

import threading

import duckdb
import pyarrow as pa

from siyu.engine.base import EngineError
from siyu.engine.duckdb_engine import _to_arrow

_local = threading.local()


def _connection() -> duckdb.DuckDBPyConnection:
    con = getattr(_local, "con", None)
    if con is None:
        con = duckdb.connect(":memory:")
        _local.con = con
    return con


def arrow_sql(sql: str, **tables: pa.Table) -> pa.Table:
    """Run one SELECT over the given Arrow tables (referred to by their keyword names)."""
    con = _connection()
    for name, table in tables.items():
        con.register(name, table)
    try:
        return _to_arrow(con.sql(sql))
    except duckdb.Error as exc:
        raise EngineError("local query", sql, exc) from exc
    finally:
        for name in tables:
            con.unregister(name)
