"""Where an import's batches wait until the whole file is read: the file lands all at once or not at all.

Two ways, chosen by engine, because the engines hold an open transaction differently:

- DuckDB keeps rows appended inside an open transaction in memory until COMMIT (measured: about 1 GB
  per million wide rows, whatever `memory_limit` says), so a 10M-row file in one transaction would not
  fit. `StagedSink` writes each batch to a staging table `_import_<id>_<table>` (committed, so memory
  stays flat), then moves the new rows into the real tables with one INSERT … SELECT per table inside one
  transaction (DuckDB spills that to disk). A crash before the move leaves only staging tables, which the
  next import drops; the real tables are untouched.
- Spark's transaction already stages every write as Parquet files and moves them in on success, so
  `DirectSink` appends each batch inside that transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack

import pyarrow as pa

from siyu.engine import Engine
from siyu.schema.tables import TABLES

STAGING_PREFIX = "_import_"
KEY = "_row_hash"


class DirectSink:
    """Appends new rows batch by batch inside one engine transaction (engines that stage transactions)."""

    def __init__(self, engine: Engine, import_id: str) -> None:
        self.engine = engine
        self.added: dict[str, int] = {}
        self._stack = ExitStack()
        self._stack.enter_context(engine.transaction())

    def write(self, table: str, data: pa.Table) -> None:
        self.added[table] = self.added.get(table, 0) + self.engine.append_new(table, data, key=KEY)

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
    """Stages batches in committed tables, then moves new rows in one transaction (DuckDB)."""

    def __init__(self, engine: Engine, import_id: str) -> None:
        self.engine = engine
        self.import_id = import_id
        self.staged: dict[str, str] = {}
        drop_leftovers(engine)

    def write(self, table: str, data: pa.Table) -> None:
        if table not in self.staged:
            stage = f"{STAGING_PREFIX}{self.import_id}_{table}"
            self.engine.ensure_table(stage, TABLES[table])
            self.staged[table] = stage
        self.engine.write_arrow(self.staged[table], data)

    def commit(self, last: Callable[[dict[str, int]], None]) -> dict[str, int]:
        """Move the rows whose hash is new (first occurrence in file order), then `last`, in one transaction."""
        added: dict[str, int] = {}
        with self.engine.transaction():
            for table, stage in self.staged.items():
                added[table] = self.engine.insert_select(
                    table,
                    f"SELECT * FROM {stage} AS n "
                    f"WHERE NOT EXISTS (SELECT 1 FROM {table} AS o WHERE o.{KEY} = n.{KEY}) "
                    f"QUALIFY row_number() OVER (PARTITION BY n.{KEY} ORDER BY n._row) = 1",
                )
            last(added)
        return added

    def abort(self, exc: BaseException) -> None:
        """Nothing was written to the real tables; `close` drops the staging tables."""

    def close(self) -> None:
        for stage in self.staged.values():
            self.engine.drop_table(stage)


def drop_leftovers(engine: Engine) -> None:
    """Staging tables of an import that was killed before it could clean up (a DuckDB file has one writer)."""
    for name in engine.tables():
        if name.startswith(STAGING_PREFIX):
            engine.drop_table(name)


def open_sink(engine: Engine, import_id: str) -> DirectSink | StagedSink:
    return StagedSink(engine, import_id) if engine.name == "duckdb" else DirectSink(engine, import_id)
