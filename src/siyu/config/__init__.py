"""siyu.toml: where the warehouse lives, which engine runs it, and the brand's business settings."""

from siyu.config.locate import WarehouseChoice, locate_warehouse
from siyu.config.settings import ConfigError, EngineSettings, Settings, load_settings

__all__ = [
    "ConfigError",
    "EngineSettings",
    "Settings",
    "WarehouseChoice",
    "load_settings",
    "locate_warehouse",
]
