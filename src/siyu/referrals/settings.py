"""The `[referrals]` table of siyu.toml: codes, the reward, when it is paid, limits and what looks suspicious."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from siyu.config.sections import validated
from siyu.config.settings import Settings


class ReferralSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code_prefix: str = Field(default="ref-", min_length=1, max_length=20)
    reward: Literal["points", "coupon"] = "points"
    points: int = Field(default=500, ge=1)
    coupon_fen: int = Field(default=2000, ge=1)
    coupon_days: int = Field(default=30, ge=1)
    settle_days: int = Field(default=15, ge=0)  # the first order's return window: rewarded once it has passed
    max_rewards_per_inviter: int = Field(default=20, ge=1)  # per calendar year
    suspicious_invitees: int = Field(default=3, ge=2)  # one phone or address behind this many invitees → held

    @model_validator(mode="after")
    def _prefix(self) -> ReferralSettings:
        if not self.code_prefix.strip():
            raise ValueError("code_prefix must not be blank")
        return self


def referral_settings(settings: Settings) -> ReferralSettings:
    """The validated `[referrals]` table (defaults when absent); a ConfigError naming the key otherwise."""
    return validated(ReferralSettings, settings.section("referrals"), "referrals", settings.source)
