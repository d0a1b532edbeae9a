"""The one interface every step uses to run SQL and move Arrow data.

Steps are written in DuckDB's SQL dialect; other engines transpile it (see `dialect.py`). Tables are
described by Arrow schemas (see `siyu.schema`), which both engines understand, so a table created on
DuckDB and one created on Spark have the same columns and types.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pyarrow costs 0.13 s to import; a reader that asks for a count never needs it
    import pyarrow as pa

BatchFn = Callable[["pa.RecordBatch"], "pa.RecordBatch"]
BATCH_ROWS = 100_000
Params = Mapping[str, Any] | None
"""Values bound to `$name` placeholders in a statement (DuckDB dialect; Spark receives them as `:name`)."""


class EngineError(RuntimeError):
    """A statement failed; the message names what was being built and carries the SQL that failed."""

    def __init__(self, what: str, sql: str, cause: BaseException) -> None:
        first = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
        super().__init__(f"{what} failed: {first}\n--- SQL ---\n{sql.strip()}")
        self.what = what
        self.sql = sql


class Engine(ABC):
    """A place where SQL runs and tables live."""

    name: str = "engine"
    dialect: str = "duckdb"
    #: whether a whole pipeline step can run inside `transaction()` and read back what it wrote there. Spark's
    #: transaction defers appends to commit (made for imports), so a step there commits table by table instead.
    step_transactions: bool = True

    # --- statements -------------------------------------------------------------------------------
    @abstractmethod
    def query(self, sql: str, params: Params = None) -> pa.Table:
        """Run a SELECT (DuckDB dialect) and return its result as Arrow; `params` are bound to `$name`."""

    def rows(self, sql: str, params: Params = None) -> list[dict[str, Any]]:
        """A small result as Python dicts (the service's lookups)."""
        return list(self.query(sql, params).to_pylist())

    def scalar(self, sql: str, params: Params = None) -> Any:
        """The single value of a one-row, one-column SELECT."""
        table = self.query(sql, params)
        return table.column(0)[0].as_py() if table.num_rows else None

    @abstractmethod
    def create_table_as(self, name: str, select_sql: str, params: Params = None) -> int:
        """Replace table `name` with the result of a SELECT; returns its row count."""

    @abstractmethod
    def insert_select(self, name: str, select_sql: str, params: Params = None) -> int:
        """Append the rows of a SELECT (matched by column name); returns rows added."""

    @abstractmethod
    def drop_table(self, name: str) -> None:
        """Drop a table if it exists."""

    # --- tables -----------------------------------------------------------------------------------
    @abstractmethod
    def tables(self) -> list[str]:
        """Names of the tables in the warehouse, sorted."""

    def table_exists(self, name: str) -> bool:
        return name in self.tables()

    @abstractmethod
    def ensure_table(self, name: str, schema: pa.Schema) -> None:
        """Create an empty table with this schema unless it exists; add columns the schema gained."""

    @abstractmethod
    def table_schema(self, name: str) -> pa.Schema:
        """The Arrow schema of an existing table."""

    def column_kinds(self, name: str) -> dict[str, str]:
        """Each column of a table by kind: "boolean", "text", "number" or "other" (dates, timestamps, lists).
        What the segment language needs to know of the profile, without building an Arrow schema."""
        import pyarrow as pa

        def kind(t: pa.DataType) -> str:
            if pa.types.is_boolean(t):
                return "boolean"
            if pa.types.is_string(t) or pa.types.is_large_string(t):
                return "text"
            if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
                return "number"
            return "other"

        return {f.name: kind(f.type) for f in self.table_schema(name)}

    def create_temp_table(self, name: str, schema: pa.Schema) -> None:
        """An empty scratch table for work in progress (an import's staged rows), replacing any of that name.

        DuckDB makes it TEMPORARY: private to the connection, gone when it closes, never written to the
        warehouse file, spilled to disk past the memory limit. Engines without that keep an ordinary table.
        """
        self.drop_table(name)
        self.ensure_table(name, schema)

    def create_temp_table_as(self, name: str, select_sql: str) -> int:
        """A scratch table from a SELECT (a step's intermediate tables, read a few times and dropped), replacing
        any of that name; returns its rows. DuckDB makes it TEMPORARY (see `create_temp_table`): no compressing
        and writing into the warehouse file. Engines without that keep an ordinary table."""
        return self.create_table_as(name, select_sql)

    def row_count(self, name: str) -> int:
        return int(self.scalar(f"SELECT count(*) FROM {name}") or 0)

    def read_arrow(self, name: str, columns: list[str] | None = None) -> pa.Table:
        cols = ", ".join(columns) if columns else "*"
        return self.query(f"SELECT {cols} FROM {name}")

    # --- Arrow in ---------------------------------------------------------------------------------
    @abstractmethod
    def write_arrow(self, name: str, data: pa.Table, mode: str = "append") -> int:
        """Write Arrow rows into a table ('append' or 'replace'); columns matched by name."""

    def stage_arrow(self, name: str, select_sql: str, tables: dict[str, pa.Table], create: bool = False) -> int:
        """Append a SELECT over Arrow tables (by alias) to temporary table `name` (`create`: make it from the
        SELECT); returns rows appended. Lets an import parse, hash and stage a batch in one pass
        where the warehouse can run SQL over Arrow in-process (DuckDB); others stage through `write_arrow`."""
        raise NotImplementedError(f"{self.name} cannot run SQL over in-process Arrow tables")

    def query_arrow(self, select_sql: str, tables: dict[str, pa.Table]) -> pa.Table:
        """Run a SELECT over Arrow tables by alias (see `stage_arrow`)."""
        raise NotImplementedError(f"{self.name} cannot run SQL over in-process Arrow tables")

    @abstractmethod
    def append_new(self, name: str, data: pa.Table, key: str) -> int:
        """Append only rows whose `key` is not yet in the table (nor repeated in `data`); returns rows added.

        This is what makes imports idempotent: the same rows written twice are stored once.
        """

    @abstractmethod
    def map_batches(self, select_sql: str, fn: BatchFn, schema: pa.Schema, target: str) -> int:
        """Replace table `target` with `fn` applied to each Arrow record batch of a SELECT; returns rows written.

        Python work (model scoring) runs where the data is, batch by batch: on Spark on the executors through
        mapInArrow, nothing collected on the driver. `fn` must be picklable (a module-level function or an
        object holding plain data) and return batches with `schema`. `target` must not be read by the SELECT.
        """

    # --- transactions -----------------------------------------------------------------------------
    @abstractmethod
    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside happen together or not at all. Nested use joins the outer transaction."""

    # --- lifecycle --------------------------------------------------------------------------------
    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def describe(self) -> str:
        """Where this engine keeps its data, for messages."""
        return self.name
