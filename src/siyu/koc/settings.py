"""The `[koc]` table of siyu.toml: who becomes a candidate, how groups are shared out, when a KOC rotates."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from siyu.config.sections import validated
from siyu.config.settings import Settings


class KocSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    min_orders: int = Field(default=5, ge=0)  # purchases in the window
    min_spend: Decimal = Field(default=Decimal(10000), ge=0)  # net yuan in the window
    window_days: int = Field(default=365, gt=0)
    min_messages: int = Field(default=1, ge=0)  # private-domain activity: 1:1 messages and group speech
    premium_group_types: list[str] = Field(default_factory=list)  # chat_groups.group_type of premium groups
    normal_groups_min: int = Field(default=3, ge=1)
    normal_groups_max: int = Field(default=5, ge=1)
    inactive_months: int = Field(default=2, ge=1)  # no speech in their groups this many months → standby
    # journeys whose staff tasks on a KOC are the KOC's content tasks (siyu.koc.evaluation)
    content_journeys: list[str] = Field(default_factory=lambda: ["koc_content"])
    # group suggestion: a persona match (the group's commonest preferred category, or city, is the KOC's) is
    # worth this many of the KOC's messages there
    persona_weight: int = Field(default=5, ge=0)

    @model_validator(mode="after")
    def _range(self) -> KocSettings:
        if self.normal_groups_min > self.normal_groups_max:
            raise ValueError(f"normal_groups_min ({self.normal_groups_min}) is above normal_groups_max "
                             f"({self.normal_groups_max})")
        return self


def koc_settings(settings: Settings) -> KocSettings:
    """The validated `[koc]` table (defaults when absent); a ConfigError naming the key otherwise."""
    return validated(KocSettings, settings.section("koc"), "koc", settings.source)
