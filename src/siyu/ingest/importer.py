"""Import one export file into the raw tables: read → parse → hash → append new rows, in one transaction.

Why one transaction: an import that dies half-way (a crash, Ctrl-C, a file that turns unreadable at row
8 million) must leave the warehouse exactly as it was, so a retry starts clean. Why a content hash: the
same rows imported again (the same file, or next week's export overlapping this week's) add nothing.
Quarantine entries are keyed by file, row and field (and the raw value), so two different bad rows that
happen to read the same are both kept, and a retry of the same file adds no entry twice.

A row is rejected whole only when a field it cannot exist without is missing or bad (see
`mapping.ESSENTIAL` and `required`); any other bad value is left empty, the row is kept, and the field gets
its own quarantine entry (`fields_quarantined`).
"""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from siyu.config.sections import check_timezone
from siyu.engine import Engine
from siyu.engine.local import arrow_sql
from siyu.errors import UserError
from siyu.ingest.mapping import Mapping, load_mapping
from siyu.ingest.meta import hash_sql
from siyu.ingest.parse import BatchParser, resolve_columns, target_columns
from siyu.ingest.readers import Reader, Rejected, open_reader
from siyu.ingest.staging import DirectSink, Meta, StagedSink, Target, open_sink
from siyu.ingest.values import DEFAULT_TIMEZONE
from siyu.pause import pause_point
from siyu.schema.tables import RAW_TABLES, SYSTEM_TABLES

Progress = Callable[[int, int | None, str], None]  # (done, total, unit: "bytes" | "rows")
MAX_PROBLEMS = 20
Sink = DirectSink | StagedSink


@dataclass
class Problem:
    """One rejected row, or one field left empty, as the report shows it."""

    row: int | None
    field: str | None
    reason: str


@dataclass
class ImportReport:
    source: str
    file: str
    import_id: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_duplicate: int = 0
    rows_quarantined: int = 0
    fields_quarantined: int = 0  # bad optional values left empty (their rows were loaded)
    added: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    problems: list[Problem] = field(default_factory=list)
    batches: int = 0
    encoding: str | None = None  # the text encoding the file was read in: detected or given (None: XLSX, Parquet)
    file_bytes: int = 0

    @property
    def rows_per_second(self) -> float:
        return self.rows_read / self.seconds if self.seconds else 0.0


def import_file(
    engine: Engine,
    source: str | Path | Mapping,
    path: Path,
    *,
    encoding: str | None = None,
    sheet: str | None = None,
    batch_rows: int = 500_000,
    progress: Progress | None = None,
    timezone: str = DEFAULT_TIMEZONE,
) -> ImportReport:
    """Load `path` (an export of `source`: a built-in name, a mapping file, or a loaded Mapping).

    Raises before writing anything when the file or mapping is wrong (unknown source, missing required
    header, unreadable file, undecidable encoding). Rows missing an essential value go to `quarantine`, bad
    optional values are left empty and noted there; the report counts both. `encoding` (else the mapping's)
    overrides detection; zoned times are stored as wall-clock time in `timezone` (siyu.toml brand.timezone).
    """
    started = time.perf_counter()
    started_at = dt.datetime.now().replace(microsecond=0)
    mapping = source if isinstance(source, Mapping) else load_mapping(source)
    path = Path(path)
    if batch_rows < 1:
        raise UserError(f"batch_rows must be at least 1, not {batch_rows}")
    _check_timezone(timezone)
    reader = open_reader(path, encoding or mapping.encoding, sheet)
    columns = resolve_columns(mapping, reader.headers, path)
    report = ImportReport(
        source=mapping.source, file=str(path), import_id=uuid.uuid4().hex[:16], encoding=reader.encoding,
        file_bytes=path.stat().st_size,
    )
    report.added = {t.table: 0 for t in mapping.targets}
    for target in mapping.targets:
        engine.ensure_table(target.table, RAW_TABLES[target.table])
    for name in ("quarantine", "import_log"):
        engine.ensure_table(name, SYSTEM_TABLES[name])
    parser = BatchParser(mapping, columns, timezone)
    targets = [Target(t.table, target_columns(mapping, t)) for t in mapping.targets]
    meta = Meta(mapping.source, report.file, started_at)
    sink = open_sink(engine, report.import_id)
    accepted = 0
    try:
        for batch in reader.batches(batch_rows):
            if batch.data.num_rows:
                good, bad = sink.take(parser, batch.data, batch.rows, targets, meta)
                report.rows_read += good + bad.num_rows
                accepted += good
                _quarantine_parsed(sink, mapping, reader, bad, report, started_at)
                report.batches += 1
            _quarantine_rejected(sink, mapping, reader, report, started_at)
            if progress:
                progress(batch.done, reader.total, reader.unit)
        _quarantine_rejected(sink, mapping, reader, report, started_at)
        _quarantine_fields(sink, mapping, report, started_at)

        def finish(added: dict[str, int]) -> None:
            """Counts, then the import log, inside the transaction that stores the rows."""
            report.added = {t.table: added.get(t.table, 0) for t in mapping.targets}
            # a row is loaded when it brought something new to at least one table (the largest addition)
            report.rows_loaded = min(max(report.added.values(), default=0), accepted)
            report.rows_duplicate = accepted - report.rows_loaded
            report.seconds = time.perf_counter() - started
            _log(engine, report, started_at)

        pause_point("import")  # tests interrupt an import here: its rows are written, not yet committed
        sink.commit(finish)
    except BaseException as exc:
        sink.abort(exc)
        raise
    finally:
        sink.close()
    report.seconds = time.perf_counter() - started
    report.problems.sort(key=lambda p: (p.row is None, p.row or 0))
    return report


def _check_timezone(name: str) -> None:
    """A time zone the parse SQL can convert to, checked before any file is read (the rule lives in config)."""
    try:
        check_timezone(name)
    except ValueError as exc:
        raise UserError(f"siyu.toml [brand] timezone: {exc}") from None


def _raw_text(reader: Reader, row: dict[str, Any]) -> str:
    """The rejected row as the file had it, header → cell, so it can be fixed and re-imported."""
    cells = {}
    for i, header in enumerate(reader.headers):
        value = row.get(f"c{i}")
        cells[header] = "" if value is None else value if isinstance(value, str) else str(value)
    return json.dumps(cells, ensure_ascii=False)


def _quarantine_parsed(
    sink: Sink, mapping: Mapping, reader: Reader, bad: pa.Table, report: ImportReport, now: dt.datetime
) -> None:
    if not bad.num_rows:
        return
    records = bad.to_pylist()
    rows = [
        (r["__row"], r["__bad_field"], r["__bad_reason"], _raw_text(reader, r)) for r in records
    ]
    _write_quarantine(sink, mapping, report, rows, now)


def _quarantine_fields(sink: Sink, mapping: Mapping, report: ImportReport, now: dt.datetime) -> None:
    """Bad optional values: the row was loaded with the field empty; each field gets its own entry."""
    notes = sink.notes()
    if notes is None:
        return
    rows = list(zip(*(notes.column(c).to_pylist() for c in ("__row", "field", "reason", "raw")), strict=True))
    _write_quarantine(sink, mapping, report, rows, now, fields=True)


def _quarantine_rejected(
    sink: Sink, mapping: Mapping, reader: Reader, report: ImportReport, now: dt.datetime
) -> None:
    """Rows the reader could not even split into columns (ragged CSV lines, broken JSON)."""
    if not reader.rejected:
        return
    rejected: list[Rejected] = reader.rejected[:]
    del reader.rejected[:]
    report.rows_read += len(rejected)
    _write_quarantine(sink, mapping, report, [(r.row, None, r.reason, r.text) for r in rejected], now)


def _write_quarantine(
    sink: Sink,
    mapping: Mapping,
    report: ImportReport,
    rows: list[tuple[int | None, str | None, str, str]],
    now: dt.datetime,
    fields: bool = False,
) -> None:
    """Entries keyed (`_row_hash`) by file, row, field and raw text: distinct bad rows that read alike are all
    kept, and the same entry from a retried import is stored once."""
    if fields:
        report.fields_quarantined += len(rows)
    else:
        report.rows_quarantined += len(rows)
    for row, fld, reason, _ in rows[: max(0, MAX_PROBLEMS - len(report.problems))]:
        report.problems.append(Problem(row, fld, reason))
    n = len(rows)
    table = pa.table(
        {
            "_source": pa.array([mapping.source] * n, pa.string()),
            "_file": pa.array([report.file] * n, pa.string()),
            "_row": pa.array([r[0] for r in rows], pa.int64()),
            "field": pa.array([r[1] for r in rows], pa.string()),
            "reason": pa.array([r[2] for r in rows], pa.string()),
            "raw_text": pa.array([r[3] for r in rows], pa.string()),
            "import_id": pa.array([report.import_id] * n, pa.string()),
            "_ingested_at": pa.array([now] * n, pa.timestamp("us")),
        }
    )
    key = hash_sql(mapping.source, ["_file", "_row", "field", "raw_text"])
    hashes = arrow_sql(f"SELECT {key} AS h FROM q", q=table).column("h")
    sink.write("quarantine", table.append_column("_row_hash", hashes))


def _log(engine: Engine, report: ImportReport, started_at: dt.datetime) -> None:
    status = "quarantined" if report.rows_quarantined or report.fields_quarantined else "ok"
    row = {
        "import_id": report.import_id, "source": report.source, "file": report.file,
        "file_bytes": report.file_bytes, "started_at": started_at,
        "finished_at": dt.datetime.now().replace(microsecond=0), "rows_read": report.rows_read,
        "rows_loaded": report.rows_loaded, "rows_duplicate": report.rows_duplicate,
        "rows_quarantined": report.rows_quarantined, "status": status, "encoding": report.encoding,
        "fields_quarantined": report.fields_quarantined,
    }
    engine.write_arrow("import_log", pa.Table.from_pylist([row], schema=SYSTEM_TABLES["import_log"]))
