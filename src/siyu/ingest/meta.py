"""The meta columns every raw row carries, and the content hash that makes imports idempotent.

`_row_hash` is an md5 over the source name and the row's own columns (never the file name or row
number), so the same content imported twice, from the same file or from an overlapping export, hashes
the same and `Engine.append_new(..., key="_row_hash")` stores it once. The demo's direct-write mode
calls `add_meta` too, so rows it writes and rows imported from its export files hash alike.

Hash recipe (stable across versions, documented in docs/import-mappings.md): the columns in name order,
each non-null, non-empty value rendered as text by DuckDB's CAST(... AS VARCHAR) as `name=value`, joined
with the unit separator (0x1F) after the source name. Null and empty values are skipped, so a table with an
extra all-null column hashes the same as one without it.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from siyu.engine.local import arrow_sql
from siyu.engine.quote import ident, literal
from siyu.schema.tables import META_COLUMNS, raw_schema

META_NAMES: tuple[str, ...] = tuple(name for name, _ in META_COLUMNS)
_SEP = "chr(31)"


def hash_sql(source: str, columns: list[str]) -> str:
    """A DuckDB SQL expression computing `_row_hash` for a row with these content columns."""
    parts = [literal(source)]
    for name in sorted(columns):
        parts.append(f"{literal(name + '=')} || nullif(CAST({ident(name)} AS VARCHAR), '')")
    return f"md5(concat_ws({_SEP}, {', '.join(parts)}))"


def conform(table: pa.Table, target: str) -> pa.Table:
    """Cast `table` to raw table `target`'s content columns (absent ones become nulls, extras are dropped)."""
    schema = raw_schema(target)
    cols: list[pa.Array | pa.ChunkedArray] = []
    fields: list[pa.Field] = []
    for field in schema:
        if field.name in META_NAMES:
            continue
        if field.name in table.column_names:
            cols.append(table.column(field.name).cast(field.type))
        else:
            cols.append(pa.nulls(table.num_rows, type=field.type))
        fields.append(field)
    return pa.Table.from_arrays(cols, schema=pa.schema(fields))


def add_meta(
    table: pa.Table,
    source: str,
    file: str,
    rows: pa.Array | None,
    ingested_at: dt.datetime,
    *,
    target: str | None = None,
) -> pa.Table:
    """Return `table` with `_source, _file, _row, _ingested_at, _row_hash` appended.

    `rows` are the spreadsheet row numbers (header = row 1), or None for rows not read from a file.
    Pass `target` (a raw table name) to first cast the columns to that table's types: the hash is over
    the values as text, so a DECIMAL 12.50 and a float 12.5 would hash differently.
    """
    content = conform(table, target) if target else table.drop_columns(
        [c for c in table.column_names if c in META_NAMES]
    )
    hashes = arrow_sql(f"SELECT {hash_sql(source, content.column_names)} AS h FROM t", t=content).column("h")
    return with_meta(content, source, file, rows, ingested_at, hashes)


def with_meta(
    content: pa.Table,
    source: str,
    file: str,
    rows: pa.Array | None,
    ingested_at: dt.datetime,
    hashes: pa.Array | pa.ChunkedArray,
) -> pa.Table:
    """Append the meta columns given hashes already computed with `hash_sql` (the importer's fast path)."""
    n = content.num_rows
    if rows is None:
        row_col: pa.Array | pa.ChunkedArray = pa.nulls(n, pa.int64())
    else:
        row_col = rows.cast(pa.int64())
    when = ingested_at.replace(tzinfo=None)
    return (
        content.append_column(pa.field("_source", pa.string()), pa.repeat(pa.scalar(source, pa.string()), n))
        .append_column(pa.field("_file", pa.string()), pa.repeat(pa.scalar(file, pa.string()), n))
        .append_column(pa.field("_row", pa.int64()), row_col)
        .append_column(
            pa.field("_ingested_at", pa.timestamp("us")), pa.repeat(pa.scalar(when, pa.timestamp("us")), n)
        )
        .append_column(pa.field("_row_hash", pa.string()), hashes)
    )
