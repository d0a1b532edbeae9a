"""The one place SQL text is made from values and names that come from outside siyu's own code.

Steps write DuckDB-dialect SQL; `ident` and `literal` render through sqlglot, so what they produce is read
back by sqlglot exactly when the Spark engine transpiles a statement (a quote, backslash or newline inside a
name or a value survives on both engines). Wherever the engine can bind a value as a parameter, prefer that
(`Engine.query(sql, params)`); these functions are for what cannot be bound: table and column names, and
values inside SQL that is built once and run many times.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable
from decimal import Decimal

MAX_NAME = 1024  # characters; longer names are refused, never truncated
_PLAIN = re.compile(r"[A-Za-z0-9_.:@ -]*")  # text sqlglot writes as itself in quotes: ids, keys, codes
_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # a name sqlglot writes as itself in double quotes

SqlValue = str | int | float | bool | Decimal | dt.date | dt.datetime | None


class QuoteError(ValueError):
    """A name or value that cannot be written into SQL safely; the message says which and why."""


def ident(name: str) -> str:
    """A quoted identifier: any text (quotes, backticks, Chinese, emoji) becomes exactly that name."""
    if not isinstance(name, str) or not name:
        raise QuoteError("a name in SQL must be non-empty text")
    if "\x00" in name:
        raise QuoteError(f"the name {name[:40]!r}… contains a NUL character")
    if len(name) > MAX_NAME:
        raise QuoteError(f"the name {name[:40]!r}… is {len(name):,} characters long; the limit is {MAX_NAME:,}")
    if _PLAIN_NAME.fullmatch(name):  # siyu's own table and column names: no sqlglot import (~0.1 s a process)
        return f'"{name}"'
    from sqlglot import exp

    return exp.to_identifier(name, quoted=True).sql(dialect="duckdb")


def literal(value: SqlValue) -> str:
    """A SQL literal of the value's type: text quoted, dates and timestamps typed, NULL for None."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise QuoteError(f"{value} is not a number SQL can hold")
        return repr(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise QuoteError(f"{value} is not a number SQL can hold")
        return f"CAST({literal(str(value))} AS DECIMAL(18,{max(0, -value.as_tuple().exponent)}))"  # type: ignore[operator]
    if isinstance(value, dt.datetime):
        return f"CAST({literal(value.isoformat(sep=' '))} AS TIMESTAMP)"
    if isinstance(value, dt.date):
        return f"DATE {literal(value.isoformat())}"
    if isinstance(value, str):
        if _PLAIN.fullmatch(value):  # sqlglot's own rendering, without its ~0.1 ms a value (IN lists of ids)
            return f"'{value}'"
        if "\x00" in value:
            raise QuoteError(f"the text {value[:40]!r}… contains a NUL character")
        from sqlglot import exp

        return exp.Literal.string(value).sql(dialect="duckdb")
    raise QuoteError(f"cannot write a {type(value).__name__} into SQL")


def literal_list(values: Iterable[SqlValue]) -> str:
    """`(v1, v2, …)` for IN; `(NULL)` when empty, which matches nothing."""
    items = [literal(v) for v in values]
    return "(" + (", ".join(items) if items else "NULL") + ")"
