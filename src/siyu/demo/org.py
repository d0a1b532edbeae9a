"""The brand's own side: offline stores and the staff (store shopping guides and online service accounts)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from siyu.demo.config import DemoConfig
from siyu.demo.persons import Persons, district_places
from siyu.demo.text import concat, ints, pick, timestamps

GUIDES_PER_STORE = 3


@dataclass
class Org:
    n_stores: int
    store_district: np.ndarray
    store_id: pa.Array
    store_phone: pa.Array  # the store's own number, typed at the till for walk-ins
    n_online: int
    staff_id: pa.Array  # online service staff first, then guides store by store
    staff_store: np.ndarray  # store index of each staff member, -1 online
    staff_quality: np.ndarray  # how well a staff member's chats land (scales reply rates)
    home_store: np.ndarray  # per person: the store they would visit
    local: np.ndarray  # per person: the brand has a store in their city
    tables: dict[str, pa.Table]

    def guide_of(self, store: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """A random guide of each given store (staff index)."""
        return self.n_online + store * GUIDES_PER_STORE + rng.integers(0, GUIDES_PER_STORE, len(store))

    def online_staff(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return rng.integers(0, self.n_online, n)


def make_org(cfg: DemoConfig, persons: Persons, rng: np.random.Generator) -> Org:
    places = district_places()
    n_stores = int(np.clip(persons.n // 4000, 3, 300))
    n_online = int(np.clip(persons.n // 5000, 2, 200))
    # stores open where customers live: the district of a random customer
    store_district = persons.district_idx[rng.integers(0, persons.n, n_stores)]
    cities = {(p[0], p[1]): i for i, p in enumerate(dict.fromkeys((p[0], p[1]) for p in places))}
    city_of = np.array([cities[(p[0], p[1])] for p in places])
    store_city = city_of[store_district]
    order = np.argsort(store_city, kind="stable")
    sorted_city = store_city[order]
    person_city = city_of[persons.district_idx]
    lo = np.searchsorted(sorted_city, person_city, "left")
    hi = np.searchsorted(sorted_city, person_city, "right")
    pick_local = lo + np.floor(rng.random(persons.n) * np.maximum(hi - lo, 1)).astype(np.int64)
    home = np.where(hi > lo, order[np.minimum(pick_local, n_stores - 1)], rng.integers(0, n_stores, persons.n))
    store_id = concat("MD", ints(np.arange(1, n_stores + 1), 4))
    area, number = rng.integers(10, 99, n_stores), rng.integers(10_000_000, 99_999_999, n_stores)
    store_phone = concat("0", ints(area), ints(number))
    n_staff = n_online + n_stores * GUIDES_PER_STORE
    staff_store = np.r_[np.full(n_online, -1), np.repeat(np.arange(n_stores), GUIDES_PER_STORE)]
    staff_id = pa.concat_arrays([
        concat("KF", ints(np.arange(1, n_online + 1), 3)),
        concat("DG", ints(np.arange(1, n_stores * GUIDES_PER_STORE + 1), 4)),
    ])
    names = persons.name.take(pa.array(rng.integers(0, persons.n, n_staff)))
    stores = pa.table({
        "store_id": store_id,
        "name": concat(
            "丝语", pick([p[1] for p in places], store_district), pick([p[2] for p in places], store_district), "店"
        ),
        "province": pick([p[0] for p in places], store_district),
        "city": pick([p[1] for p in places], store_district),
        "district": pick([p[2] for p in places], store_district),
        "opened_at": timestamps(cfg.start, -rng.uniform(100, 2000, n_stores).round()),
    })
    staff = pa.table({
        "staff_id": staff_id, "name": names,
        "store_id": pa.concat_arrays(
            [pa.nulls(n_online, pa.string()), store_id.take(pa.array(staff_store[n_online:]))]
        ),
        "role": pick(["客服", "导购"], (staff_store >= 0).astype(np.int64)),
        "joined_at": timestamps(cfg.start, -rng.uniform(30, 1500, n_staff).round()),
    })
    quality = np.clip(rng.normal(1.0, 0.12, n_staff), 0.6, 1.3)
    return Org(n_stores, store_district, store_id, store_phone, n_online, staff_id, staff_store, quality, home,
               hi > lo, {"stores": stores, "staff": staff})


def store_people(cfg: DemoConfig, org: Org, rng: np.random.Generator) -> np.ndarray:
    """Who mostly shops in a store: `store_person_share` of all persons, drawn among those with a store of the
    brand in their city (someone who buys mostly offline lives near a store, not in a city the brand has none)."""
    share = min(1.0, cfg.store_person_share / max(float(org.local.mean()), 1e-9))
    return org.local & (rng.random(len(org.local)) < share)

