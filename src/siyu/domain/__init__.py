"""The business rules every layer shares, each stated once (DOMAIN.md "Definitions every layer shares").

Layers import from here instead of writing their own reading of "a purchase" or "a masked phone": a profile's
order count, a CLV frequency, the repurchase metric and (later) points must never disagree about the same
customer. Each rule comes as SQL (for the steps) and, where Python needs it too, as a function with the same
meaning; tests check the two agree.

Submodules load on first use (PEP 562), so reading siyu.toml, which checks channel names, does not import the
engine layer that the SQL forms quote through.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from siyu.domain.channels import CHANNELS, PRIVATE_CHANNELS, PUBLIC_CHANNELS, check_channels
    from siyu.domain.masking import (
        mask_address,
        mask_email,
        mask_name,
        mask_phone,
        masked_address_sql,
        masked_name_sql,
        masked_phone_sql,
    )
    from siyu.domain.orders import (
        ORDER_STATUSES,
        PAID_STATUSES,
        PURCHASE_STATUSES,
        is_purchase,
        net_amount,
        net_amount_sql,
        order_status,
        order_status_sql,
        paid_sql,
        purchase_sql,
        refund_amount_sql,
    )
    from siyu.domain.persons import person_sql
    from siyu.domain.private import (
        covers_end_of,
        friendship_intervals_sql,
        membership_events_sql,
        membership_intervals_sql,
        private_domain_sql,
    )

_HOMES = {
    "CHANNELS": "channels",
    "ORDER_STATUSES": "orders",
    "PAID_STATUSES": "orders",
    "PRIVATE_CHANNELS": "channels",
    "PUBLIC_CHANNELS": "channels",
    "PURCHASE_STATUSES": "orders",
    "check_channels": "channels",
    "covers_end_of": "private",
    "friendship_intervals_sql": "private",
    "is_purchase": "orders",
    "mask_address": "masking",
    "mask_email": "masking",
    "mask_name": "masking",
    "mask_phone": "masking",
    "masked_address_sql": "masking",
    "masked_name_sql": "masking",
    "masked_phone_sql": "masking",
    "membership_events_sql": "private",
    "membership_intervals_sql": "private",
    "net_amount": "orders",
    "net_amount_sql": "orders",
    "order_status": "orders",
    "order_status_sql": "orders",
    "paid_sql": "orders",
    "person_sql": "persons",
    "private_domain_sql": "private",
    "purchase_sql": "orders",
    "refund_amount_sql": "orders",
}

__all__ = [
    "CHANNELS",
    "ORDER_STATUSES",
    "PAID_STATUSES",
    "PRIVATE_CHANNELS",
    "PUBLIC_CHANNELS",
    "PURCHASE_STATUSES",
    "check_channels",
    "covers_end_of",
    "friendship_intervals_sql",
    "is_purchase",
    "mask_address",
    "mask_email",
    "mask_name",
    "mask_phone",
    "masked_address_sql",
    "masked_name_sql",
    "masked_phone_sql",
    "membership_events_sql",
    "membership_intervals_sql",
    "net_amount",
    "net_amount_sql",
    "order_status",
    "order_status_sql",
    "paid_sql",
    "person_sql",
    "private_domain_sql",
    "purchase_sql",
    "refund_amount_sql",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'siyu.domain' has no attribute {name!r}")
    return getattr(importlib.import_module(f"siyu.domain.{home}"), name)
