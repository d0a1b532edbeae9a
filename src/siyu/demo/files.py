"""Write the demo's exports as the files each channel's backend produces, so the demo exercises importers.

- tmall: CSV in GB18030 (as Excel users save it), some rows with `¥1,234.50` and `2024/3/1 12:00`;
- jd: the earliest orders as XLSX (≤ 5,000 rows), the rest as CSV; douyin: UTF-8 CSV with a BOM;
  miniprogram: JSON Lines;
- messages: Parquet; everything else: UTF-8 CSV.
Headers are each field's first alias in `siyu/ingest/sources/<source>.toml`; values are text as the
backends write them (statuses in their Chinese wording, booleans 是/否, empty cells for nulls).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from siyu.demo.mappings import headers
from siyu.demo.text import concat, ints

XLSX_MAX_ROWS = 5_000
FILE_NAMES = {
    "products": "products.csv", "stores": "stores.csv", "staff": "staff.csv",
    "tmall": "tmall_orders.csv", "douyin": "douyin_orders.csv",
    "miniprogram": "miniprogram_orders.jsonl", "store": "store_sales.csv", "wecom-contacts": "wecom_contacts.csv",
    "groups": "groups.csv", "messages": "messages.parquet", "parcels": "parcels.csv", "coupons": "coupons.csv",
    "stored-value": "stored_value.csv",
}


def _pad(values: pa.Array, width: int) -> pa.Array:
    return pc.utf8_lpad(values.cast(pa.string()), width, "0")


def ts_text(col: pa.Array, loose: np.ndarray | None = None) -> pa.Array:
    """`2024-03-01 12:00:00`, or where `loose` `2024/3/1 12:00` (how Excel re-saves a date)."""
    y, mo, d = pc.year(col).cast(pa.string()), pc.month(col), pc.day(col)
    h, mi, s = pc.hour(col), pc.minute(col), pc.second(col)
    strict = concat(y, "-", _pad(mo, 2), "-", _pad(d, 2), " ", _pad(h, 2), ":", _pad(mi, 2), ":", _pad(s, 2))
    if loose is None:
        return strict
    excel = concat(y, "/", mo.cast(pa.string()), "/", d.cast(pa.string()), " ", h.cast(pa.string()), ":", _pad(mi, 2))
    return pc.if_else(pa.array(loose), excel, strict)


def date_text(col: pa.Array) -> pa.Array:
    return concat(pc.year(col).cast(pa.string()), "-", _pad(pc.month(col), 2), "-", _pad(pc.day(col), 2))


def money_text(col: pa.Array, fancy: np.ndarray | None = None) -> pa.Array:
    """`1234.50`, or where `fancy` `¥1,234.50` (thousands separators and the yuan sign)."""
    plain = col.cast(pa.string())
    if fancy is None:
        return plain
    cents = np.round(pc.fill_null(col.cast(pa.float64()), 0).to_numpy(zero_copy_only=False) * 100).astype(np.int64)
    whole, frac = np.abs(cents) // 100, np.abs(cents) % 100
    grouped = pc.if_else(
        pa.array(whole >= 1000),
        concat(ints(whole // 1000), ",", ints(whole % 1000, 3)), ints(whole),
    )
    sign = pa.array(np.where(cents < 0, "-", ""))
    styled = concat(sign, "¥", grouped, ".", ints(frac, 2))
    return pc.if_else(pa.array(fancy), styled, plain)


def _address(export: pa.Table, rng: np.random.Generator) -> pa.Array:
    """The one-cell address of Tmall/JD: `浙江省 杭州市 西湖区 文三路1号` or without the spaces."""
    sep = pa.array(np.where(rng.random(export.num_rows) < 0.5, " ", ""))
    parts = [pc.fill_null(export.column(c).combine_chunks(), "") for c in ("province", "city", "district", "address")]
    return pc.binary_join_element_wise(*parts, sep)


def text_table(source: str, export: pa.Table, rng: np.random.Generator, fancy: bool = False) -> pa.Table:
    """The export as all-text columns under the file's headers."""
    n = export.num_rows
    loose = rng.random(n) < 0.3 if fancy else None
    cols: dict[str, pa.Array] = {}
    for field, header, kind in headers(source):
        if kind == "address":
            cols[header] = _address(export, rng)
            continue
        if field not in export.column_names:
            continue
        col = export.column(field).combine_chunks()
        if kind == "datetime":
            text = ts_text(col, loose)
        elif kind == "date":
            text = date_text(col)
        elif kind == "amount":
            text = money_text(col, loose)
        elif kind == "bool":
            text = pc.if_else(col, "是", "否")
        else:
            text = col.cast(pa.string())
        cols[header] = pc.fill_null(text, "")
    return pa.table(cols)


def _csv_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pacsv.write_csv(table, sink, pacsv.WriteOptions(quoting_style="needed"))
    return sink.getvalue()


def _jsonl(table: pa.Table, path: Path) -> None:
    """One JSON object per line, built column-wise (values here never need escaping beyond json.dumps)."""
    pieces: list[pa.Array] = []
    for i, name in enumerate(table.column_names):
        col = table.column(name).combine_chunks()
        key = json.dumps(name, ensure_ascii=False)
        value = pc.if_else(pc.equal(col, ""), "null", concat('"', pc.replace_substring(col, '"', '\\"'), '"'))
        pieces.append(concat("{" if i == 0 else ",", key, ":", value))
    lines = concat(*pieces, "}\n") if pieces else pa.array([], pa.string())
    path.write_text("".join(lines.to_pylist()), encoding="utf-8")


def _xlsx(table: pa.Table, path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("订单")
    ws.append(table.column_names)
    columns = [table.column(c).to_pylist() for c in table.column_names]
    for row in zip(*columns, strict=True):
        ws.append(list(row))
    wb.save(path)


def _split_jd(table: pa.Table) -> tuple[pa.Table, pa.Table]:
    """JD's backend exports by date range and caps a sheet: the earliest orders as XLSX, the rest as CSV.

    Reading XLSX is slow (openpyxl manages a few thousand rows a second here), so only the first
    `XLSX_MAX_ROWS` rows, cut at an order boundary, go to the workbook: the default demo still exercises
    the XLSX importer and still finishes in seconds.
    """
    table = table.sort_by([("下单时间", "ascending"), ("订单号", "ascending")])
    if table.num_rows <= XLSX_MAX_ROWS:
        return table, table.slice(0, 0)
    ids = table.column("订单号").to_pylist()
    cut = XLSX_MAX_ROWS
    while cut < len(ids) and ids[cut] == ids[cut - 1]:
        cut += 1
    return table.slice(0, cut), table.slice(cut)


def write_files(exports: Iterable[tuple[str, pa.Table]], folder: Path, seed: int = 7) -> list[tuple[str, Path]]:
    """Write every export into `folder` in its channel's format; returns (source, file) in import order."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([seed, 60])
    written: list[tuple[str, Path]] = []
    for source, export in exports:
        table = text_table(source, export, rng, fancy=source == "tmall")
        if source == "jd":
            early, rest = _split_jd(table)
            _xlsx(early, folder / "jd_orders_1.xlsx")
            written.append((source, folder / "jd_orders_1.xlsx"))
            if rest.num_rows:
                (folder / "jd_orders_2.csv").write_bytes(_csv_bytes(rest))
                written.append((source, folder / "jd_orders_2.csv"))
            continue
        path = folder / FILE_NAMES.get(source, f"{source}.csv")
        if source == "tmall":
            path.write_bytes(_csv_bytes(table).decode("utf-8").replace("\n", "\r\n").encode("gb18030"))
        elif source == "douyin":
            path.write_bytes(b"\xef\xbb\xbf" + _csv_bytes(table))
        elif path.suffix == ".jsonl":
            _jsonl(table, path)
        elif path.suffix == ".parquet":
            pq.write_table(table, path)
        else:
            path.write_bytes(_csv_bytes(table))
        written.append((source, path))
    return written
