"""The [identity] section of siyu.toml, validated here because only this layer knows what it means."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, field_validator

from siyu.config.sections import validated
from siyu.domain.channels import check_channels

if TYPE_CHECKING:
    from siyu.config import Settings

#: Columns of `identities` that prove two identities are one person when equal (issue 4, point 1), and
#: `order_code`: a package card's per-order code shared by an order and the WeCom add it led to;
#: `store_sale`: a store sale shared by its buyer and the WeCom friend its guide added right after;
#: `store_name`: a store's one buyer of a full name and the one friend its guides noted by that name.
#: `card_run`: a print run's card code shared by a WeCom add and the one buyer of that run whose phone mask fits;
#: `store_phone`: a phone typed at one store's till, held by that store's buyers who gave it (a family's phone
#: then links its nameless walk-in to the one named holder who buys at that store).
DEFAULT_KEYS = ["unionid", "phone", "member_no", "email", "openid", "order_code", "store_sale", "store_name",
                "card_run", "store_phone"]

#: Blocking rules for probabilistic matching: each is a list of columns that must be equal for a pair
#: to be scored. Several rules so a pair is still found when one key is missing or misspelt.
DEFAULT_BLOCKING: list[list[str]] = [
    ["phone_prefix", "phone_suffix", "name_first"],
    ["phone_suffix", "name_pinyin"],
    ["name_pinyin", "district"],
    ["name", "birthday"],
    ["phone_prefix", "phone_suffix", "city"],
    ["address_key"],
    ["name_pinyin", "store_city"],
]


class IdentitySettings(BaseModel):
    """How persons are formed; every field has a documented default (docs/identity.md)."""

    model_config = ConfigDict(extra="forbid")

    keys: list[str] = Field(default_factory=lambda: list(DEFAULT_KEYS))
    superkey_threshold: int = Field(
        default=12, ge=2, description="a key value shared by more identities than this links none of them"
    )
    nickname_channels: list[str] = Field(
        default_factory=lambda: ["wecom"], description="channels whose `name` is a chosen display name"
    )
    probabilistic: bool = True
    match_threshold: float = Field(default=0.9, gt=0.0, lt=1.0)
    incremental: bool = Field(default=True, description="score only identities that changed since the last run")
    retrain: bool = Field(default=True, description="full runs re-estimate the Splink model from the data")
    blocking: list[list[str]] = Field(default_factory=lambda: [list(r) for r in DEFAULT_BLOCKING])
    max_pairs_for_u: float = Field(default=2e6, gt=0)
    max_iterations: int = Field(default=60, ge=1)

    @field_validator("keys")
    @classmethod
    def _keys_are_names(cls, keys: list[str]) -> list[str]:
        for key in keys:
            if not key.isidentifier():
                raise ValueError(f"identity key {key!r} is not a column name")
        return keys

    @field_validator("nickname_channels")
    @classmethod
    def _known_channels(cls, names: list[str]) -> list[str]:
        return check_channels(names)


def identity_settings(settings: Settings) -> IdentitySettings:
    """The validated `[identity]` table (defaults when absent); a ConfigError naming the file, the key and the
    nearest valid name otherwise, read the same way as every other layer's table."""
    return validated(IdentitySettings, settings.section("identity"), "identity", settings.source)
