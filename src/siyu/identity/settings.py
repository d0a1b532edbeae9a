"""The [identity] section of siyu.toml, validated here because only this layer knows what it means."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

#: Columns of `identities` that prove two identities are one person when equal (issue 4, point 1), and
#: `order_code`: a package card's per-order code shared by an order and the WeCom add it led to;
#: `store_sale`: a store sale shared by its buyer and the WeCom friend its guide added right after.
DEFAULT_KEYS = ["unionid", "phone", "member_no", "email", "openid", "order_code", "store_sale"]

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


def identity_settings(section: dict[str, object]) -> IdentitySettings:
    """Validate [identity]; a bad value is a ValueError naming the key (shown to users as one line)."""
    try:
        return IdentitySettings(**section)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"identity.{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ValueError(f"siyu.toml [identity]: {problems}") from None
