"""The typed form of siyu.toml.

Every section has defaults, so a missing file or a missing key means "the documented default", never an error.
Unknown keys *are* errors: a typo in a setting must not be silently ignored.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from siyu.domain.channels import CHANNELS, PRIVATE_CHANNELS, PUBLIC_CHANNELS


class ConfigError(ValueError):
    """A siyu.toml that cannot be used; the message names the file and the key."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EngineSettings(_Section):
    name: Literal["duckdb", "spark"] = "duckdb"
    spark_master: str = "local[2]"
    lake: str = "lake"
    memory_limit: str | None = None
    threads: int | None = None


class BrandSettings(_Section):
    name: str = "My brand"
    timezone: str = "Asia/Shanghai"
    currency: str = "CNY"


class ChannelSettings(_Section):
    enabled: list[str] = Field(default_factory=lambda: list(CHANNELS))
    public: list[str] = Field(default_factory=lambda: list(PUBLIC_CHANNELS))
    private: list[str] = Field(default_factory=lambda: list(PRIVATE_CHANNELS))


class ImportSettings(_Section):
    batch_rows: int = 500_000
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


_CORE = {"warehouse", "engine", "brand", "channels", "import"}


def load_settings(path: Path | None) -> Settings:
    """Read siyu.toml (or return defaults when `path` is None or missing)."""
    if path is None or not path.exists():
        return Settings(root=path.parent.resolve() if path else Path.cwd())
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    core = {k: v for k, v in data.items() if k in _CORE}
    sections = {k: v for k, v in data.items() if k not in _CORE and isinstance(v, dict)}
    stray = [k for k, v in data.items() if k not in _CORE and not isinstance(v, dict)]
    if stray:
        raise ConfigError(f"{path}: unknown top-level key(s) {', '.join(stray)}")
    try:
        return Settings(**core, sections=sections, root=path.parent.resolve(), source=path)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"{path}: {problems}") from exc
