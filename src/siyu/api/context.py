"""What every request needs: the serving warehouse, the operational store, settings and folders."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from siyu.api.warehouse import Serving
from siyu.config.settings import Settings
from siyu.engine.factory import store_path
from siyu.store import open_store, store_url
from siyu.store.settings import store_settings


@dataclass
class ServiceConfig:
    warehouse: Path
    settings: Settings
    store: sa.Engine
    serving: Serving
    files: Path  # exports, uploads and job logs, beside the warehouse
    store_url: str  # for the background jobs' own processes


def service_config(warehouse: Path, settings: Settings, store: sa.Engine | None = None,
                   migrate: bool = True) -> ServiceConfig:
    """What a worker serves; `migrate=False` in the workers of `siyu serve --workers N` (the parent migrated)."""
    files = warehouse.with_name(warehouse.name + ".service")
    files.mkdir(parents=True, exist_ok=True)
    url = str(store.url.render_as_string(hide_password=False)) if store is not None else store_url(settings, warehouse)
    served = store_path(settings, warehouse)  # the DuckDB file, or a Spark project's lake folder
    if store is None:
        store = open_store(url, migrate, pool_size=store_settings(settings).pool_size)
    return ServiceConfig(warehouse, settings, store, Serving(served), files, url)
