"""`[store]` of siyu.toml: where the operational store lives."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from siyu.config.sections import validated
from siyu.config.settings import Settings

SCHEMES = ("sqlite", "postgresql", "postgresql+psycopg")
# connections a server process keeps open: as many as requests it serves at once (20 concurrent API clients per
# worker), so a burst never opens and closes connections per request (a PostgreSQL connection is a forked
# backend: ~5 ms and an authentication)
POOL_SIZE = 20


class StoreSettings(BaseModel):
    """`url` empty means a SQLite file `<warehouse>.store.sqlite` beside the warehouse. `pool_size`: connections
    each `siyu serve` worker keeps open (as many again may open for a burst and close after it), so that
    workers × 2 × pool_size stays within PostgreSQL's `max_connections` (100 by default)."""

    model_config = ConfigDict(extra="forbid")
    url: str | None = None
    pool_size: int = Field(default=POOL_SIZE, ge=1, le=1000)

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, url: str | None) -> str | None:
        if url is not None and url.split(":", 1)[0] not in SCHEMES:
            raise ValueError(f"store url must start with one of {', '.join(s + '://' for s in SCHEMES)}")
        return url


def store_settings(settings: Settings) -> StoreSettings:
    return validated(StoreSettings, settings.section("store"), "store", settings.source)
