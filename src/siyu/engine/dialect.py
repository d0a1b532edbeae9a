"""DuckDB-dialect SQL to another engine's dialect, through sqlglot."""

from __future__ import annotations

from functools import lru_cache

import sqlglot


@lru_cache(maxsize=512)
def transpile(sql: str, write: str) -> str:
    """Translate one DuckDB statement; the cache matters because steps re-run the same SQL."""
    if write == "duckdb":
        return sql
    out = sqlglot.transpile(sql, read="duckdb", write=write, pretty=False)
    if len(out) != 1:
        raise ValueError(f"expected one statement, got {len(out)}")
    return out[0]
