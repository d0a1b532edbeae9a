"""Open the operational store and bring it to the latest migration."""

from __future__ import annotations

import select
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from siyu.config.settings import Settings
from siyu.store.settings import POOL_SIZE, store_settings

MIGRATIONS = Path(__file__).parent / "migrations"


def run_warehouse(engine: object, settings: Settings) -> Path:
    """The warehouse whose store a step reads: the DuckDB engine's file, else (Spark's lake, an engine in memory)
    the configured warehouse, beside which the store lives."""
    path = getattr(engine, "path", None)
    return Path(path) if path and str(path) != ":memory:" else settings.path(settings.warehouse)


def store_url(settings: Settings, warehouse: Path) -> str:
    """`[store] url`, else a SQLite file `<warehouse>.store.sqlite` beside the warehouse."""
    url = store_settings(settings).url
    if url:
        return url
    return f"sqlite:///{_beside(warehouse)}"


def _beside(warehouse: Path) -> Path:
    """The default store: a SQLite file `<warehouse>.store.sqlite` beside the warehouse."""
    return warehouse.with_name(warehouse.name + ".store.sqlite")


def existing_store(settings: Settings, warehouse: Path | None) -> sa.Engine | None:
    """The operational store of this warehouse, migrated; None when there is none yet (nobody ever served a
    warehouse whose store is the SQLite file beside it, or the warehouse is in memory). A run reads what the
    service recorded through this, and never creates a store by reading."""
    url = store_settings(settings).url
    if url:
        return open_store(url)
    if warehouse is None or str(warehouse) == ":memory:":
        return None
    return open_store(store_url(settings, warehouse)) if _beside(warehouse).exists() else None


def _driver(url: str) -> str:
    """postgresql:// means psycopg 3 here (SQLAlchemy's default would be psycopg2, which is not installed)."""
    return "postgresql+psycopg://" + url.removeprefix("postgresql://") if url.startswith("postgresql://") else url


def _sqlite_pragmas(dbapi_con: Any, _record: Any) -> None:
    cur = dbapi_con.cursor()
    cur.execute("PRAGMA journal_mode=WAL")  # readers never wait for the one writer
    cur.execute("PRAGMA busy_timeout=5000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _alive_on_checkout(dbapi_con: Any, _record: Any, _proxy: Any) -> None:
    """PostgreSQL's liveness check on every checkout from the pool, without a round trip: a server that closed
    the connection (restart, `pg_terminate_backend`, idle timeout) has sent its FATAL notice and FIN, so the idle
    socket is readable; an idle connection of a live server has nothing to read. Only a readable one is pinged
    (`SELECT 1`), and one that fails it is replaced before the request uses it (DisconnectionError: the pool
    opens another), as `pool_pre_ping` did with a `SELECT 1` on every checkout (a sixth of a redemption's
    round trips)."""
    if dbapi_con.closed or dbapi_con.broken:
        raise sa.exc.DisconnectionError("connection closed")
    poll = select.poll()  # not select.select: a busy server's descriptors may pass FD_SETSIZE (1024)
    poll.register(dbapi_con.fileno(), select.POLLIN)
    if not poll.poll(0):
        return
    try:
        before = dbapi_con.autocommit
        dbapi_con.autocommit = True
        dbapi_con.execute("SELECT 1")
        dbapi_con.autocommit = before
    except Exception as exc:  # any failure: this connection is not to be used
        raise sa.exc.DisconnectionError(str(exc)) from exc


def migrate_store(engine: sa.Engine) -> None:
    """Apply every migration not yet applied (Alembic, run in-process with the package's own scripts)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as con:
        cfg.attributes["connection"] = con
        command.upgrade(cfg, "head")


def open_store(url: str, migrate: bool = True, pool_size: int = POOL_SIZE) -> sa.Engine:
    """A SQLAlchemy engine on the store, migrated to the latest schema; `pool_size` connections kept, as many
    again opened for a burst and closed after it."""
    postgres = _driver(url).startswith("postgresql")
    engine = sa.create_engine(_driver(url), pool_pre_ping=not postgres, pool_size=pool_size, max_overflow=pool_size)
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    if postgres:
        sa.event.listen(engine.pool, "checkout", _alive_on_checkout)
    if migrate:
        migrate_store(engine)
    return engine
