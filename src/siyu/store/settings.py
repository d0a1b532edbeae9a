"""`[store]` of siyu.toml: where the operational store lives."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, field_validator

from siyu.config.sections import validated
from siyu.config.settings import Settings

SCHEMES = ("sqlite", "postgresql", "postgresql+psycopg")


class StoreSettings(BaseModel):
    """`url` empty means a SQLite file `<warehouse>.store.sqlite` beside the warehouse."""

    model_config = ConfigDict(extra="forbid")
    url: str | None = None

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, url: str | None) -> str | None:
        if url is not None and url.split(":", 1)[0] not in SCHEMES:
            raise ValueError(f"store url must start with one of {', '.join(s + '://' for s in SCHEMES)}")
        return url


def store_settings(settings: Settings) -> StoreSettings:
    return validated(StoreSettings, settings.section("store"), "store", settings.source)
