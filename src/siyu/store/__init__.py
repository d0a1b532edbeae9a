"""The operational store: what changes row by row and must never be lost (users, tokens, sessions, audit,
identity decisions). SQLAlchemy 2 Core on SQLite (WAL, beside the warehouse) or PostgreSQL; Alembic migrations.

Names load on first use (PEP 562): `siyu run` checks `[store]` without importing SQLAlchemy and Alembic."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from siyu.store.connect import existing_store, migrate_store, open_store, run_warehouse, store_url
    from siyu.store.settings import StoreSettings, store_settings

_WHERE = {"existing_store": "connect", "open_store": "connect", "store_url": "connect", "migrate_store": "connect",
          "run_warehouse": "connect", "StoreSettings": "settings", "store_settings": "settings"}

__all__ = ["StoreSettings", "existing_store", "migrate_store", "open_store", "run_warehouse", "store_settings",
           "store_url"]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'siyu.store' has no attribute {name!r}")
    return getattr(importlib.import_module(f"siyu.store.{_WHERE[name]}"), name)
