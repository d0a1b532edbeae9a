"""The `[guides]` table of siyu.toml: which attribution rules apply and what each pays.

Rules, strongest first: `share` (a mini-program order through a share carrying the guide's id), `till` (a store
order rung up by the guide), `indirect` (an order by a customer within `indirect_days` after a 1:1 conversation
with the guide). An order is attributed once, to the strongest rule that matches.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from siyu.config.sections import validated
from siyu.config.settings import Settings
from siyu.domain.channels import check_channels

RULES = ("share", "till", "indirect")  # precedence order: direct rules first
DIRECT_RULES = ("share", "till")


class GuideSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    rules: list[str] = Field(default_factory=lambda: list(RULES))
    indirect_days: int = Field(default=7, ge=1, le=365)
    rates: dict[str, Decimal] = Field(default_factory=lambda: {"share": Decimal("0.05"), "till": Decimal("0.05"),
                                                                 "indirect": Decimal("0.02")})
    excluded_channels: list[str] = Field(default_factory=list)
    clawback_days: int = Field(default=90, ge=0, le=730)  # a refund this long after the order still claws back

    @field_validator("rules")
    @classmethod
    def _known_rules(cls, names: list[str]) -> list[str]:
        for n in names:
            if n not in RULES:
                raise ValueError(f"unknown attribution rule {n!r} (one of {', '.join(RULES)})")
        return names

    @field_validator("rates")
    @classmethod
    def _rates(cls, rates: dict[str, Decimal]) -> dict[str, Decimal]:
        for n, r in rates.items():
            if n not in RULES:
                raise ValueError(f"unknown attribution rule {n!r} (one of {', '.join(RULES)})")
            if not Decimal(0) <= r <= Decimal(1):
                raise ValueError(f"rate of {n!r} must be between 0 and 1, not {r}")
        return rates

    @field_validator("excluded_channels")
    @classmethod
    def _channels(cls, names: list[str]) -> list[str]:
        return check_channels(names)

    def rate(self, rule: str) -> Decimal:
        return self.rates.get(rule, Decimal(0))


def guide_settings(settings: Settings) -> GuideSettings:
    """The validated `[guides]` table (defaults when absent); a ConfigError naming the key otherwise."""
    return validated(GuideSettings, settings.section("guides"), "guides", settings.source)
