"""Segment members for people: a table to look at or a CSV / Excel file, PII masked unless asked.

Masking happens in SQL, before any row leaves the engine, by the rules of siyu.domain.masking: 王丽华 → 王**,
13800000001 → 138****0001.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from siyu.domain.masking import masked_name_sql, masked_phone_sql
from siyu.engine import Engine
from siyu.errors import UserError
from siyu.segment.store import members_sql

XLSX_MAX_ROWS = 1_048_575  # one row of the sheet is the header

EXPORT_COLUMNS = [
    "gender", "city", "orders", "net_spend", "last_order_date", "preferred_channel", "preferred_material",
    "preferred_category", "owner_staff_id", "owner_store_id", "in_private_domain", "birthday_month",
]


def member_columns(unmask: bool) -> str:
    name = "p.name" if unmask else masked_name_sql("p.name")
    phone = "p.phone" if unmask else masked_phone_sql("p.phone")
    rest = ", ".join(f"p.{c}" for c in EXPORT_COLUMNS)
    return f"p.person_id, {name} AS name, {phone} AS phone, {rest}"


def members(engine: Engine, name: str, unmask: bool = False, limit: int | None = None) -> pa.Table:
    sql = members_sql(engine, name, member_columns(unmask))
    sql = f"SELECT * FROM ({sql}) AS m ORDER BY person_id" + (f" LIMIT {int(limit)}" if limit else "")
    return engine.query(sql)


def export(engine: Engine, name: str, out: Path, unmask: bool = False) -> int:
    """Write the members to .csv (UTF-8 with BOM, so Excel shows Chinese) or .xlsx; returns rows written."""
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise UserError(f"{out}: export to a .csv or .xlsx file")
    data = members(engine, name, unmask)
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        with out.open("wb") as fh:
            fh.write("\ufeff".encode())
            pacsv.write_csv(data, fh)
        return data.num_rows
    if data.num_rows > XLSX_MAX_ROWS:
        raise UserError(f"{out}: {data.num_rows:,} members do not fit in one Excel sheet; export to .csv")
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(name[:31])
    sheet.append(data.column_names)
    for row in data.to_pylist():
        sheet.append([_cell(v) for v in row.values()])
    book.save(out)
    return data.num_rows


def _cell(value: object) -> object:
    """openpyxl takes numbers, text, dates and booleans; Decimal money goes as a float of cents precision."""
    from decimal import Decimal

    return float(value) if isinstance(value, Decimal) else value
