"""`[journeys]` of siyu.toml: which journeys run and the guard rails every journey shares.

A brand without a `[journeys]` table runs none (the `journeys` step does nothing)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from siyu.config.sections import validated
from siyu.config.settings import Settings


class JourneySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    file: str | None = None  # a journeys TOML; none: the defaults shipped with siyu
    tasks_per_week: int = Field(default=2, ge=0, le=50)  # per person, across all journeys, rolling 7 days
    tasks_per_week_later: int = Field(default=1, ge=0, le=50)  # once the relationship is older than early_days
    early_days: int = Field(default=90, ge=0, le=3650)
    quiet_start: dt.time = dt.time(21, 0)  # no task is due between quiet_start and quiet_end (brand time)
    quiet_end: dt.time = dt.time(9, 0)
    do_not_contact: list[str] = Field(default_factory=list)  # person ids (the store's opt-out list adds to it)
    reply_days: int = Field(default=3, ge=1, le=90)  # a reply within this many days of the task counts
    buy_days: int = Field(default=14, ge=1, le=365)  # a purchase within this many days of the task counts
    window_days: int = Field(default=30, ge=1, le=365)  # uplift: purchases within this many days of entry
    lookback_days: int = Field(default=1, ge=1, le=3650)  # first evaluation: events this many days back

    @field_validator("quiet_start", "quiet_end", mode="before")
    @classmethod
    def _clock(cls, value: object) -> object:
        if isinstance(value, str):
            return dt.time.fromisoformat(value)
        return value


def journey_settings(settings: Settings) -> JourneySettings:
    return validated(JourneySettings, settings.section("journeys"), "journeys", settings.source)


def journeys_file(settings: Settings) -> Path | None:
    name = journey_settings(settings).file
    return settings.path(name) if name else None
