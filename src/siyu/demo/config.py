"""The demo brand's knobs: size, seed, period and every rate the funnel and the noise are drawn with.

Defaults follow the figures in DOMAIN.md (acquisition 3–15 %, first-order conversion 20–30 %, stored value
5–10 % of the private domain, activity 30–40 %, churn ~20 % a year …) so the demo looks like a real brand
and tests can check that the generated tables land in those ranges.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from siyu.errors import UserError


@dataclass(frozen=True)
class DemoConfig:
    persons: int = 20_000
    seed: int = 7
    start: dt.date = dt.date(2024, 11, 1)
    end: dt.date = dt.date(2026, 10, 31)

    # orders: heterogeneous buy-till-you-die (Poisson rate ~ Gamma(r, alpha), dropout p ~ Beta(a, b))
    orders_per_person: float = 10.0
    rate_shape_r: float = 1.0
    dropout_a: float = 1.2
    dropout_b: float = 6.0
    public_channel_mix: tuple[float, float, float] = (0.5, 0.2, 0.3)  # tmall, jd, douyin
    store_person_share: float = 0.15  # persons who mostly shop in a store
    multi_line_share: float = 0.2  # orders with 2–3 different SKUs
    closed_rate: float = 0.03
    pending_rate: float = 0.005
    refund_rate: float = 0.06
    partial_refund_rate: float = 0.02
    private_shift: float = 0.45  # share of later orders moved to mini-program/store once a person joins
    fan_share: float = 0.002  # KOC-like fans: many big orders, very active in groups

    # the funnel
    card_share: float = 0.9  # parcels shipped with a package card
    order_code_share: float = 0.5  # of package cards: printed with a per-order code (一单一码) instead of the run's
    acquisition_rate: float = 0.08  # chance a card parcel to a non-friend makes them add the WeCom friend
    store_add_rate: float = 0.1  # chance a store sale ends with the guide adding the customer
    other_add_rate: float = 0.02  # persons added by search / card share / group over the period
    first_order_rate: float = 0.25  # new friends whose first order follows within 7 days
    first_order_days: int = 7
    group_join_rate: float = 0.6
    welfare_share: float = 0.3  # joiners put in a welfare group instead of a persona group
    churn_per_year: float = 0.3  # hazard of a friend being removed
    group_leave_per_year: float = 0.25
    reply_probs: tuple[float, ...] = (0.92, 0.7, 0.5, 0.35, 0.25, 0.15)  # customer reply after script line n
    activity_rate: float = 0.15  # chance a private-domain person interacts in a given month
    coupon_rate: float = 0.8  # new friends given the ¥10 / 30-day coupon
    coupon_value: float = 10.0
    coupon_days: int = 30
    coupon_redeem_rate: float = 0.7  # of coupon holders with a mini-program order in time
    stored_value_rate: float = 0.08  # of the private domain who top up

    # journeys (demo/sop.py): the true effect of a reminder, so the holdout's uplift estimate can be checked
    reminder_lift: float = 0.3  # chance a reminded customer who would not have bought again does, within days
    task_done_rate: float = 0.8  # tasks staff actually do

    # identity noise
    multi_account_share: float = 0.05
    homophone_rate: float = 0.03  # name sightings with a homophone typo
    missing_rate: float = 0.05  # optional fields left empty
    changed_phone_share: float = 0.08
    family_phone_share: float = 0.03
    walk_in_share: float = 0.25  # store sales without a member card
    store_phone_share: float = 0.5  # of walk-ins, the till typed the store's own phone
    email_share: float = 0.2
    miniprogram_unionid_share: float = 1.0  # mini-program accounts whose unionid code2Session returns

    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.persons < 10:
            raise UserError(f"persons must be at least 10, not {self.persons}")
        if self.end <= self.start:
            raise UserError(f"end {self.end} must be after start {self.start}")
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name.endswith(("_rate", "_share")) and not 0 <= value <= 1:
                raise UserError(f"{f.name} must be between 0 and 1, not {value}")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def to_json(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["start"], out["end"] = self.start.isoformat(), self.end.isoformat()
        return out
