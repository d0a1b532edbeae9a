"""The `[loyalty]` table of siyu.toml: how orders earn points, when they expire, tiers, stored value.

What an order, a purchase and a refund are comes from `siyu.domain.orders`; these rules only say how much a
purchase earns. Points are integers: an order earns floor(net paid in yuan × points per yuan × channel multiplier
× tier multiplier), computed in integers (fen × millionths) so no float ever touches the ledger.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from siyu.config.sections import validated
from siyu.config.settings import Settings
from siyu.domain.orders import ORDER_STATUSES

PPM = 1_000_000  # rates are kept in millionths
FEN_PER_YUAN = 100


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Tier(_Strict):
    """A tier reached by `min_spend_fen` of net spend over the rolling window; `multiplier` applies to earning."""

    name: str = Field(min_length=1)
    min_spend_fen: int = Field(ge=0)
    multiplier: Decimal = Field(default=Decimal(1), gt=0)


class LoyaltySettings(_Strict):
    points_per_yuan: Decimal = Field(default=Decimal(1), ge=0)
    channel_multipliers: dict[str, Decimal] = Field(default_factory=dict)
    excluded_statuses: list[str] = Field(default_factory=list)
    excluded_categories: list[str] = Field(default_factory=list)
    excluded_skus: list[str] = Field(default_factory=list)
    return_window_days: int = Field(default=15, ge=0)
    expiry: Literal["end_of_next_year", "never"] = "end_of_next_year"
    tiers: list[Tier] = Field(default_factory=list)
    tier_window_days: int = Field(default=365, gt=0)
    downgrade_grace_days: int = Field(default=30, ge=0)
    tier_evaluation_days: list[str] = Field(default_factory=lambda: ["01-01"],
                                            description="MM-DD days of the year on which downgrades apply")
    stored_value_order: tuple[Literal["principal", "gift"], ...] = ("principal", "gift")
    forfeit_gift_on_refund: bool = True

    @field_validator("excluded_statuses")
    @classmethod
    def _known_statuses(cls, names: list[str]) -> list[str]:
        unknown = [n for n in names if n not in ORDER_STATUSES]
        if unknown:
            raise ValueError(f"unknown order status {unknown[0]!r} (one of {', '.join(ORDER_STATUSES)})")
        return names

    @field_validator("tier_evaluation_days")
    @classmethod
    def _month_days(cls, days: list[str]) -> list[str]:
        for day in days:
            try:
                dt.date.fromisoformat(f"2000-{day}")  # a leap year, so 02-29 is a day
            except ValueError:
                raise ValueError(f"tier evaluation day {day!r} is not MM-DD") from None
        return days

    @field_validator("channel_multipliers")
    @classmethod
    def _positive(cls, mults: dict[str, Decimal]) -> dict[str, Decimal]:
        for channel, m in mults.items():
            if m < 0:
                raise ValueError(f"the multiplier of channel {channel!r} must be 0 or more")
        return mults

    @model_validator(mode="after")
    def _tiers_and_order(self) -> LoyaltySettings:
        spends = [t.min_spend_fen for t in self.tiers]
        if spends != sorted(spends) or len(set(spends)) != len(spends):
            raise ValueError("tiers must be listed by rising min_spend_fen, each threshold once")
        if len({t.name for t in self.tiers}) != len(self.tiers):
            raise ValueError("tier names must be distinct")
        if sorted(self.stored_value_order) != ["gift", "principal"]:
            raise ValueError("stored_value_order must name principal and gift once each")
        return self

    def tier(self, name: str | None) -> Tier | None:
        return next((t for t in self.tiers if t.name == name), None)

    def rate_ppm(self, channel: str, tier: str | None = None) -> int:
        """Points per yuan for an order on `channel` by a member of `tier`, in millionths (rounded half even)."""
        t = self.tier(tier)
        rate = self.points_per_yuan * self.channel_multipliers.get(channel, Decimal(1)) * (
            t.multiplier if t else Decimal(1))
        return int((rate * PPM).to_integral_value())

    def expires_on(self, paid_on: dt.date) -> dt.date | None:
        """The last day a lot earned on `paid_on` can be used: 31 December of the following year, or never."""
        return None if self.expiry == "never" else dt.date(paid_on.year + 1, 12, 31)

    def is_evaluation_day(self, day: dt.date) -> bool:
        """Whether downgrades apply on `day` (one of `tier_evaluation_days`)."""
        return f"{day:%m-%d}" in self.tier_evaluation_days

    def release_on(self, paid_on: dt.date) -> dt.date:
        """The first day an order's points are available: the day its return window has closed."""
        return paid_on + dt.timedelta(days=self.return_window_days)

    def released_paid_by(self, as_of: dt.date) -> dt.date:
        """The last payment day whose points are available on `as_of` (`release_on` turned round, for queries)."""
        return as_of - dt.timedelta(days=self.return_window_days)


def points(basis_fen: int, rate_ppm: int) -> int:
    """Points earned by `basis_fen` of net paid at `rate_ppm`: rounded down, never negative."""
    return max(basis_fen, 0) * rate_ppm // (FEN_PER_YUAN * PPM)


def loyalty_settings(settings: Settings) -> LoyaltySettings:
    """The validated `[loyalty]` table (defaults when absent); a ConfigError naming the key otherwise."""
    return validated(LoyaltySettings, settings.section("loyalty"), "loyalty", settings.source)
