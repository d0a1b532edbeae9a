"""The [metrics] section of siyu.toml, validated: a typo in a key is an error, not a silent default.

Every parameter of a DOMAIN.md definition lives here (windows, the core tier, health targets), so a
brand can change a definition in one place and docs/metrics.md says what each one means.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, field_validator

from siyu.config import Settings
from siyu.config.sections import validated
from siyu.domain.channels import check_channels


class HealthTargets(BaseModel):
    """What "healthy" means; defaults are DOMAIN.md's practitioners' figures (per year where a rate has a period)."""

    model_config = ConfigDict(extra="forbid")

    growth: float = Field(default=0.5, gt=0)  # 300k → 450k a year
    churn: float = Field(default=0.14, gt=0, lt=1)  # 20 % over 1.5 years ≈ 14 % a year
    activity: float = Field(default=0.35, gt=0, le=1)  # 30–40 %
    conversion: float = Field(default=0.25, gt=0, le=1)  # 20–30 %
    repurchase: float = Field(default=0.30, gt=0, le=1)  # share of buyers with ≥ 2 order days a year
    contribution: float = Field(default=0.5, gt=0, le=1)  # 35 % now, 50 % ideal


class HealthWeights(BaseModel):
    model_config = ConfigDict(extra="forbid")

    growth: float = Field(default=1.0, ge=0)
    churn: float = Field(default=1.0, ge=0)
    activity: float = Field(default=1.0, ge=0)
    conversion: float = Field(default=1.0, ge=0)
    repurchase: float = Field(default=1.0, ge=0)
    contribution: float = Field(default=1.0, ge=0)


class MetricsSettings(BaseModel):
    """Defaults are what `siyu run` and `siyu metrics` use when siyu.toml has no [metrics] section."""

    model_config = ConfigDict(extra="forbid")

    conversion_days: int = Field(default=7, gt=0, le=365)  # first order within this many days of joining
    activity_days: int = Field(default=30, gt=0, le=365)  # "active" = any interaction in this many days
    core_share: float = Field(default=0.1, gt=0, le=1)  # top share of buyers by net sales = core customers
    health_days: int = Field(default=365, gt=0, le=3650)  # the health score looks back this far
    cohort_months: int = Field(default=12, gt=0, le=36)
    as_of: dt.date | None = None  # default: the last day with data
    public: list[str] | None = None  # default: [channels] public
    private: list[str] | None = None  # default: [channels] private
    targets: HealthTargets = Field(default_factory=HealthTargets)
    weights: HealthWeights = Field(default_factory=HealthWeights)

    @field_validator("public", "private")
    @classmethod
    def _known_channels(cls, names: list[str] | None) -> list[str] | None:
        return None if names is None else check_channels(names)


class MetricsConfig(BaseModel):
    """Validated settings plus the channel lists resolved from [channels]."""

    model_config = ConfigDict(extra="forbid")

    settings: MetricsSettings
    public: list[str]
    private: list[str]


def metrics_config(settings: Settings) -> MetricsConfig:
    m = validated(MetricsSettings, settings.section("metrics"), "metrics", settings.source)
    public = m.public if m.public is not None else list(settings.channels.public)
    private = m.private if m.private is not None else list(settings.channels.private)
    return MetricsConfig(settings=m, public=public, private=private)
