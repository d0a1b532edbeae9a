"""The typed form of siyu.toml.

Every section has defaults, so a missing file or a missing key means "the documented default", never an error.
Unknown tables and keys *are* errors (sections.py names the nearest valid one): a typo in a setting must not be
silently ignored.
"""

from __future__ import annotations

import datetime as dt
import tomllib
import zoneinfo
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from siyu.config.sections import CORE_TABLES, TOP_KEYS, ConfigError, check_timezone, check_top_level, validated
from siyu.domain.channels import CHANNELS, PRIVATE_CHANNELS, PUBLIC_CHANNELS, check_channels

__all__ = ["ConfigError", "Settings", "load_settings"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EngineSettings(_Section):
    name: Literal["duckdb", "spark"] = "duckdb"
    spark_master: str = "local[2]"
    lake: str = "lake"
    memory_limit: str | None = None
    threads: int | None = Field(default=None, ge=1)


class BrandSettings(_Section):
    name: str = "My brand"
    timezone: str = "Asia/Shanghai"
    currency: str = "CNY"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        return check_timezone(name)

    def today(self) -> dt.date:
        """The date where the brand is: the day anything "as of today" means (points released, candidates, a
        journey's day), not the date of the machine's own time zone."""
        return dt.datetime.now(zoneinfo.ZoneInfo(self.timezone)).date()


class ChannelSettings(_Section):
    enabled: list[str] = Field(default_factory=lambda: list(CHANNELS))
    public: list[str] = Field(default_factory=lambda: list(PUBLIC_CHANNELS))
    private: list[str] = Field(default_factory=lambda: list(PRIVATE_CHANNELS))

    @field_validator("enabled", "public", "private")
    @classmethod
    def _known_channels(cls, names: list[str]) -> list[str]:
        return check_channels(names)


class ImportSettings(_Section):
    batch_rows: int = Field(default=500_000, ge=1)  # 0 would read nothing forever
    encoding: str | None = None


class Settings(_Section):
    """The whole of siyu.toml. `root` is the folder the file was read from (relative paths start there)."""

    warehouse: str = "siyu.duckdb"
    engine: EngineSettings = Field(default_factory=EngineSettings)
    brand: BrandSettings = Field(default_factory=BrandSettings)
    channels: ChannelSettings = Field(default_factory=ChannelSettings)
    imports: ImportSettings = Field(default_factory=ImportSettings, alias="import")
    sections: dict[str, dict[str, object]] = Field(default_factory=dict, exclude=True)
    root: Path = Field(default_factory=Path.cwd, exclude=True)
    source: Path | None = Field(default=None, exclude=True)

    def path(self, relative: str) -> Path:
        """A path from the file, resolved against the folder siyu.toml lives in."""
        p = Path(relative).expanduser()
        return p if p.is_absolute() else self.root / p

    def section(self, name: str) -> dict[str, object]:
        """A later layer's own section ([identity], [clv], [metrics] …), validated by that layer."""
        return dict(self.sections.get(name, {}))


_CORE = {*TOP_KEYS, *CORE_TABLES}


def load_settings(path: Path | None) -> Settings:
    """Read siyu.toml (or return defaults when `path` is None or missing). Unknown tables and keys, and bad
    values of the core tables, are a ConfigError; the layers' own tables are checked by `check_settings`."""
    if path is None or not path.exists():
        return Settings(root=path.parent.resolve() if path else Path.cwd())
    if path.is_dir():
        raise ConfigError(f"{path}: is a folder, not a siyu.toml file")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; save siyu.toml as UTF-8") from None
    check_top_level(data, path)
    core = {k: v for k, v in data.items() if k in _CORE}
    sections = {k: v for k, v in data.items() if k not in _CORE}
    settings = validated(Settings, core, "", path)
    return settings.model_copy(update={"sections": sections, "root": path.parent.resolve(), "source": path})

