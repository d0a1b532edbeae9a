"""The warehouse as the service reads it: the serving snapshot the last finished run published, read-only.

A run never half-shows: requests read the snapshot path in force when they start; when a newer one appears, new
requests open it and old ones finish on theirs. Before the first publication the warehouse file itself is opened
read-only.

A Spark project's published lake (a folder of Parquet tables) is served the same way: an in-memory DuckDB with one
view per table over that publication's files, which are never rewritten (the next publication links new ones
into a new folder). It has no serving indexes, so lookups read the Parquet files' statistics and matching row
groups rather than an index.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import duckdb

from siyu.engine.duckdb_engine import NO_DOWNLOADS, DuckDBEngine
from siyu.engine.quote import ident, literal
from siyu.engine.snapshot import current_snapshot
from siyu.errors import WarehouseBusy

#: One DuckDB thread per query: requests are the parallelism (each runs on its own thread of the server's pool,
#: a cursor each); a second thread per query only makes 20 concurrent lookups queue behind each other's tasks.
SERVING_THREADS = 1
SERVING_CONFIG: dict[str, str | bool | int | float | list[str]] = {**NO_DOWNLOADS, "threads": SERVING_THREADS}


def serving_path(warehouse: Path) -> Path:
    """The published serving snapshot, else (nothing published yet) the warehouse itself."""
    return current_snapshot(warehouse) or warehouse


def lake_connection(lake: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB reading a published Spark lake: one view per table folder, over its Parquet files."""
    con = duckdb.connect(":memory:", config=SERVING_CONFIG)
    for folder in sorted(p for p in lake.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))):
        files = sorted(str(f) for f in folder.rglob("*.parquet") if not f.name.startswith((".", "_")))
        if files:
            con.execute(f"CREATE VIEW {ident(folder.name)} AS SELECT * FROM read_parquet("
                        f"[{', '.join(literal(f) for f in files)}], union_by_name = true)")
    return con


class Reader(DuckDBEngine):
    """A DuckDBEngine over one cursor of a shared read-only connection: one per request, safe across threads."""

    def __init__(self, cursor: duckdb.DuckDBPyConnection, path: Path, memo: dict[str, Any] | None = None) -> None:
        self.path = str(path)
        self.con = cursor
        self._depth = 0
        self._lake = path.is_dir()
        self.memo = {} if memo is None else memo  # values computed once per snapshot (see Serving.reader)

    def tables(self) -> list[str]:
        """Read once per snapshot (the catalogue query costs a lookup's time); a lake's tables are views over its
        Parquet files."""
        if "tables" not in self.memo:
            if not self._lake:
                self.memo["tables"] = super().tables()
            else:
                rows = self.con.execute("SELECT table_name FROM information_schema.tables "
                                        "WHERE table_schema = 'main' ORDER BY 1").fetchall()
                self.memo["tables"] = [str(r[0]) for r in rows]
        return list(self.memo["tables"])


def _identity(path: Path) -> tuple[str, int, int]:
    """The path with its inode and change time: publishing renames a new file over the same name."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return str(path), 0, 0
    return str(path), st.st_ino, st.st_mtime_ns


class Serving:
    """One read-only connection per serving file, swapped when a newer snapshot is published.

    A snapshot is opened through a hard link named for its inode: DuckDB keeps one database per path in a
    process, so reopening the same name would hand back the old snapshot; the link pins the new file, and requests
    still reading the old one finish on it (its link is removed, the open file lives until they are done).
    """

    def __init__(self, warehouse: Path) -> None:
        self.warehouse = warehouse
        self._lock = threading.Lock()
        self._key: tuple[str, int, int] | None = None
        self._con: duckdb.DuckDBPyConnection | None = None
        self._link: Path | None = None
        self._memo: dict[str, Any] = {}

    def _pin(self, path: Path, key: tuple[str, int, int]) -> Path:
        if path == self.warehouse or not key[1] or path.is_dir():
            return path  # nothing published: the warehouse itself; a lake's views name its files
        link = path.with_name(f".{path.name}.serving-{key[1]}-{key[2]}{path.suffix}")
        with suppress(FileExistsError):
            os.link(path, link)
        wal = Path(f"{path}.wal")
        if wal.exists():
            with suppress(FileExistsError, FileNotFoundError):
                os.link(wal, Path(f"{link}.wal"))
        self._forget_older(path, link)
        return link

    @staticmethod
    def _forget_older(path: Path, keep: Path) -> None:
        """Remove the links to older snapshots (left by a server that was killed or restarted before a newer
        one was published): each would keep a whole old snapshot on disk for ever. A process still reading one
        keeps its open file; only the name goes, and only the newest snapshot is ever opened by name."""
        for old in path.parent.glob(f".{path.name}.serving-*"):
            if old != keep and old != Path(f"{keep}.wal"):
                old.unlink(missing_ok=True)

    def _unpin(self, link: Path | None) -> None:
        if link is not None:
            Path(f"{link}.wal").unlink(missing_ok=True)
            link.unlink(missing_ok=True)

    def _connection(self) -> tuple[duckdb.DuckDBPyConnection, Path, dict[str, Any]]:
        path = serving_path(self.warehouse)
        key = _identity(path)
        with self._lock:
            if self._con is None or key != self._key:
                pinned = self._pin(path, key)
                try:
                    con = (lake_connection(pinned.resolve()) if pinned.is_dir()
                           else duckdb.connect(str(pinned), read_only=True, config=SERVING_CONFIG))
                except (duckdb.Error, OSError) as exc:
                    if pinned != path:
                        self._unpin(pinned)
                    raise WarehouseBusy(f"the warehouse cannot be read now: {str(exc).splitlines()[0]}") from None
                if self._link is not None and self._link != pinned:
                    self._unpin(self._link)  # readers of the old snapshot keep their open file
                self._con, self._key = con, key  # the old connection closes once its last cursor is gone
                self._link = pinned if pinned != path else None
                self._memo = {}
            return self._con, path, self._memo

    @contextmanager
    def reader(self) -> Iterator[Reader]:
        """A reader of the current snapshot; its `memo` holds what requests computed once for that snapshot."""
        con, path, memo = self._connection()
        cursor = con.cursor()
        try:
            yield Reader(cursor, path, memo)
        finally:
            cursor.close()

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
            self._unpin(self._link)
            self._con, self._key, self._link, self._memo = None, None, None, {}
