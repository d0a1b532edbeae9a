"""Generate the demo brand: persons → orders → funnel → groups, messages, coupons, stored value → exports.

`generate(cfg)` is deterministic by `cfg.seed`: each stage draws from its own child generator, so the
same config always gives identical tables.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa

from siyu.demo.accounts import make_accounts
from siyu.demo.catalogue import build_catalogue
from siyu.demo.config import DemoConfig
from siyu.demo.exports import Shaper, iter_exports
from siyu.demo.funnel import apply_joins, assign_places, find_joins
from siyu.demo.orders import (
    Orders,
    apply_refunds,
    first_channels,
    make_lines,
    order_times,
    price_orders,
    statuses,
)
from siyu.demo.org import make_org, store_people
from siyu.demo.persons import make_persons
from siyu.demo.social import join_groups, make_messages
from siyu.demo.truth import realised_rates, truth_table
from siyu.demo.wallet import issue_coupons, stored_value
from siyu.demo.world import World


class DemoBrand:
    """The generated brand: what the channels export, and the ground truth kept apart from it.

    `exports` builds (and keeps) every export table; `iter_exports()` builds them one at a time without
    keeping them, which is how large demos stay within memory. Both give the same tables.
    """

    def __init__(self, config: DemoConfig, world: World) -> None:
        self.config = config
        self.world = world
        self.persons: pa.Table = world.persons.table()
        self.rates: dict[str, Any] = realised_rates(world)
        self._shaper = Shaper(world)
        self._exports: dict[str, pa.Table] | None = None
        self._truth: pa.Table | None = None

    def iter_exports(self) -> Iterator[tuple[str, pa.Table]]:
        return iter_exports(self._shaper)

    @property
    def exports(self) -> dict[str, pa.Table]:
        if self._exports is None:
            self._exports = dict(self.iter_exports())
        return self._exports

    @property
    def truth(self) -> pa.Table:
        """channel, channel_uid → person_key (null when several persons shared the id), n_persons."""
        if self._truth is None:
            self._truth = truth_table(self.world, self._shaper.all_sightings())
        return self._truth


def build_world(cfg: DemoConfig) -> World:
    def rng(stage: int) -> np.random.Generator:
        return np.random.default_rng([cfg.seed, stage])

    persons = make_persons(cfg, rng(1))
    accounts = make_accounts(persons, rng(2))
    org = make_org(cfg, persons, rng(3))
    persons.store_person = store_people(cfg, org, rng(9))
    catalogue = build_catalogue()
    r = rng(4)
    person, t = order_times(cfg, persons, r)
    channel = first_channels(cfg, persons, person, r)
    n = len(person)
    base = Orders(person, t, channel, statuses(cfg, channel, r), np.zeros(n, bool), np.zeros(n, np.int64),
                  np.zeros(n, bool), np.full(n, -1), np.full(n, -1), r.uniform(0.3, 2.0, n),
                  r.random(n) < cfg.card_share)
    r = rng(5)
    base.store = np.where(channel == 4, org.home_store[person], -1)
    friends = find_joins(cfg, persons, base, org, r)
    orders = apply_joins(cfg, persons, base, friends, org, r)
    assign_places(cfg, persons, orders, friends, org, r)
    r = rng(6)
    lines = make_lines(cfg, catalogue, persons, orders, r)
    price_orders(orders, lines, r)
    coupons = issue_coupons(cfg, friends, orders, lines, r)
    apply_refunds(cfg, orders, r)
    stored = stored_value(cfg, persons, friends, orders, r)
    groups = join_groups(cfg, persons, friends, org, rng(7))
    messages = make_messages(cfg, persons, friends, groups, org, rng(8))
    return World(cfg, persons, accounts, org, catalogue, orders, lines, friends, groups, messages, coupons, stored)


def generate(cfg: DemoConfig) -> DemoBrand:
    """Build the whole brand for `cfg` (deterministic by `cfg.seed`); exports are shaped on demand."""
    return DemoBrand(cfg, build_world(cfg))
