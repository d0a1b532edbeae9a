"""How a command reaches the warehouse: readers from the last published snapshot, writers one at a time.

A reader opens the published snapshot read-only and never migrates, so it neither waits for a run nor sees half
of one (engine/snapshot.py). A writer holds the writer lock (engine/lock.py) for the whole of its work,
migrates, and publishes a new snapshot when it finishes; a writer that fails or is interrupted publishes
nothing, so readers keep the last completed state.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

from siyu.config import Settings
from siyu.engine import Engine, open_engine
from siyu.engine.factory import engine_name, store_path
from siyu.engine.lock import holder, is_locked, writer_lock
from siyu.engine.snapshot import open_published, publish
from siyu.engine.warehouse_file import check_tables
from siyu.errors import UserError, WarehouseBusy


def _missing(store: Path, settings: Settings) -> UserError:
    hint = f" (from {settings.source})" if settings.source else ""
    return UserError(
        f"no warehouse at {store}{hint}; run `siyu demo` or `siyu import` first, or pass --warehouse"
    )


def _ours(eng: Engine, store: Path) -> None:
    """Refuse another application's DuckDB file before anything reads or migrates it."""
    if eng.name == "duckdb":
        check_tables(store, eng.tables())


@contextmanager
def open_reader(settings: Settings, warehouse: Path, engine: str | None = None) -> Iterator[Engine]:
    """The last published snapshot, read-only. A warehouse that has never been published (written by an older
    siyu or through the Python API) is read in place, read-only, when no writer is at work on it."""
    eng = open_published(settings, warehouse, engine)
    if eng is None:
        store = store_path(settings, warehouse, engine)
        if not store.exists():
            raise _missing(store, settings)
        if is_locked(store):
            raise WarehouseBusy(
                f"no run has completed yet on {store}; one is in progress ({holder(store) or 'another process'})"
            )
        read_only = engine_name(settings, engine) == "duckdb"
        eng = open_engine(settings, warehouse, engine, read_only=read_only)
    try:
        _ours(eng, store_path(settings, warehouse, engine))
        yield eng
    finally:
        eng.close()


@contextmanager
def writing(
    settings: Settings, warehouse: Path, engine: str | None = None, must_exist: bool = True
) -> Iterator[Engine]:
    """Hold the warehouse, migrate it, yield it; publish it for readers when the block finishes normally."""
    from siyu.persons.indexes import index_snapshot
    from siyu.schema import migrate

    store = store_path(settings, warehouse, engine)
    if must_exist and not store.exists():
        raise _missing(store, settings)
    with writer_lock(store):
        eng = open_engine(settings, warehouse, engine)
        try:
            _ours(eng, store)
            migrate(eng)
            yield eng
        except BaseException:
            eng.close()
            raise
        eng.close()
        publish(store, prepare=partial(index_snapshot, memory_limit=settings.engine.memory_limit))
