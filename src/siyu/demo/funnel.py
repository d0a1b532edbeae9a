"""The private-domain funnel: package cards → WeCom friends → first order → the channel mix shifting.

A person joins the private domain at the first of: a package card in one of their parcels that they scan
(with probability `acquisition_rate` per card parcel), a store sale after which the guide adds them, or a
rarer search/card-share/group add. After joining, `first_order_rate` of new friends order within the window
(first-order gift); the others' orders inside the window are pushed past it, so the rate is exact by
construction. Later orders move to the mini-program or the store with probability `private_shift`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from siyu.demo.config import DemoConfig
from siyu.demo.orders import CLOSED, MINI, PAID, PENDING, STORE, Orders
from siyu.demo.org import Org
from siyu.demo.persons import Persons

ADD_SOURCES = ["package_card", "qr_code", "phone_search", "card_share", "group"]
ADD_LABELS = ["包裹卡", "扫描二维码", "搜索手机号", "名片分享", "群聊"]
PACKAGE_CARD, QR_CODE = 0, 1


@dataclass
class Friends:
    """One entry per person who became a WeCom friend (sorted by person)."""

    person: np.ndarray
    added: np.ndarray
    source: np.ndarray  # index into ADD_SOURCES
    staff: np.ndarray
    order: np.ndarray  # the order whose parcel card or store sale led to the add, -1 none
    store: np.ndarray  # store of a store add, -1 none
    removed: np.ndarray  # day the friend was deleted, nan when still a friend at the end

    @property
    def n(self) -> int:
        return len(self.person)

    def join_day(self, n_persons: int) -> np.ndarray:
        """Per person: the day they joined, +inf for never."""
        day = np.full(n_persons, np.inf)
        day[self.person] = self.added
        return day


def shipped(orders: Orders) -> np.ndarray:
    """Orders that leave a warehouse in a parcel: online and not cancelled/unpaid."""
    return (orders.channel != STORE) & (orders.status != PENDING) & (orders.status != CLOSED)


def find_joins(cfg: DemoConfig, persons: Persons, orders: Orders, org: Org, rng: np.random.Generator) -> Friends:
    n, days = orders.n, float(cfg.days)
    card = shipped(orders) & orders.with_card & (rng.random(n) < cfg.acquisition_rate)
    card_time = orders.t + orders.ship_delay + rng.uniform(2, 5, n)
    at_store = (orders.channel == STORE) & (rng.random(n) < cfg.store_add_rate)
    store_time = orders.t + rng.uniform(0.002, 0.02, n)
    first_t = np.full(persons.n, np.inf)
    np.minimum.at(first_t, orders.person, orders.t)
    other = np.flatnonzero(rng.random(persons.n) < cfg.other_add_rate)
    other_time = first_t[other] + rng.uniform(0, 1, len(other)) * (days - first_t[other])
    idx_card, idx_store = np.flatnonzero(card), np.flatnonzero(at_store)
    person = np.r_[orders.person[idx_card], orders.person[idx_store], other]
    when = np.r_[card_time[idx_card], store_time[idx_store], other_time]
    source = np.r_[
        np.full(len(idx_card), PACKAGE_CARD), np.full(len(idx_store), QR_CODE),
        rng.choice([2, 3, 4], len(other), p=[0.4, 0.35, 0.25]),
    ]
    order = np.r_[idx_card, idx_store, np.full(len(other), -1)]
    keep = when < days - 0.01
    person, when, source, order = person[keep], when[keep], source[keep], order[keep]
    first = np.lexsort((when, person))
    person, when, source, order = person[first], when[first], source[first], order[first]
    _, at = np.unique(person, return_index=True)
    person, when, source, order = person[at], when[at], source[at], order[at]
    store = np.where(source == QR_CODE, orders.store[np.maximum(order, 0)], -1)
    staff = np.where(store >= 0, org.guide_of(np.maximum(store, 0), rng), org.online_staff(len(person), rng))
    removed = when + rng.exponential(365.0 / max(cfg.churn_per_year, 1e-9), len(person))
    removed = np.where(removed < days - 0.01, removed, np.nan)
    return Friends(person, when, source, staff, order, store, removed)


def apply_joins(cfg: DemoConfig, persons: Persons, orders: Orders, friends: Friends, org: Org,
                rng: np.random.Generator) -> Orders:
    """Orders after the funnel: first orders of converted friends, pushed-back orders, private channel mix."""
    days, window = float(cfg.days), float(cfg.first_order_days)
    join = friends.join_day(persons.n)
    converts = np.zeros(persons.n, dtype=bool)
    converts[friends.person] = rng.random(friends.n) < cfg.first_order_rate
    j = join[orders.person]
    t = orders.t.copy()
    # non-converted friends do not order inside the window: push those orders past it
    inside = (t > j) & (t <= j + window) & ~converts[orders.person]
    t[inside] = j[inside] + window + rng.uniform(0.05, 3, int(inside.sum()))
    shifted = (t > j) & (rng.random(orders.n) < cfg.private_shift)
    # others try a store now and then, where the brand has one in their city
    to_store = persons.store_person[orders.person] | (org.local[orders.person] & (rng.random(orders.n) < 0.15))
    channel = np.where(shifted, np.where(to_store, STORE, MINI), orders.channel)
    base = Orders(orders.person, t, channel, orders.status, np.zeros(orders.n, bool), orders.account,
                  orders.walk_in, orders.store, orders.staff, orders.ship_delay, orders.with_card)
    # the first order of a converted friend, inside the window
    conv = np.flatnonzero(converts[friends.person])
    k = len(conv)
    f_person = friends.person[conv]
    f_t = np.minimum(friends.added[conv] + rng.uniform(0.05, window - 0.05, k), days - 0.001)
    f_channel = np.where((friends.source[conv] == QR_CODE) & (rng.random(k) < 0.5), STORE, MINI)
    extra = Orders(f_person, f_t, f_channel, np.full(k, PAID), np.ones(k, bool), np.zeros(k, np.int64),
                   np.zeros(k, bool), np.full(k, -1), np.full(k, -1), rng.uniform(0.3, 2, k),
                   rng.random(k) < cfg.card_share)
    merged = Orders(*(np.r_[getattr(base, f), getattr(extra, f)] for f in ("person", "t", "channel", "status",
                    "first_after_join", "account", "walk_in", "store", "staff", "ship_delay", "with_card")))
    keep = np.flatnonzero(merged.t < days - 0.001)
    merged = merged.take(keep)
    final = np.lexsort((merged.t, merged.person))
    _follow_orders(friends, keep[final], orders.n)
    return merged.take(final)


def _follow_orders(friends: Friends, origin: np.ndarray, n_before: int) -> None:
    """Point each friend's card or store order at its new index: `origin[i]` is the old index of order i, so
    a card's code and the order it was printed for stay the same order in the exports."""
    new_index = np.full(n_before, -1)
    old = origin < n_before
    new_index[origin[old]] = np.flatnonzero(old)
    friends.order = np.where(friends.order >= 0, new_index[np.maximum(friends.order, 0)], -1)


def assign_places(cfg: DemoConfig, persons: Persons, orders: Orders, friends: Friends, org: Org,
                  rng: np.random.Generator) -> None:
    """Which store sold each store order and which guide; walk-ins; which guide shared a mini-program order."""
    n = orders.n
    is_store = orders.channel == STORE
    home = org.home_store[orders.person]
    store = np.where(rng.random(n) < 0.9, home, rng.integers(0, org.n_stores, n))
    orders.store = np.where(is_store, store, -1)
    guide = org.guide_of(np.maximum(orders.store, 0), rng)
    orders.staff = np.where(is_store, guide, -1)
    # a store add follows a sale: the guide who served it adds the customer, in that store
    served = np.flatnonzero((friends.source == QR_CODE) & (friends.order >= 0))
    orders.store[friends.order[served]] = friends.store[served]
    orders.staff[friends.order[served]] = friends.staff[served]
    staff_of = np.full(persons.n, -1)
    staff_of[friends.person] = friends.staff
    sharer = staff_of[orders.person]
    joined = orders.t > friends.join_day(persons.n)[orders.person]
    share = (orders.channel == MINI) & joined & (sharer >= org.n_online) & (rng.random(n) < 0.5)
    orders.staff = np.where(share, sharer, orders.staff)
    orders.walk_in = is_store & (rng.random(n) < cfg.walk_in_share) & ~orders.first_after_join
    multi = rng.random(persons.n) < cfg.multi_account_share
    orders.account = (multi[orders.person] & (rng.random(n) < 0.4)).astype(np.int64)
