"""Where an import's batches wait until the whole file is read: the file lands all at once or not at all.

Two ways, chosen by engine, because the engines hold an open transaction differently:

- DuckDB keeps what an open transaction appends partly in memory until COMMIT, and an anti-join of each
  batch against a table that grows batch by batch costs more with every batch. `StagedSink` appends each
  parsed batch (every target's columns and row hashes at once) to one TEMPORARY table: private to the
  connection, never written to the warehouse file, spilled to disk past the memory limit, gone if the
  process dies. At the end, one transaction moves each target's new rows in with one INSERT … SELECT:
  the first row of the file per hash (a GROUP BY over the hashes only), minus hashes already stored (one
  anti-join per target per import, not per batch). A crash before the move leaves the warehouse untouched.
- Spark's transaction already stages every write as Parquet files and moves them in on success, so
  `DirectSink` appends each batch inside that transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass

import pyarrow as pa

from siyu.engine import Engine
from siyu.engine.quote import ident, literal
from siyu.ingest.meta import conform, with_meta
from siyu.ingest.parse import BatchParser, field_notes, notes_sql
from siyu.schema.tables import TABLES

STAGING_PREFIX = "_import_"
KEY = "_row_hash"


@dataclass(frozen=True)
class Target:
    """One raw table a parsed batch feeds: its content columns and the batch column holding its hash."""

    table: str
    columns: list[str]

    @property
    def hash_column(self) -> str:
        return f"__h_{self.table}"


@dataclass(frozen=True)
class Meta:
    """The meta values every row of one import carries (see `siyu.ingest.meta`)."""

    source: str
    file: str
    ingested_at: dt.datetime


class DirectSink:
    """Appends new rows batch by batch inside one engine transaction (engines that stage transactions)."""

    def __init__(self, engine: Engine, import_id: str) -> None:
        self.engine = engine
        self.added: dict[str, int] = {}
        self._notes: list[pa.Table] = []
        self._stack = ExitStack()
        self._stack.enter_context(engine.transaction())

    def write(self, table: str, data: pa.Table) -> None:
        self.added[table] = self.added.get(table, 0) + self.engine.append_new(table, data, key=KEY)

    def take(
        self, parser: BatchParser, data: pa.Table, rows: pa.Array, targets: list[Target], meta: Meta
    ) -> tuple[int, pa.Table]:
        """Parse a batch and append its accepted rows; returns (rows accepted, rejected rows)."""
        parsed = parser.parse(data, rows)
        if parsed.good.num_rows:
            self.write_parsed(parsed.good, targets, meta)
            notes = field_notes(parsed.good)
            if notes.num_rows:
                self._notes.append(notes)
        return parsed.good.num_rows, parsed.bad

    def notes(self) -> pa.Table | None:
        """The fields left empty in the rows taken so far (row, field, reason, raw), or None when there were none."""
        return pa.concat_tables(self._notes) if self._notes else None

    def write_parsed(self, good: pa.Table, targets: list[Target], meta: Meta) -> None:
        """Each target's columns with the meta columns, appended to its table."""
        rows = good.column("__row").combine_chunks()
        for target in targets:
            content = conform(good.select(target.columns), target.table)
            hashes = good.column(target.hash_column)
            self.write(target.table, with_meta(content, meta.source, meta.file, rows, meta.ingested_at, hashes))

    def commit(self, last: Callable[[dict[str, int]], None]) -> dict[str, int]:
        """Run `last` (the import log) in the same transaction, then commit."""
        last(self.added)
        self._stack.close()
        return self.added

    def abort(self, exc: BaseException) -> None:
        self._stack.__exit__(type(exc), exc, exc.__traceback__)

    def close(self) -> None:
        """Nothing to clean up."""


class StagedSink:
    """Stages batches in temporary tables, then moves new rows in one transaction (DuckDB)."""

    def __init__(self, engine: Engine, import_id: str) -> None:
        self.engine = engine
        self.import_id = import_id
        self.staged: dict[str, str] = {}  # raw table → staging table of rows with meta (the quarantine)
        self.parsed: str | None = None  # the staging table of parsed batches
        self.targets: list[Target] = []
        self.meta: Meta | None = None
        drop_leftovers(engine)

    def _stage(self, suffix: str, schema: pa.Schema) -> str:
        name = f"{STAGING_PREFIX}{self.import_id}_{suffix}"
        self.engine.create_temp_table(name, schema)
        return name

    def write(self, table: str, data: pa.Table) -> None:
        if table not in self.staged:
            self.staged[table] = self._stage(table, TABLES[table])
        self.engine.write_arrow(self.staged[table], data)

    def take(
        self, parser: BatchParser, data: pa.Table, rows: pa.Array, targets: list[Target], meta: Meta
    ) -> tuple[int, pa.Table]:
        """Parse, hash and stage a batch in one statement on the warehouse connection (see `BatchParser.stage`)."""
        create = self.parsed is None
        if create:
            self.parsed = f"{STAGING_PREFIX}{self.import_id}_parsed"
            self.targets, self.meta = targets, meta
        assert self.parsed is not None
        return parser.stage(self.engine, self.parsed, data, rows, create)

    def notes(self) -> pa.Table | None:
        """The fields left empty in the rows staged so far (row, field, reason, raw), or None when there were none."""
        if self.parsed is None:
            return None
        notes = self.engine.query(notes_sql(self.parsed))
        return notes if notes.num_rows else None

    def _move_parsed(self, target: Target) -> int:
        """Insert the target's new rows: per hash the first row of the file, unless the table has it."""
        assert self.parsed is not None and self.meta is not None
        have = set(TABLES[target.table].names)
        cols = [f"p.{ident(c)}" for c in target.columns if c in have]
        when = self.meta.ingested_at.replace(tzinfo=None).isoformat(sep=" ")
        h = ident(target.hash_column)
        select = (
            f"SELECT {', '.join(cols)}, {literal(self.meta.source)} AS _source, {literal(self.meta.file)} AS _file, "
            f"p.__row AS _row, TIMESTAMP {literal(when)} AS _ingested_at, p.{h} AS {KEY} "
            f"FROM {self.parsed} AS p WHERE p.__row IN ("
            f"SELECT g.__row FROM (SELECT {h} AS k, min(__row) AS __row FROM {self.parsed} GROUP BY {h}) AS g "
            f"WHERE NOT EXISTS (SELECT 1 FROM {target.table} AS o WHERE o.{KEY} = g.k))"
        )
        return self.engine.insert_select(target.table, select)

    def _move_staged(self, table: str, stage: str) -> int:
        return self.engine.insert_select(
            table,
            f"SELECT * FROM {stage} AS n "
            f"WHERE NOT EXISTS (SELECT 1 FROM {table} AS o WHERE o.{KEY} = n.{KEY}) "
            f"QUALIFY row_number() OVER (PARTITION BY n.{KEY} ORDER BY n._row) = 1",
        )

    def commit(self, last: Callable[[dict[str, int]], None]) -> dict[str, int]:
        """Move the new rows of every staged table, then `last`, in one transaction."""
        added: dict[str, int] = {}
        with self.engine.transaction():
            if self.parsed is not None:
                for target in self.targets:
                    added[target.table] = self._move_parsed(target)
            for table, stage in self.staged.items():
                added[table] = self._move_staged(table, stage)
            last(added)
        return added

    def abort(self, exc: BaseException) -> None:
        """Nothing was written to the real tables; `close` drops the staging tables."""

    def close(self) -> None:
        for stage in [*self.staged.values(), *([self.parsed] if self.parsed else [])]:
            self.engine.drop_table(stage)


def drop_leftovers(engine: Engine) -> None:
    """Staging tables an earlier version left in the file when its import was killed (temporary ones vanish)."""
    for name in engine.tables():
        if name.startswith(STAGING_PREFIX):
            engine.drop_table(name)


def open_sink(engine: Engine, import_id: str) -> DirectSink | StagedSink:
    return StagedSink(engine, import_id) if engine.name == "duckdb" else DirectSink(engine, import_id)
