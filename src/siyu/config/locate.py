"""One way to find the warehouse (DESIGN.md): flag, then SIYU_WAREHOUSE, then ./siyu.toml, then the demo file."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from siyu.config.settings import Settings, load_settings

DEMO_WAREHOUSE = "siyu-demo.duckdb"


@dataclass(frozen=True)
class WarehouseChoice:
    """Which warehouse a command uses and why, so the CLI can say so."""

    path: Path
    reason: str
    settings: Settings


def locate_warehouse(flag: str | None, config: Path | None = None, cwd: Path | None = None) -> WarehouseChoice:
    here = cwd or Path.cwd()
    toml = config or here / "siyu.toml"
    settings = load_settings(toml if toml.exists() else None)
    if flag:
        return WarehouseChoice(Path(flag).expanduser().resolve(), "--warehouse", settings)
    env = os.environ.get("SIYU_WAREHOUSE")
    if env:
        return WarehouseChoice(Path(env).expanduser().resolve(), "SIYU_WAREHOUSE", settings)
    if toml.exists():
        return WarehouseChoice(settings.path(settings.warehouse).resolve(), str(toml), settings)
    return WarehouseChoice((here / DEMO_WAREHOUSE).resolve(), "default demo warehouse", settings)
