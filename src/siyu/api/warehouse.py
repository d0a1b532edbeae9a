"""The warehouse as the service reads it: the serving snapshot the last finished run published, read-only.

A run never half-shows: requests read the snapshot path in force when they start; when a newer one appears, new
requests open it and old ones finish on theirs. Without snapshots (siyu.engine.snapshot absent) the warehouse
file itself is opened read-only.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from siyu.engine.duckdb_engine import DuckDBEngine
from siyu.errors import SiyuError


class WarehouseBusy(SiyuError):
    """The warehouse cannot be opened for reading now (a run holds it and no snapshot is published)."""


def serving_path(warehouse: Path) -> Path:
    """The published serving snapshot when the engine publishes one, else the warehouse itself."""
    try:
        from siyu.engine.snapshot import current_snapshot  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return warehouse
    found = current_snapshot(warehouse)
    return Path(found) if found else warehouse


class Reader(DuckDBEngine):
    """A DuckDBEngine over one cursor of a shared read-only connection: one per request, safe across threads."""

    def __init__(self, cursor: duckdb.DuckDBPyConnection, path: Path) -> None:
        self.path = str(path)
        self.con = cursor
        self._depth = 0


class Serving:
    """One read-only connection per serving path, swapped when a newer snapshot is published."""

    def __init__(self, warehouse: Path) -> None:
        self.warehouse = warehouse
        self._lock = threading.Lock()
        self._path: Path | None = None
        self._con: duckdb.DuckDBPyConnection | None = None

    def _connection(self) -> tuple[duckdb.DuckDBPyConnection, Path]:
        path = serving_path(self.warehouse)
        with self._lock:
            if self._con is None or path != self._path:
                try:
                    con = duckdb.connect(str(path), read_only=True)
                except duckdb.Error as exc:
                    raise WarehouseBusy(f"the warehouse cannot be read now: {str(exc).splitlines()[0]}") from None
                self._con, self._path = con, path  # the old connection closes once its last cursor is gone
            return self._con, path

    @contextmanager
    def reader(self) -> Iterator[Reader]:
        con, path = self._connection()
        cursor = con.cursor()
        try:
            yield Reader(cursor, path)
        finally:
            cursor.close()

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
            self._con = None
