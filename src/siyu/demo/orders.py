"""Orders from a heterogeneous buy-till-you-die process, their channels, lines, amounts and refunds.

Each person makes a first purchase at a random day, then repeat purchases as a Poisson process with their
own rate λ ~ Gamma(r, θ) and, after each purchase, drops out for good with their own probability
p ~ Beta(a, b) (BG/NBD-like). θ is calibrated so the average person makes `orders_per_person` orders.
Everything is numpy over whole columns: no loop over persons.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from siyu.demo.catalogue import CATEGORIES, MATERIALS, STYLES, Catalogue
from siyu.demo.config import DemoConfig
from siyu.demo.persons import Persons
from siyu.domain.channels import CHANNELS as DOMAIN_CHANNELS

CHANNELS = [c for c in DOMAIN_CHANNELS if c != "wecom"]  # the channels orders come from, by index code
TMALL, JD, DOUYIN, MINI, STORE = range(5)
STATUSES = ["paid", "pending", "closed", "refunded", "partially_refunded"]
PAID, PENDING, CLOSED, REFUNDED, PARTIAL = range(5)


@dataclass
class Orders:
    """One entry per order, sorted by (person, time). Times are fractional days since `cfg.start`."""

    person: np.ndarray
    t: np.ndarray
    channel: np.ndarray
    status: np.ndarray
    first_after_join: np.ndarray  # the order a new friend placed within the first-order window
    account: np.ndarray  # 0/1: which of a person's platform accounts placed it
    walk_in: np.ndarray  # store sale without a member card
    store: np.ndarray  # store index, -1 online
    staff: np.ndarray  # selling guide (store) or sharing guide (mini-program), -1 none
    ship_delay: np.ndarray  # days from order to parcel shipped (online orders)
    with_card: np.ndarray  # the parcel carried a package card
    gross: np.ndarray = field(default_factory=lambda: np.zeros(0))
    discount: np.ndarray = field(default_factory=lambda: np.zeros(0))
    paid: np.ndarray = field(default_factory=lambda: np.zeros(0))
    refund: np.ndarray = field(default_factory=lambda: np.zeros(0))
    refunded_at: np.ndarray = field(default_factory=lambda: np.zeros(0))
    coupon: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # coupon index, -1 none

    @property
    def n(self) -> int:
        return len(self.person)

    def take(self, idx: np.ndarray) -> Orders:
        return Orders(*(getattr(self, f)[idx] if len(getattr(self, f)) else getattr(self, f)
                        for f in self.__dataclass_fields__))


@dataclass
class Lines:
    order: np.ndarray  # index into Orders
    line_no: np.ndarray  # 1, 2, … within the order
    sku: np.ndarray
    qty: np.ndarray
    price: np.ndarray  # list price
    amount: np.ndarray  # paid for this line (order discount spread over lines)


def segment_starts(group: np.ndarray) -> np.ndarray:
    """Index of the first row of each run of equal values in a sorted array, repeated for every row."""
    start = np.r_[True, group[1:] != group[:-1]]
    return np.maximum.accumulate(np.where(start, np.arange(len(group)), 0))


def _repeat_counts(
    rng: np.random.Generator, lam: np.ndarray, p: np.ndarray, span: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(repeat purchases before the period ends or the person drops out, purchases without dropout)."""
    k = rng.poisson(lam * span)
    g = rng.geometric(np.clip(p, 1e-6, 1.0)) - 1
    return np.minimum(k, g), k


def _calibrate(cfg: DemoConfig, span: np.ndarray, shape: float) -> float:
    """The Gamma scale θ that gives the configured mean number of orders (a few rounds on a sample)."""
    rng = np.random.default_rng([cfg.seed, 99])
    m = min(len(span), 20_000)
    sample_span = span[:m]
    g = rng.gamma(shape, 1.0, m)
    p = rng.beta(cfg.dropout_a, cfg.dropout_b, m)
    theta = (cfg.orders_per_person - 1) / max(1e-9, float(np.mean(g * sample_span)))
    for _ in range(12):
        repeats, _ = _repeat_counts(np.random.default_rng([cfg.seed, 98]), g * theta, p, sample_span)
        mean = 1 + repeats.mean()
        theta *= min(4.0, (cfg.orders_per_person - 1) / max(1e-9, mean - 1))
    return float(min(theta, 1.0))  # no one buys more than about daily on average


def order_times(cfg: DemoConfig, persons: Persons, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(person, day) of every order, sorted by person then day."""
    n, days = persons.n, float(cfg.days)
    t0 = rng.uniform(0, days * 0.97, n)
    span = days - t0
    theta = _calibrate(cfg, span, cfg.rate_shape_r)
    lam = rng.gamma(cfg.rate_shape_r, theta, n)
    p = rng.beta(cfg.dropout_a, cfg.dropout_b, n)
    lam = np.where(persons.fan, 15 / 365.0, lam)  # fans: about 15 orders a year, and they stay
    p = np.where(persons.fan, 0.0, p)
    m, k = _repeat_counts(rng, lam, p, span)
    m = np.minimum(m, 2_000)  # a guard against absurd configurations, never reached with sane rates
    # the first m of k sorted uniforms on (t0, end]: exponential spacings, normalised by a Gamma tail
    person = np.repeat(np.arange(n), m)
    spacing = rng.exponential(1.0, len(person))
    cum = np.cumsum(spacing)
    ends = np.cumsum(m)
    before = np.r_[0.0, cum][ends - m]
    within = cum - np.repeat(before, m)
    total = within[ends[m > 0] - 1]
    tail = rng.gamma(np.maximum(k - m + 1, 1)[m > 0], 1.0)
    scale = np.repeat(total + tail, m[m > 0])
    t_rep = np.repeat(t0, m) + within / scale * np.repeat(span, m)
    all_person = np.r_[np.arange(n), person]
    all_t = np.r_[t0, t_rep]
    order = np.lexsort((all_t, all_person))
    return all_person[order], all_t[order]


def first_channels(cfg: DemoConfig, persons: Persons, person: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Channels before anyone joins the private domain: a main public platform, or the store for store people."""
    n = persons.n
    mix = np.array(cfg.public_channel_mix) / sum(cfg.public_channel_mix)
    main = rng.choice(3, n, p=mix)
    size = len(person)
    other = rng.choice(3, size, p=mix)
    channel = np.where(rng.random(size) < 0.8, main[person], other)
    store_sale = persons.store_person[person] & (rng.random(size) < 0.7)
    channel = np.where(store_sale, STORE, channel)
    return np.where(rng.random(size) < 0.03, MINI, channel)


def statuses(cfg: DemoConfig, channel: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    u = rng.random(len(channel))
    cuts = np.cumsum([cfg.pending_rate, cfg.closed_rate, cfg.refund_rate, cfg.partial_refund_rate])
    status = np.select([u < cuts[0], u < cuts[1], u < cuts[2], u < cuts[3]], [PENDING, CLOSED, REFUNDED, PARTIAL], PAID)
    # a till sale is paid on the spot and refunded whole (退货) or not at all
    status = np.where((channel == STORE) & ((status == PENDING) | (status == CLOSED)), PAID, status)
    return np.where((channel == STORE) & (status == PARTIAL), REFUNDED, status)


def make_lines(cfg: DemoConfig, cat: Catalogue, persons: Persons, orders: Orders, rng: np.random.Generator) -> Lines:
    """Order lines: category by popularity, material mostly the person's favourite, quantity 1–3."""
    fan = persons.fan[orders.person]
    u = rng.random(orders.n)
    n_lines = 1 + (u < cfg.multi_line_share) + (u < cfg.multi_line_share / 4) + 2 * fan
    order = np.repeat(np.arange(orders.n), n_lines)
    size = len(order)
    line_no = np.arange(size) - segment_starts(order) + 1
    cat_w = np.array([c[3] for c in CATEGORIES])
    mat_w = np.array([m[3] for m in MATERIALS])
    sty_w = np.array([s[3] for s in STYLES])
    c = rng.choice(len(cat_w), size, p=cat_w / cat_w.sum())
    pref = persons.material_pref[orders.person[order]]
    m = np.where(rng.random(size) < 0.7, pref, rng.choice(len(mat_w), size, p=mat_w / mat_w.sum()))
    m = np.where(fan[order] & (rng.random(size) < 0.5), 3, m)
    s = rng.choice(len(sty_w), size, p=sty_w / sty_w.sum())
    sku = cat.index(c, m, s)
    qty = rng.choice([1, 2, 3], size, p=[0.7, 0.22, 0.08]) * np.where(fan[order], 3, 1)
    price = cat.price[sku]
    return Lines(order, line_no, sku, qty.astype(np.int64), price, price * qty)


def price_orders(orders: Orders, lines: Lines, rng: np.random.Generator) -> None:
    """Gross, discount and paid amount per order; each line's paid amount shares the order's discount."""
    gross = np.bincount(lines.order, weights=lines.amount, minlength=orders.n)
    public = orders.channel <= DOUYIN
    promo = rng.choice([0.0, 0.1, 0.2, 0.3], orders.n, p=[0.4, 0.3, 0.2, 0.1])
    member = rng.choice([0.0, 0.05, 0.1, 0.15], orders.n, p=[0.3, 0.3, 0.3, 0.1])
    rate = np.where(public, promo, member)
    orders.gross = gross
    orders.discount = np.round(gross * rate, 2)
    orders.paid = np.round(gross - orders.discount, 2)
    lines.amount = np.round(lines.amount * (1 - rate[lines.order]), 2)


def apply_refunds(cfg: DemoConfig, orders: Orders, rng: np.random.Generator) -> None:
    partial = rng.uniform(0.2, 0.6, orders.n)
    share = np.where(orders.status == REFUNDED, 1.0, np.where(orders.status == PARTIAL, partial, 0.0))
    orders.refund = np.round(orders.paid * share, 2)
    orders.refunded_at = np.where(share > 0, orders.t + rng.uniform(2, 15, orders.n), np.nan)
    orders.refunded_at = np.where(orders.refunded_at > cfg.days - 0.01, cfg.days - 0.01, orders.refunded_at)
