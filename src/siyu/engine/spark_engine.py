"""Spark: the same steps at scale, with every table a folder of Parquet files in a lake.

Each table is `lake/<name>/`, registered as a temporary view when the engine opens and again after every
write. Writes land in a fresh folder that is then swapped in, so a step that reads and rewrites the same
table sees a consistent input, and a failed write leaves the old table in place. Arrow data is written
with pyarrow straight to Parquet (no round trip through the JVM), which is also how imports reach Spark.
"""

from __future__ import annotations

import os
import shutil
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from siyu.engine.base import BatchFn, Engine, EngineError, Params
from siyu.engine.dialect import transpile

_SESSIONS: dict[str, Any] = {}


def spark_session(master: str = "local[2]") -> Any:
    """One Spark session per master for the whole process (starting one takes seconds)."""
    if master not in _SESSIONS:
        from pyspark.sql import SparkSession

        # Python workers run the interpreter siyu runs in: from a virtualenv that is not activated (as pipx
        # installs it) `python3` on PATH has no siyu, and every worker would fail with "No module named 'siyu'"
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)

        _SESSIONS[master] = (
            SparkSession.builder.master(master)
            .appName("siyu")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.sql.parquet.inferTimestampNTZ.enabled", "true")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .config("spark.sql.ansi.enabled", "false")
            .config("spark.driver.memory", "4g")
            # `${...}` inside a bound value or a quoted name is data, never a variable to expand
            .config("spark.sql.variable.substitute", "false")
            .getOrCreate()
        )
        _SESSIONS[master].sparkContext.setLogLevel("ERROR")
    return _SESSIONS[master]


class SparkEngine(Engine):
    name = "spark"
    dialect = "spark"
    step_transactions = False

    def __init__(self, lake: Path | str, master: str = "local[2]") -> None:
        self.lake = Path(lake).resolve()
        self.lake.mkdir(parents=True, exist_ok=True)
        self.spark = spark_session(master)
        self._txn: Path | None = None
        self._views: set[str] = set()
        for name in self.tables():
            self._refresh(name)

    def describe(self) -> str:
        return f"spark:{self.lake}"

    # --- helpers ----------------------------------------------------------------------------------
    def _dir(self, name: str) -> Path:
        return self.lake / name

    def _refresh(self, name: str) -> None:
        """(Re)register a table's view so Spark sees the files written since."""
        folder = self._dir(name)
        self.spark.catalog.clearCache()
        self.spark.read.parquet(str(folder)).createOrReplaceTempView(name)
        self._views.add(name)

    def _sql(self, what: str, sql: str, params: Params = None) -> Any:
        """Run one statement; `$name` placeholders become Spark's `:name`, bound to `params` (never spliced)."""
        spark_sql = transpile(sql, "spark")
        try:
            return self.spark.sql(spark_sql, args=dict(params)) if params else self.spark.sql(spark_sql)
        except Exception as exc:  # pyspark raises its own hierarchy
            raise EngineError(what, spark_sql, exc) from exc

    def _swap_in(self, name: str, staged: Path) -> None:
        target = self._dir(name)
        trash = self.lake / f"_trash_{name}_{uuid.uuid4().hex}"
        if target.exists():
            target.rename(trash)
        staged.rename(target)
        shutil.rmtree(trash, ignore_errors=True)
        self._refresh(name)

    def _staging(self, name: str) -> Path:
        return self.lake / f"_staging_{name}_{uuid.uuid4().hex}"

    # --- statements -------------------------------------------------------------------------------
    def query(self, sql: str, params: Params = None) -> pa.Table:
        df = self._sql("query", sql, params)
        try:
            table: pa.Table = df.toArrow()
        except Exception as exc:
            raise EngineError("query", transpile(sql, "spark"), exc) from exc
        return table

    def create_table_as(self, name: str, select_sql: str, params: Params = None) -> int:
        df = self._sql(f"building table {name}", select_sql, params)
        staged = self._staging(name)
        try:
            df.write.mode("overwrite").parquet(str(staged))
        except Exception as exc:
            shutil.rmtree(staged, ignore_errors=True)
            raise EngineError(f"building table {name}", transpile(select_sql, "spark"), exc) from exc
        self._swap_in(name, staged)
        return self.row_count(name)

    def insert_select(self, name: str, select_sql: str, params: Params = None) -> int:
        data = self.query(select_sql, params)
        return self.write_arrow(name, data, mode="append")

    def drop_table(self, name: str) -> None:
        shutil.rmtree(self._dir(name), ignore_errors=True)
        if name in self._views:
            self.spark.catalog.dropTempView(name)
            self._views.discard(name)

    def map_batches(self, select_sql: str, fn: BatchFn, schema: pa.Schema, target: str) -> int:
        """mapInArrow: each executor task applies `fn` to its partition's batches and the result is written as
        Parquet straight from the executors; inside a transaction the new table is swapped in at commit."""
        from pyspark.sql.pandas.types import from_arrow_schema

        def per_partition(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
            for batch in batches:
                yield fn(batch)

        df = self._sql(f"building table {target}", select_sql)
        staged = self._staging(target)
        try:
            df.mapInArrow(per_partition, from_arrow_schema(schema)).write.mode("overwrite").parquet(str(staged))
        except Exception as exc:
            shutil.rmtree(staged, ignore_errors=True)
            raise EngineError(f"building table {target}", transpile(select_sql, "spark"), exc) from exc
        written = int(ds.dataset(str(staged), format="parquet").count_rows())
        if self._txn is not None:
            self._txn_replace.append((target, staged))
        else:
            self._swap_in(target, staged)
        return written

    # --- tables -----------------------------------------------------------------------------------
    def tables(self) -> list[str]:
        return sorted(
            p.name for p in self.lake.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))
        )

    def table_schema(self, name: str) -> pa.Schema:
        return ds.dataset(str(self._dir(name)), format="parquet").schema

    def ensure_table(self, name: str, schema: pa.Schema) -> None:
        folder = self._dir(name)
        if not folder.exists():
            staged = self._staging(name)
            staged.mkdir()
            pq.write_table(schema.empty_table(), staged / "part-empty.parquet")
            self._swap_in(name, staged)
            return
        have = self.table_schema(name)
        missing = [f for f in schema if f.name not in have.names]
        if missing:
            old = ds.dataset(str(folder), format="parquet").to_table()
            for f in missing:
                old = old.append_column(f, pa.nulls(old.num_rows, type=f.type))
            self.write_arrow(name, old, mode="replace")

    def row_count(self, name: str) -> int:
        return int(ds.dataset(str(self._dir(name)), format="parquet").count_rows())

    # --- Arrow in ---------------------------------------------------------------------------------
    def _conform(self, name: str, data: pa.Table) -> pa.Table:
        """Order and cast columns to the table's schema, filling absent columns with nulls."""
        if not self._dir(name).exists():
            return data
        schema = self.table_schema(name)
        cols = []
        for field in schema:
            if field.name in data.column_names:
                cols.append(data.column(field.name).cast(field.type))
            else:
                cols.append(pa.nulls(data.num_rows, type=field.type))
        return pa.Table.from_arrays(cols, schema=schema)

    def write_arrow(self, name: str, data: pa.Table, mode: str = "append") -> int:
        if mode not in ("append", "replace"):
            raise ValueError(f"mode must be 'append' or 'replace', not {mode!r}")
        if mode == "replace":
            staged = self._staging(name)
            staged.mkdir()
            pq.write_table(data, staged / "part-0.parquet")
            if self._txn is not None:
                self._txn_replace.append((name, staged))
            else:
                self._swap_in(name, staged)
            return data.num_rows
        data = self._conform(name, data)
        if data.num_rows == 0:
            return 0
        file_name = f"part-{uuid.uuid4().hex}.parquet"
        if self._txn is not None:
            folder = self._txn / name
            folder.mkdir(parents=True, exist_ok=True)
            pq.write_table(data, folder / file_name)
        else:
            self._dir(name).mkdir(parents=True, exist_ok=True)
            pq.write_table(data, self._dir(name) / file_name)
            self._refresh(name)
        return data.num_rows

    def append_new(self, name: str, data: pa.Table, key: str) -> int:
        keys = [ds.dataset(str(self._dir(name)), format="parquet").to_table(columns=[key]).column(key)]
        if self._txn is not None and (self._txn / name).exists():
            keys.append(ds.dataset(str(self._txn / name), format="parquet").to_table(columns=[key]).column(key))
        seen = pa.chunked_array([c for k in keys for c in k.chunks], type=data.schema.field(key).type)
        fresh = data.filter(pc.invert(pc.is_in(data.column(key), value_set=seen.combine_chunks())))
        # keep the first of rows repeated within `data`
        idx = pa.table({"k": fresh.column(key), "i": pa.array(range(fresh.num_rows), type=pa.int64())})
        first = idx.group_by("k", use_threads=False).aggregate([("i", "min")]).column("i_min")
        fresh = fresh.take(pc.take(first, pc.sort_indices(first)))
        return self.write_arrow(name, fresh, mode="append")

    # --- transactions -----------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Writes go to a staging folder and are moved into the tables only when the block succeeds."""
        if self._txn is not None:
            yield
            return
        self._txn = self.lake / f"_txn_{uuid.uuid4().hex}"
        self._txn.mkdir()
        self._txn_replace: list[tuple[str, Path]] = []
        try:
            yield
        except BaseException:
            shutil.rmtree(self._txn, ignore_errors=True)
            for _, staged in self._txn_replace:
                shutil.rmtree(staged, ignore_errors=True)
            self._txn = None
            raise
        txn, self._txn = self._txn, None
        for name, staged in self._txn_replace:
            self._swap_in(name, staged)
        for folder in txn.iterdir():
            target = self._dir(folder.name)
            target.mkdir(parents=True, exist_ok=True)
            for part in folder.iterdir():
                part.rename(target / part.name)
            self._refresh(folder.name)
        shutil.rmtree(txn, ignore_errors=True)

    def close(self) -> None:
        for name in list(self._views):
            self.spark.catalog.dropTempView(name)
        self._views.clear()
