"""The [profile] and [tags] sections of siyu.toml, validated (a typo in a key is an error, not a default).

Every threshold of a built-in tag lives here so a brand can change a definition without touching code;
docs/profile.md documents each one.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from siyu.config import Settings
from siyu.config.sections import validated


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProfileSettings(_Strict):
    """[profile]: what "today" is and the windows the profile's counters use."""

    as_of: dt.date | None = None  # default: the last order date in the warehouse (never the wall clock)
    interval_prior_days: float | None = Field(default=None, gt=0)  # None: population median of personal intervals
    default_interval_days: float = Field(default=90.0, gt=0)  # when nobody has bought twice yet
    active_days: int = Field(default=30, gt=0)  # "messages in the last 30 days", activity windows
    coupon_expiring_days: int = Field(default=3, ge=0)


class RfmSettings(_Strict):
    """R/F/M split into high/low: by quantile of buyers (strictly better than it) or fixed (at least it)."""

    method: Literal["quantile", "fixed"] = "quantile"
    recency_quantile: float = Field(default=0.5, gt=0, lt=1)
    frequency_quantile: float = Field(default=0.5, gt=0, lt=1)
    monetary_quantile: float = Field(default=0.5, gt=0, lt=1)
    recency_days: float = 90.0  # fixed: R high when recency_days <= this
    orders: float = 2.0  # fixed: F high when orders >= this
    spend: float = 500.0  # fixed: M high when net_spend >= this


class LifecycleSettings(_Strict):
    sleeping_factor: float = Field(default=1.5, gt=0)  # sleeping past 1.5x the person's own interval
    lost_factor: float = Field(default=3.0, gt=0)  # lost past 3x …
    lost_p_alive: float = Field(default=0.2, ge=0, le=1)  # … or P(alive) below this (when CLV has run)


class TagSettings(_Strict):
    """[tags]: built-in tag definitions and where user rules live."""

    rfm: RfmSettings = Field(default_factory=RfmSettings)
    lifecycle: LifecycleSettings = Field(default_factory=LifecycleSettings)
    preference_share: float = Field(default=0.5, gt=0, le=1)  # a value is >= 50% of the person's items
    high_net_worth_top: float = Field(default=0.05, gt=0, lt=1)  # top 5% by net spend …
    high_net_worth_spend: float | None = None  # … or, when set, net spend at least this
    low_repurchase_orders: int = Field(default=1, ge=0)  # "<= 1 order in a year"
    koc_orders: int = Field(default=5, ge=1)  # >= 5 orders in 12 months
    koc_spend: float = Field(default=10_000.0, ge=0)  # >= ¥10,000 in 12 months
    koc_group_messages: int = Field(default=1, ge=1)  # and this many group messages in the activity window
    rules_file: str = "tags.toml"  # user rules: [[tag]] name, description, predicate


def profile_settings(settings: Settings) -> ProfileSettings:
    return validated(ProfileSettings, settings.section("profile"), "profile", settings.source)


def tag_settings(settings: Settings) -> TagSettings:
    return validated(TagSettings, settings.section("tags"), "tags", settings.source)
