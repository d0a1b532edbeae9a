"""The operational store: what changes row by row and must never be lost (users, tokens, sessions, audit,
identity decisions). SQLAlchemy 2 Core on SQLite (WAL, beside the warehouse) or PostgreSQL; Alembic migrations."""

from siyu.store.connect import open_store, store_url
from siyu.store.settings import StoreSettings, store_settings

__all__ = ["StoreSettings", "open_store", "store_settings", "store_url"]
