"""DuckDB: the default engine, one file, nothing else to install."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from siyu.engine.base import BATCH_ROWS, BatchFn, Engine, EngineError, Params
from siyu.engine.quote import literal
from siyu.engine.warehouse_file import check_file

if TYPE_CHECKING:  # loaded where Arrow data is made: `siyu segment count` answers without it (issue 18 §7)
    import pyarrow as pa

_ids = itertools.count()
NO_DOWNLOADS: dict[str, str | bool | int | float | list[str]] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}


def _to_arrow(relation: duckdb.DuckDBPyRelation) -> pa.Table:
    """DuckDB 2 renamed fetch_arrow_table to to_arrow_table; accept both."""
    fetch = getattr(relation, "to_arrow_table", None) or relation.fetch_arrow_table
    table: pa.Table = fetch()
    return table


_NUMBERS = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT",
            "UHUGEINT", "FLOAT", "DOUBLE", "DECIMAL")


@contextmanager
def _mapped_errors(what: str, sql: str) -> Iterator[None]:
    """Ctrl-C inside a statement is an interrupt (KeyboardInterrupt), not a failed statement; a DuckDB error is an
    EngineError naming what was being done."""
    try:
        yield
    except duckdb.InterruptException:
        raise KeyboardInterrupt from None
    except RuntimeError as exc:  # DuckDB 2 reports Ctrl-C during an Arrow scan as RuntimeError
        if str(exc).strip() == "Query interrupted":
            raise KeyboardInterrupt from None
        raise
    except duckdb.Error as exc:
        raise EngineError(what, sql, exc) from exc


def _kind(sql_type: str) -> str:
    """A DuckDB column type as Engine.column_kinds names it (the same reading as Arrow's type tests)."""
    base = sql_type.split("(")[0].strip().upper()
    if base == "BOOLEAN":
        return "boolean"
    if base == "VARCHAR":
        return "text"
    return "number" if base in _NUMBERS else "other"


class DuckDBEngine(Engine):
    name = "duckdb"
    dialect = "duckdb"

    def __init__(
        self,
        path: Path | str = ":memory:",
        memory_limit: str | None = None,
        threads: int | None = None,
        read_only: bool = False,
    ) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            check_file(Path(self.path))
            if not read_only:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            # never reach the network: a file that would need an extension is refused, not downloaded for
            self.con = duckdb.connect(self.path, read_only=read_only, config=NO_DOWNLOADS)
        except duckdb.Error as exc:
            raise EngineError(f"opening the warehouse {self.path}", "", exc) from exc
        if memory_limit:
            self._run("setting memory_limit", f"SET memory_limit = {literal(memory_limit)}")
        if threads:
            self._run("setting threads", f"SET threads = {int(threads)}")
        self._run("settings", "SET preserve_insertion_order = false")
        self._depth = 0

    def describe(self) -> str:
        return f"duckdb:{self.path}"

    def _run(self, what: str, sql: str, params: Params = None) -> list[tuple[object, ...]]:
        """Run a statement to completion (DuckDB 2 refuses new work while a result is unread)."""
        with _mapped_errors(what, sql):
            return self.con.execute(sql, dict(params) if params else None).fetchall()

    def execute(self, sql: str, params: Params = None) -> None:
        """Run a DuckDB-only statement (migrations, settings). Steps use the portable methods."""
        self._run("statement", sql, params)

    def query(self, sql: str, params: Params = None) -> pa.Table:
        with _mapped_errors("query", sql):
            relation = self.con.sql(sql, params=dict(params)) if params else self.con.sql(sql)
            if relation is None:
                import pyarrow as pa

                return pa.table({})
            return _to_arrow(relation)

    def rows(self, sql: str, params: Params = None) -> list[dict[str, Any]]:
        """Fetched as Python values, not through Arrow: building Arrow arrays of nested lists for one row costs
        more than the lookup (a 360 card: 15 ms against 4)."""
        with _mapped_errors("query", sql):
            cursor = self.con.execute(sql, dict(params) if params else None)
            names = [d[0] for d in cursor.description or []]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def scalar(self, sql: str, params: Params = None) -> Any:
        """Fetched as a Python value, not through Arrow."""
        rows = self._run("query", sql, params)
        return rows[0][0] if rows and rows[0] else None

    def create_table_as(self, name: str, select_sql: str, params: Params = None) -> int:
        self._run(f"building table {name}", f"CREATE OR REPLACE TABLE {name} AS {select_sql}", params)
        return self.row_count(name)

    def insert_select(self, name: str, select_sql: str, params: Params = None) -> int:
        before = self.row_count(name)
        self._run(f"inserting into {name}", f"INSERT INTO {name} BY NAME {select_sql}", params)
        return self.row_count(name) - before

    def drop_table(self, name: str) -> None:
        self._run(f"dropping {name}", f"DROP TABLE IF EXISTS {name}")

    def tables(self) -> list[str]:
        rows = self._run(
            "listing tables",
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'main' AND table_type = 'BASE TABLE' ORDER BY 1",
        )
        return [str(r[0]) for r in rows]

    def ensure_table(self, name: str, schema: pa.Schema) -> None:
        if not self.table_exists(name):
            view = self._register(schema.empty_table())
            try:
                self._run(f"creating {name}", f"CREATE TABLE {name} AS SELECT * FROM {view}")
            finally:
                self._unregister(view)
            return
        have = set(self.table_schema(name).names)
        for field in schema:
            if field.name not in have:
                sql_type = self._sql_type(field.type)
                self._run(f"adding {name}.{field.name}", f"ALTER TABLE {name} ADD COLUMN {field.name} {sql_type}")

    def _sql_type(self, arrow_type: pa.DataType) -> str:
        import pyarrow as pa

        view = self._register(pa.table({"x": pa.array([None], type=arrow_type)}))
        try:
            rows = self._run("type probe", f"SELECT typeof(x) FROM {view}")
        finally:
            self._unregister(view)
        return str(rows[0][0])

    def table_schema(self, name: str) -> pa.Schema:
        return self.query(f"SELECT * FROM {name} LIMIT 0").schema

    def column_kinds(self, name: str) -> dict[str, str]:
        rows = self._run(
            f"reading the columns of {name}",
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'main' AND table_name = $name ORDER BY ordinal_position",
            {"name": name},
        )
        return {str(column): _kind(str(sql_type)) for column, sql_type in rows}

    def create_temp_table(self, name: str, schema: pa.Schema) -> None:
        view = self._register(schema.empty_table())
        try:
            self._run(f"creating {name}", f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {view}")
        finally:
            self._unregister(view)

    def create_temp_table_as(self, name: str, select_sql: str) -> int:
        self._run(f"building table {name}", f"CREATE OR REPLACE TEMP TABLE {name} AS {select_sql}")
        return self.row_count(name)

    def _unregister(self, view: str) -> None:
        """Unregister an Arrow view; after a failed statement in a transaction DuckDB refuses even this until the
        rollback, and that refusal must not hide the error that caused it (the view goes with the connection)."""
        with suppress(duckdb.Error):
            self.con.unregister(view)

    def _register(self, data: pa.Table) -> str:
        view = f"__arrow_{next(_ids)}"
        self.con.register(view, data)
        return view

    def write_arrow(self, name: str, data: pa.Table, mode: str = "append") -> int:
        view = self._register(data)
        try:
            if mode == "replace":
                self._run(f"writing {name}", f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM {view}")
            elif mode == "append":
                self._run(f"appending to {name}", f"INSERT INTO {name} BY NAME SELECT * FROM {view}")
            else:
                raise ValueError(f"mode must be 'append' or 'replace', not {mode!r}")
        finally:
            self._unregister(view)
        return data.num_rows

    @contextmanager
    def _registered(self, tables: dict[str, pa.Table]) -> Iterator[None]:
        for alias, data in tables.items():
            self.con.register(alias, data)
        try:
            yield
        finally:
            for alias in tables:
                self._unregister(alias)

    def stage_arrow(self, name: str, select_sql: str, tables: dict[str, pa.Table], create: bool = False) -> int:
        with self._registered(tables):
            if create:
                self._run(f"staging into {name}", f"CREATE TEMP TABLE {name} AS {select_sql}")
                return self.row_count(name)
            rows = self._run(f"staging into {name}", f"INSERT INTO {name} BY NAME {select_sql}")
        return int(str(rows[0][0])) if rows else 0

    def query_arrow(self, select_sql: str, tables: dict[str, pa.Table]) -> pa.Table:
        with self._registered(tables):
            return self.query(select_sql)

    def append_new(self, name: str, data: pa.Table, key: str) -> int:
        view = self._register(data)
        try:
            sql = (
                f"INSERT INTO {name} BY NAME SELECT * FROM {view} AS n "
                f"WHERE NOT EXISTS (SELECT 1 FROM {name} AS o WHERE o.{key} = n.{key}) "
                f"QUALIFY row_number() OVER (PARTITION BY n.{key}) = 1"
            )
            rows = self._run(f"appending new rows to {name}", sql)
        finally:
            self._unregister(view)
        return int(str(rows[0][0])) if rows else 0

    def map_batches(self, select_sql: str, fn: BatchFn, schema: pa.Schema, target: str) -> int:
        """Streams the SELECT from a second connection (a cursor) while this one writes, so memory stays at a
        few batches; inside a transaction the cursor could not see uncommitted rows, so the input is read whole."""
        import pyarrow as pa

        if self._depth:
            source: pa.RecordBatchReader = self.query(select_sql).to_reader(max_chunksize=BATCH_ROWS)
            cursor = None
        else:
            cursor = self.con.cursor()
            try:
                relation = cursor.sql(select_sql)
                stream = getattr(relation, "to_arrow_reader", None) or relation.fetch_record_batch
                source = stream(BATCH_ROWS)
            except duckdb.Error as exc:
                cursor.close()
                raise EngineError(f"reading the input of {target}", select_sql, exc) from exc
        written = 0

        def mapped() -> Iterator[pa.RecordBatch]:
            nonlocal written
            for batch in source:
                out = fn(batch)
                written += out.num_rows
                yield out

        view = self._register_reader(pa.RecordBatchReader.from_batches(schema, mapped()))
        try:
            self._run(f"writing {target}", f"CREATE OR REPLACE TABLE {target} AS SELECT * FROM {view}")
        finally:
            self._unregister(view)
            if cursor is not None:
                cursor.close()
        return written

    def _register_reader(self, reader: pa.RecordBatchReader) -> str:
        view = f"__arrow_{next(_ids)}"
        self.con.register(view, reader)
        return view

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._run("begin", "BEGIN TRANSACTION")
        self._depth = 1
        try:
            yield
        except BaseException:
            self._depth = 0
            self._run("rollback", "ROLLBACK")
            raise
        self._depth = 0
        self._run("commit", "COMMIT")

    def close(self) -> None:
        self.con.close()
