"""What every request needs: the serving warehouse, the operational store, settings and folders."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from siyu.api.warehouse import Serving
from siyu.config.settings import Settings
from siyu.store import open_store, store_url


@dataclass
class ServiceConfig:
    warehouse: Path
    settings: Settings
    store: sa.Engine
    serving: Serving
    files: Path  # exports and uploads, beside the warehouse
    runs: dict[str, object] = field(default_factory=dict)


def service_config(warehouse: Path, settings: Settings, store: sa.Engine | None = None) -> ServiceConfig:
    files = warehouse.with_name(warehouse.name + ".service")
    files.mkdir(parents=True, exist_ok=True)
    return ServiceConfig(warehouse, settings, store or open_store(store_url(settings, warehouse)),
                         Serving(warehouse), files)
