"""Any transactions file (CSV, TSV, whitespace-separated text, Parquet) → checked (customer, date, amount) rows.

This is how `siyu clv fit FILE` works on data that never went through the warehouse: the file becomes an Arrow
table, every value is checked with a message naming the file, row and column, and the rows go into an
in-memory DuckDB engine where the very same summary SQL as the warehouse step runs.
Row numbers are as a spreadsheet shows them: with a header line, the first data row is row 2.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from siyu.engine.local import arrow_sql
from siyu.engine.quote import ident, literal

_MAX_LISTED = 5


class TransactionsError(ValueError):
    """A transactions file that cannot be used as given; the message says where and what to do."""


@dataclass(frozen=True)
class Columns:
    customer: str
    date: str
    amount: str | None = None


def _read_whitespace(path: Path) -> tuple[pa.Table, int]:
    """Space-separated text (like the CDNOW files); without a header the columns are col1, col2, …"""
    lines = [ln.split() for ln in path.read_text(encoding="utf-8-sig").splitlines() if ln.strip()]
    if not lines:
        raise TransactionsError(f"{path}: the file is empty")

    def numeric(tok: str) -> bool:
        try:
            float(tok)
        except ValueError:
            return False
        return True

    has_header = not all(numeric(t) for t in lines[0])
    names = lines[0] if has_header else [f"col{i + 1}" for i in range(len(lines[0]))]
    body = lines[1:] if has_header else lines
    width = len(names)
    for i, fields in enumerate(body):
        if len(fields) != width:
            row = i + (2 if has_header else 1)
            raise TransactionsError(f"{path}: row {row} has {len(fields)} fields, the file has {width} columns")
    cols = {n: pa.array([f[j] for f in body], pa.string()) for j, n in enumerate(names)}
    return pa.table(cols), 2 if has_header else 1


def read_table(path: Path) -> tuple[pa.Table, int]:
    """The file as an all-text Arrow table, and the row number of its first data row."""
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    if path.suffix.lower() in (".parquet", ".pq"):
        table = pq.read_table(path)
        return table.cast(pa.schema([pa.field(f.name, pa.string()) for f in table.schema])), 1
    with path.open("r", encoding="utf-8-sig", errors="replace") as fh:
        first = fh.readline()
    delimiter = next((d for d in (",", "\t", ";", "|") if d in first), None)
    if delimiter is None:
        return _read_whitespace(path)
    try:
        table = pacsv.read_csv(
            path,
            parse_options=pacsv.ParseOptions(delimiter=delimiter),
            convert_options=pacsv.ConvertOptions(column_types={}, strings_can_be_null=True, auto_dict_encode=False),
            read_options=pacsv.ReadOptions(block_size=1 << 24),
        )
    except pa.ArrowInvalid as exc:
        raise TransactionsError(f"{path}: not a readable CSV file: {exc}") from exc
    return table.cast(pa.schema([pa.field(f.name, pa.string()) for f in table.schema])), 2


def _rows(rows: list[int], total: int) -> str:
    shown = ", ".join(str(r) for r in rows[:_MAX_LISTED])
    return f"row {shown}" if total == 1 else f"rows {shown}{' …' if total > _MAX_LISTED else ''}"


_PARSE_SQL = """
SELECT _row,
       NULLIF(trim(CAST({customer} AS VARCHAR)), '') AS customer_id,
       trim(CAST({date} AS VARCHAR)) AS date_text,
       CAST(coalesce(
           try_strptime(trim(CAST({date} AS VARCHAR)), '%Y-%m-%d'),
           try_strptime(trim(CAST({date} AS VARCHAR)), '%Y%m%d'),
           try_strptime(trim(CAST({date} AS VARCHAR)), '%Y/%m/%d'),
           try_strptime(trim(CAST({date} AS VARCHAR)), '%Y-%m-%d %H:%M:%S'),
           try_strptime(trim(CAST({date} AS VARCHAR)), '%Y/%m/%d %H:%M:%S'),
           try_strptime(trim(CAST({date} AS VARCHAR)), '%Y-%m-%dT%H:%M:%S')
       ) AS DATE) AS order_date,
       {amount_text} AS amount_text,
       try_cast(replace(replace(replace(trim(CAST({amount_text} AS VARCHAR)), ',', ''), '¥', ''), '￥', '')
                AS DOUBLE) AS amount
FROM data
"""


def load_transactions(path: Path, columns: Columns) -> pa.Table:
    """Read and check a file: rows of (customer_id, order_date, amount, _row); errors name file, rows, column."""
    table, first_row = read_table(path)
    missing = [c for c in (columns.customer, columns.date, columns.amount) if c and c not in table.column_names]
    if missing:
        raise TransactionsError(
            f"{path}: no column {', '.join(repr(m) for m in missing)}; the file has: {', '.join(table.column_names)}"
        )
    if table.num_rows == 0:
        raise TransactionsError(f"{path}: the file has no data rows")
    table = table.append_column("_row", pa.array(range(first_row, first_row + table.num_rows), pa.int64()))
    amount_text = ident(columns.amount) if columns.amount else "CAST(NULL AS VARCHAR)"
    parsed = arrow_sql(
        _PARSE_SQL.format(customer=ident(columns.customer), date=ident(columns.date), amount_text=amount_text),
        data=table,
    )
    _check(parsed, path, columns)
    return parsed.select(["customer_id", "order_date", "amount", "_row"])


def _check(parsed: pa.Table, path: Path, columns: Columns) -> None:
    checks = [
        ("customer_id IS NULL", f"column {columns.customer!r}: missing customer id", None),
        ("order_date IS NULL", f"column {columns.date!r}: unparsable date", "date_text"),
    ]
    if columns.amount:
        checks += [
            ("amount_text IS NULL OR trim(amount_text) = ''", f"column {columns.amount!r}: missing amount", None),
            ("amount IS NULL AND NOT (amount_text IS NULL OR trim(amount_text) = '')",
             f"column {columns.amount!r}: not a number", "amount_text"),
            ("amount < 0", f"column {columns.amount!r}: negative amount", "amount_text"),
        ]
    for where, what, show in checks:
        bad = arrow_sql(f"SELECT _row, {show or 'NULL'} AS v FROM parsed WHERE {where} ORDER BY _row", parsed=parsed)
        if bad.num_rows:
            rows = bad.column("_row").to_pylist()
            example = f" (e.g. {bad.column('v')[0].as_py()!r})" if show else ""
            hint = " Use YYYY-MM-DD or YYYYMMDD." if "date" in what else ""
            raise TransactionsError(f"{path}: {what}{example} in {_rows(rows, bad.num_rows)}.{hint}")


def check_period(rows: pa.Table, path: Path, calibration_end: dt.date, holdout_end: dt.date | None) -> None:
    """Rows dated after the last day we evaluate would be silently ignored: refuse them, naming the rows."""
    end = holdout_end or calibration_end
    late = arrow_sql(f"SELECT _row FROM rows WHERE order_date > {literal(end)} ORDER BY _row", rows=rows)
    if late.num_rows:
        listed = _rows(late.column("_row").to_pylist(), late.num_rows)
        what = "holdout end" if holdout_end else "calibration end"
        fix = "pass a later --holdout-end" if holdout_end else "pass --holdout-end to evaluate on them"
        raise TransactionsError(
            f"{path}: {late.num_rows} row(s) dated after the {what} {end} ({listed}): {fix}, "
            "or remove them from the file"
        )
