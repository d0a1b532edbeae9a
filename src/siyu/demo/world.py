"""Everything the generator drew, before it is shaped into channel exports (see `exports.py`)."""

from __future__ import annotations

from dataclasses import dataclass

from siyu.demo.accounts import Accounts
from siyu.demo.catalogue import Catalogue
from siyu.demo.config import DemoConfig
from siyu.demo.funnel import Friends
from siyu.demo.orders import Lines, Orders
from siyu.demo.org import Org
from siyu.demo.persons import Persons
from siyu.demo.social import Memberships, Messages
from siyu.demo.wallet import Coupons, StoredValue


@dataclass
class World:
    cfg: DemoConfig
    persons: Persons
    accounts: Accounts
    org: Org
    catalogue: Catalogue
    orders: Orders
    lines: Lines
    friends: Friends
    groups: Memberships
    messages: Messages
    coupons: Coupons
    stored: StoredValue
