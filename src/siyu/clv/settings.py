"""The [clv] section of siyu.toml, validated (a typo in a key is an error, not a silent default)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from siyu.config import Settings
from siyu.config.sections import validated


class ClvSettings(BaseModel):
    """Defaults are what `siyu run` uses when siyu.toml has no [clv] section."""

    model_config = ConfigDict(extra="forbid")

    model: Literal["auto", "bgnbd", "pnbd", "mbgnbd"] = "auto"
    calibration_end: dt.date | None = None  # default: the last order date in the warehouse
    unit: Literal["days", "weeks"] = "weeks"
    horizon_days: int = Field(default=365, gt=0, le=3650)
    discount_rate: float = Field(default=0.10, ge=0.0, lt=1.0)  # per year
    margin: float = Field(default=1.0, gt=0.0, le=1.0)  # share of order value kept; 1.0 = revenue CLV


def clv_settings(settings: Settings) -> ClvSettings:
    return validated(ClvSettings, settings.section("clv"), "clv", settings.source)
