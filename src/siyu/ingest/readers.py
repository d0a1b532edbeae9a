"""Stream an export file as Arrow batches, whatever its format, never holding the whole file in memory.

Every reader gives the file's headers as written and batches whose columns are named by position
(`c0`, `c1`, …: exports repeat header names), with each row's number as a spreadsheet shows it (the
header is row 1; JSON Lines count lines from 1). CSV and XLSX cells arrive as text; Parquet columns keep
their types, so typed files skip the text round trip. Rows a reader cannot split into columns are kept
as `Rejected` for the quarantine, not dropped.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from siyu.errors import UserError
from siyu.ingest.encodings import Encoding, EncodingError, check_codec, detect

CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
XLSX_SUFFIXES = {".xlsx", ".xlsm"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}
_SAMPLE = 1 << 16


class FileFormatError(UserError):
    """The file cannot be read as the format its name says: the message names the file and what to do."""


@dataclass
class Batch:
    data: pa.Table  # columns c0..cN-1, by header position
    rows: pa.Array  # int64 row number of each row
    done: int  # progress so far, in the reader's unit


@dataclass
class Rejected:
    row: int | None
    text: str
    reason: str


@dataclass
class Reader:
    """What the importer needs from any format: headers, batches, progress, rows it could not split."""

    path: Path
    headers: list[str]
    unit: str  # "bytes" or "rows"
    total: int | None
    rejected: list[Rejected] = field(default_factory=list)
    encoding: str | None = None

    def batches(self, batch_rows: int) -> Iterator[Batch]:  # pragma: no cover - overridden
        raise NotImplementedError


def column_names(n: int) -> list[str]:
    return [f"c{i}" for i in range(n)]


def _encoding(path: Path, encoding: str | None, *, lenient_lines: bool = False) -> Encoding:
    """The encoding the user named, else the one the file's first bytes show (see `siyu.ingest.encodings`)."""
    if encoding:
        return check_codec(path, encoding)
    with path.open("rb") as fh:
        return detect(path, fh.read(_SAMPLE), lenient_lines=lenient_lines)


def open_reader(path: Path, encoding: str | None = None, sheet: str | None = None) -> Reader:
    """The reader for `path`, chosen by its suffix."""
    if not path.exists():
        raise FileNotFoundError(f"file not found: {path}")
    if path.is_dir():
        raise FileFormatError(f"{path} is a folder; pass the export files themselves")
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return CsvReader.open(path, encoding)
    if suffix in XLSX_SUFFIXES:
        return XlsxReader.open(path, sheet)
    if suffix in PARQUET_SUFFIXES:
        return ParquetReader.open(path)
    if suffix in JSONL_SUFFIXES:
        return JsonLinesReader.open(path, encoding)
    known = ", ".join(sorted(CSV_SUFFIXES | XLSX_SUFFIXES | PARQUET_SUFFIXES | JSONL_SUFFIXES))
    raise FileFormatError(f"{path}: unknown file type {suffix or '(none)'}; siyu reads {known}")


# --- CSV --------------------------------------------------------------------------------------------
@dataclass
class CsvReader(Reader):
    delimiter: str = ","
    codec: str = "utf-8"

    @classmethod
    def open(cls, path: Path, encoding: str | None) -> CsvReader:
        found = _encoding(path, encoding)
        codec = found.codec
        with path.open("rb") as fh:
            sample = fh.read(_SAMPLE)
        try:
            text = codecs.getincrementaldecoder(codec)().decode(sample, final=False)
        except UnicodeDecodeError as exc:
            raise EncodingError(
                f"{path}: cannot be read as {found.name} ({exc.reason} at byte {exc.start}); "
                "pass --encoding (utf-8, gb18030, big5, …)"
            ) from None
        text = text.lstrip("\ufeff")
        first = text.split("\n", 1)[0]
        delimiter = "\t" if path.suffix.lower() == ".tsv" or ("\t" in first and "," not in first) else ","
        try:
            headers = next(csv.reader(io.StringIO(text), delimiter=delimiter))
        except (StopIteration, csv.Error):
            raise FileFormatError(f"{path}: the file is empty; expected a header row") from None
        if not any(h.strip() for h in headers):
            raise FileFormatError(f"{path}: the first row is empty; expected a header row")
        return cls(
            path=path, headers=headers, unit="bytes", total=path.stat().st_size, encoding=found.name,
            delimiter=delimiter, codec=codec,
        )

    def batches(self, batch_rows: int) -> Iterator[Batch]:
        names = column_names(len(self.headers))
        skipped: list[int] = []

        def on_invalid(row: Any) -> str:
            number = None if row.number is None else int(row.number)
            if number is not None:
                skipped.append(number)
            reason = f"expected {row.expected_columns} columns as in the header, found {row.actual_columns}"
            self.rejected.append(Rejected(number, row.text, reason))
            return "skip"

        codec = "utf-8" if self.codec in ("utf-8", "utf-8-sig") else self.codec
        read = pacsv.ReadOptions(
            column_names=names, skip_rows=1, encoding=codec, block_size=8 << 20, use_threads=False
        )
        parse = pacsv.ParseOptions(delimiter=self.delimiter, newlines_in_values=True, invalid_row_handler=on_invalid)
        convert = pacsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False, quoted_strings_can_be_null=False
        )
        source = pa.OSFile(str(self.path), "rb")
        next_row = 2
        try:
            reader = _guard(self.path, self.codec, lambda: pacsv.open_csv(
                source, read_options=read, parse_options=parse, convert_options=convert
            ))
            pending: list[pa.RecordBatch] = []
            n_pending = 0
            for rb in _csv_batches(reader, self.path, self.codec):
                while rb.num_rows:
                    take = rb.slice(0, batch_rows - n_pending)
                    rb = rb.slice(take.num_rows)
                    pending.append(take)
                    n_pending += take.num_rows
                    if n_pending >= batch_rows:
                        rows, next_row = _number(n_pending, next_row, skipped)
                        yield Batch(pa.Table.from_batches(pending), rows, source.tell())
                        pending, n_pending = [], 0
            if pending or next_row == 2:
                rows, next_row = _number(n_pending, next_row, skipped)
                table = pa.Table.from_batches(pending) if pending else _empty(names)
                yield Batch(table, rows, self.total or 0)
        finally:
            source.close()


T = TypeVar("T")


def _guard(path: Path, codec: str, read: Callable[[], T]) -> T:
    """Turn pyarrow's decoding errors (a file that changes encoding half-way) into a clear message."""
    try:
        return read()
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        msg = str(exc).splitlines()[0]
        hint = " Pass --encoding gb18030 (or the file's encoding)." if "UTF8" in msg or "decode" in msg else ""
        raise FileFormatError(f"{path}: cannot read the file as {codec} CSV: {msg}.{hint}") from None


def _csv_batches(reader: Any, path: Path, codec: str) -> Iterator[pa.RecordBatch]:
    while True:
        try:
            rb = _guard(path, codec, reader.read_next_batch)
        except StopIteration:
            return
        yield rb


def _number(n: int, next_row: int, skipped: list[int]) -> tuple[pa.Array, int]:
    """Row numbers for `n` good rows from `next_row`, stepping over rows the CSV parser rejected."""
    if not skipped:
        return pa.array(np.arange(next_row, next_row + n, dtype=np.int64)), next_row + n
    gaps = np.array(sorted(s for s in skipped if s >= next_row), dtype=np.int64)
    candidates = np.arange(next_row, next_row + n + len(gaps), dtype=np.int64)
    kept = candidates[~np.isin(candidates, gaps)][:n]
    end = int(kept[-1]) + 1 if n else next_row
    return pa.array(kept), end


def _empty(names: list[str]) -> pa.Table:
    return pa.table({n: pa.array([], pa.string()) for n in names})


# --- XLSX -------------------------------------------------------------------------------------------
def cell_text(value: Any) -> str:
    """A spreadsheet cell as the text a CSV export of it would hold."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


@dataclass
class XlsxReader(Reader):
    sheet: str | None = None
    header_row: int = 1

    @classmethod
    def open(cls, path: Path, sheet: str | None) -> XlsxReader:
        ws_rows, total, close = _xlsx_rows(path, sheet)
        try:
            for number, values in ws_rows:
                # the header is the first row with two or more cells: exports may put a title row above it
                if sum(1 for v in values if v is not None and str(v).strip()) >= 2:
                    headers = [cell_text(v) for v in values]
                    while headers and not headers[-1].strip():
                        headers.pop()
                    return cls(path=path, headers=headers, unit="rows", total=total, sheet=sheet, header_row=number)
        finally:
            close()
        raise FileFormatError(f"{path}: the sheet is empty; expected a header row")

    def batches(self, batch_rows: int) -> Iterator[Batch]:
        names = column_names(len(self.headers))
        rows_iter, _, close = _xlsx_rows(self.path, self.sheet)
        try:
            cols: list[list[str]] = [[] for _ in names]
            numbers: list[int] = []
            for number, values in rows_iter:
                if number <= self.header_row or all(v is None for v in values):
                    continue
                texts = [cell_text(v) for v in values[: len(names)]]
                texts += [""] * (len(names) - len(texts))
                for col, text in zip(cols, texts, strict=True):
                    col.append(text)
                numbers.append(number)
                if len(numbers) >= batch_rows:
                    yield Batch(pa.table(dict(zip(names, cols, strict=True))), pa.array(numbers, pa.int64()), number)
                    cols, numbers = [[] for _ in names], []
            table = pa.table({n: pa.array(c, pa.string()) for n, c in zip(names, cols, strict=True)})
            yield Batch(table, pa.array(numbers, pa.int64()), self.total or 0)
        finally:
            close()


def _xlsx_rows(path: Path, sheet: str | None) -> tuple[Iterator[tuple[int, tuple[Any, ...]]], int | None, Any]:
    import zipfile

    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise FileFormatError(f"{path}: not a readable XLSX workbook ({exc})") from None
    if sheet is None:
        ws = wb.worksheets[0]
    elif sheet in wb.sheetnames:
        ws = wb[sheet]
    elif sheet.isdigit() and 1 <= int(sheet) <= len(wb.sheetnames):
        ws = wb.worksheets[int(sheet) - 1]
    else:
        wb.close()
        raise FileFormatError(f"{path}: no sheet {sheet!r}; sheets: {', '.join(wb.sheetnames)}")
    total = ws.max_row
    rows = ((i, tuple(r)) for i, r in enumerate(ws.iter_rows(values_only=True), start=1))
    return rows, total, wb.close


# --- Parquet ----------------------------------------------------------------------------------------
@dataclass
class ParquetReader(Reader):
    @classmethod
    def open(cls, path: Path) -> ParquetReader:
        try:
            pf = pq.ParquetFile(path)
        except (pa.ArrowInvalid, OSError) as exc:
            raise FileFormatError(f"{path}: not a readable Parquet file ({exc})") from None
        return cls(path=path, headers=list(pf.schema_arrow.names), unit="rows", total=pf.metadata.num_rows)

    def batches(self, batch_rows: int) -> Iterator[Batch]:
        names = column_names(len(self.headers))
        pf = pq.ParquetFile(self.path)
        start = 2
        empty = True
        for rb in pf.iter_batches(batch_size=batch_rows):
            empty = False
            table = pa.Table.from_batches([rb]).rename_columns(names)
            rows = pa.array(np.arange(start, start + rb.num_rows, dtype=np.int64))
            start += rb.num_rows
            yield Batch(table, rows, start - 2)
        if empty:
            yield Batch(pf.schema_arrow.empty_table().rename_columns(names), pa.array([], pa.int64()), 0)


# --- JSON Lines -------------------------------------------------------------------------------------
def json_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return cell_text(value)
    return json.dumps(value, ensure_ascii=False)


@dataclass
class JsonLinesReader(Reader):
    """One JSON object per line. Every key of every line is a header (a key first seen on line 5,000,000 is
    still read), and a line that does not decode in the file's encoding goes to the quarantine, never in
    with replacement characters."""

    codec: str = "utf-8"

    @classmethod
    def open(cls, path: Path, encoding: str | None) -> JsonLinesReader:
        found = _encoding(path, encoding, lenient_lines=True)
        headers: dict[str, None] = {}
        for _, line, _ in _json_lines(path, found.codec):
            if line is None:
                continue
            try:
                record = json.loads(line) if line.strip() else None
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict):
                headers.update(dict.fromkeys(record))
        if not headers:
            raise FileFormatError(f"{path}: no JSON objects found; expected one object per line")
        return cls(path=path, headers=list(headers), unit="bytes", total=path.stat().st_size, encoding=found.name,
                   codec=found.codec)

    def batches(self, batch_rows: int) -> Iterator[Batch]:
        names = column_names(len(self.headers))
        index = {h: i for i, h in enumerate(self.headers)}
        cols: list[list[str]] = [[] for _ in names]
        numbers: list[int] = []
        for number, line, done in _json_lines(self.path, self.codec, self.rejected):
            if line is None or not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                self.rejected.append(Rejected(number, line.rstrip("\n"), f"not valid JSON: {exc.msg}"))
                continue
            if not isinstance(record, dict):
                self.rejected.append(Rejected(number, line.rstrip("\n"), "not a JSON object"))
                continue
            texts = [""] * len(names)
            for key, value in record.items():
                if key in index:  # every key is a header (see `open`), unless the file changed since
                    texts[index[key]] = json_text(value)
            for col, text in zip(cols, texts, strict=True):
                col.append(text)
            numbers.append(number)
            if len(numbers) >= batch_rows:
                yield Batch(pa.table(dict(zip(names, cols, strict=True))), pa.array(numbers, pa.int64()), done)
                cols, numbers = [[] for _ in names], []
        table = pa.table({n: pa.array(c, pa.string()) for n, c in zip(names, cols, strict=True)})
        yield Batch(table, pa.array(numbers, pa.int64()), self.total or 0)


def _json_lines(
    path: Path, codec: str, rejected: list[Rejected] | None = None
) -> Iterator[tuple[int, str | None, int]]:
    """(line number, text, bytes read so far) of each line; text is None for a line that does not decode
    (recorded in `rejected`).

    ASCII-compatible encodings are decoded line by line, so one foreign line costs only that line; UTF-16 has
    no byte-level lines and is decoded as a stream (a bad byte then stops the file with a message)."""
    if codecs.lookup(codec).name.startswith("utf-16"):
        try:
            with path.open("r", encoding=codec, errors="strict", newline="") as fh:
                done = 0
                for n, line in enumerate(fh, start=1):
                    done += 2 * len(line)
                    yield n, line.lstrip("\ufeff"), done
        except UnicodeDecodeError as exc:
            raise EncodingError(f"{path}: cannot be read as {codec} ({exc.reason}); pass --encoding") from None
        return
    done = 0
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            done += len(raw)
            try:
                line = raw.decode(codec)
            except UnicodeDecodeError as exc:
                if rejected is not None:
                    reason = (f"line is not valid {codec} (byte {exc.start + 1} of the line); "
                              "fix the file or pass --encoding")
                    rejected.append(Rejected(number, raw.decode(codec, errors="backslashreplace").rstrip("\n"),
                                             reason))
                yield number, None, done
                continue
            yield number, line.lstrip("\ufeff") if number == 1 else line, done
