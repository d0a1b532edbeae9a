"""DuckDB-dialect SQL to another engine's dialect, through sqlglot."""

from __future__ import annotations

from functools import lru_cache

import sqlglot
from sqlglot import exp


def _spark_percentile(node: exp.Expression) -> exp.Expression:
    """DuckDB's quantile_cont(x, q) is exact with linear interpolation, as is Spark's percentile(x, q); sqlglot
    writes PERCENTILE_CONT(x, q), which Spark rejects (it wants the WITHIN GROUP form)."""
    if isinstance(node, exp.PercentileCont) and node.args.get("expression") is not None:
        return exp.Anonymous(this="percentile", expressions=[node.this, node.expression])
    return node


@lru_cache(maxsize=512)
def transpile(sql: str, write: str) -> str:
    """Translate one DuckDB statement; the cache matters because steps re-run the same SQL."""
    if write == "duckdb":
        return sql
    trees = sqlglot.parse(sql, read="duckdb")
    if len(trees) != 1 or trees[0] is None:
        raise ValueError(f"expected one statement, got {len(trees)}")
    tree = trees[0].transform(_spark_percentile) if write == "spark" else trees[0]
    return tree.sql(dialect=write, pretty=False)
