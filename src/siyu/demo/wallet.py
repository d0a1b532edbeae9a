"""Coupons and stored value: the ¥10 / 30-day welcome coupon and stored-value top-ups with their spends."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from siyu.demo.config import DemoConfig
from siyu.demo.funnel import Friends
from siyu.demo.orders import MINI, PAID, PARTIAL, REFUNDED, STORE, Lines, Orders, segment_starts
from siyu.demo.persons import Persons

MIN_SPEND = 99.0


@dataclass
class Coupons:
    person: np.ndarray
    staff: np.ndarray
    issued: np.ndarray
    expires: np.ndarray
    redeemed: np.ndarray  # day, nan when not redeemed
    order: np.ndarray  # redeeming order, -1 none

    @property
    def n(self) -> int:
        return len(self.person)


@dataclass
class StoredValue:
    person: np.ndarray
    kind: np.ndarray  # 'topup' | 'bonus' | 'spend'
    amount: np.ndarray
    t: np.ndarray
    channel: np.ndarray  # channel whose member id holds the balance (store or mini-program)
    store: np.ndarray
    staff: np.ndarray


def first_per_person(person: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The first of `rows` (indices, in (person, time) order) for each person."""
    _, at = np.unique(person[rows], return_index=True)
    return rows[at]


def issue_coupons(cfg: DemoConfig, friends: Friends, orders: Orders, lines: Lines, rng: np.random.Generator) -> Coupons:
    """Welcome coupons for new friends; the first eligible mini-program order inside 30 days redeems most."""
    days = float(cfg.days)
    got = rng.random(friends.n) < cfg.coupon_rate
    issued = friends.added + rng.uniform(0.01, 1.0, friends.n)
    got &= issued < days - 0.01
    person, staff, issued = friends.person[got], friends.staff[got], issued[got]
    expires = issued + cfg.coupon_days
    holder = np.full(int(orders.person.max()) + 1 if orders.n else 0, -1)
    holder[person] = np.arange(len(person))
    c = holder[orders.person]
    ok = (c >= 0) & (orders.channel == MINI) & np.isin(orders.status, [PAID, REFUNDED, PARTIAL]) \
        & (orders.gross >= MIN_SPEND)
    ok[ok] &= (orders.t[ok] >= issued[c[ok]]) & (orders.t[ok] <= expires[c[ok]])
    first = first_per_person(orders.person, np.flatnonzero(ok))
    first = first[rng.random(len(first)) < cfg.coupon_redeem_rate]
    redeemed = np.full(len(person), np.nan)
    order = np.full(len(person), -1)
    redeemed[c[first]] = orders.t[first]
    order[c[first]] = first
    orders.coupon = np.full(orders.n, -1)
    orders.coupon[first] = c[first]
    orders.discount[first] += cfg.coupon_value
    orders.paid[first] = np.round(orders.paid[first] - cfg.coupon_value, 2)
    first_line = np.flatnonzero(lines.line_no == 1)
    hit = first_line[np.isin(lines.order[first_line], first)]
    lines.amount[hit] = np.round(np.maximum(lines.amount[hit] - cfg.coupon_value, 0), 2)
    return Coupons(person, staff, issued, expires, redeemed, order)


def stored_value(cfg: DemoConfig, persons: Persons, friends: Friends, orders: Orders,
                 rng: np.random.Generator) -> StoredValue:
    """Top-ups by `stored_value_rate` of the private domain (about 2× an order), then spends until used up."""
    join = friends.join_day(persons.n)
    member = ((orders.channel == MINI) | (orders.channel == STORE)) & (orders.status == PAID) \
        & (orders.t > join[orders.person]) & ~orders.walk_in
    rows = np.flatnonzero(member)
    first = first_per_person(orders.person, rows)
    eligible = len(first)
    chance = min(1.0, cfg.stored_value_rate * friends.n / max(eligible, 1))
    top = first[rng.random(eligible) < chance]
    who = orders.person[top]
    # top-up tiers averaging about twice an order (DOMAIN.md: a top-up is ~2× the average order)
    amount = rng.choice([300.0, 500.0, 1000.0, 2000.0], len(top), p=[0.45, 0.4, 0.12, 0.03])
    amount = np.where(persons.fan[who], 5000.0, amount)
    bonus = np.where(amount >= 500, amount * 0.1, 0.0)
    t_top = orders.t[top] - rng.uniform(0.001, 0.01, len(top))
    # spends: the person's later member orders draw the balance down
    balance = np.zeros(persons.n)
    balance[who] = amount + bonus
    since = np.full(persons.n, np.inf)
    since[who] = t_top
    spend_rows = rows[orders.t[rows] >= since[orders.person[rows]]]
    spend_person = orders.person[spend_rows]
    cum = np.cumsum(orders.paid[spend_rows])
    start = segment_starts(spend_person)
    before = cum - orders.paid[spend_rows] - np.r_[0.0, cum][start]
    spend = np.clip(balance[spend_person] - before, 0, orders.paid[spend_rows])
    used = spend > 0
    spend_rows, spend = spend_rows[used], spend[used]
    top_channel = np.full(persons.n, -1)
    top_channel[who] = orders.channel[top]
    n_bonus = int((bonus > 0).sum())
    return StoredValue(
        person=np.r_[who, who[bonus > 0], orders.person[spend_rows]],
        kind=np.r_[np.full(len(top), "topup"), np.full(n_bonus, "bonus"), np.full(len(spend_rows), "spend")],
        amount=np.round(np.concatenate([amount, bonus[bonus > 0], spend]), 2),
        t=np.r_[t_top, t_top[bonus > 0] + 1e-5, orders.t[spend_rows] + 1e-5],
        channel=np.r_[orders.channel[top], orders.channel[top][bonus > 0], top_channel[orders.person[spend_rows]]],
        store=np.r_[orders.store[top], orders.store[top][bonus > 0], orders.store[spend_rows]],
        staff=np.r_[orders.staff[top], orders.staff[top][bonus > 0], orders.staff[spend_rows]],
    )
