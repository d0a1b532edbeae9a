"""The demo brand's people: who they really are (the ground truth every channel identity points to).

All attributes are numpy/Arrow columns drawn in one go; per-sighting noise (typos, changed phones) is
applied later, when a channel shows the person.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from siyu.demo import gazetteer as gz
from siyu.demo.config import DemoConfig
from siyu.demo.text import concat, dates, ints, pick, random_tokens, with_nulls

# One character list for given names and their homophones; ALT maps a character to a sound-alike.
_GIVEN = list(dict.fromkeys(gz.GIVEN_FEMALE + gz.GIVEN_MALE + [c for g in gz.HOMOPHONES for c in g]))
_FEMALE = np.array([_GIVEN.index(c) for c in dict.fromkeys(gz.GIVEN_FEMALE)])
_MALE = np.array([_GIVEN.index(c) for c in dict.fromkeys(gz.GIVEN_MALE)])
_ALT = np.arange(len(_GIVEN))
for _group in gz.HOMOPHONES:
    for _i, _c in enumerate(_group):
        _ALT[_GIVEN.index(_c)] = _GIVEN.index(_group[(_i + 1) % len(_group)])
_HAS_ALT = np.arange(len(_GIVEN)) != _ALT

_DISTRICTS = [(p, c, d, w / len(ds)) for p, c, ds, w in gz.PLACES for d in ds]
PERSONA_GROUPS = ["白领群", "宝妈群", "单身群"]


@dataclass
class Persons:
    n: int
    key: pa.Array  # person_key: the ground truth id
    surname: pa.Array
    given_len: np.ndarray
    name: pa.Array
    name_typo: pa.Array  # the same name with one homophone swapped (equal to name when none applies)
    gender: np.ndarray  # 'f' / 'm'
    birthday: pa.Array
    age: np.ndarray
    province: pa.Array
    city: pa.Array
    district: pa.Array
    district_idx: np.ndarray
    street: pa.Array
    phone: pa.Array
    phone2: pa.Array  # a later number (changed phone); null for most
    phone_change: np.ndarray  # day the phone changed (inf when it never did)
    email: pa.Array
    persona: np.ndarray  # index into PERSONA_GROUPS
    material_pref: np.ndarray
    store_person: np.ndarray  # shops mostly offline
    fan: np.ndarray  # KOC-like fan
    nickname: pa.Array

    def table(self) -> pa.Table:
        """The ground-truth person table (kept apart from what the pipeline sees)."""
        return pa.table({
            "person_key": self.key, "name": self.name, "gender": pa.array(self.gender),
            "birthday": self.birthday, "phone": self.phone, "phone2": self.phone2,
            "email": self.email, "province": self.province, "city": self.city, "district": self.district,
            "address": self.street, "persona": pick(PERSONA_GROUPS, self.persona),
            "store_person": pa.array(self.store_person), "fan": pa.array(self.fan),
        })


def _phones(rng: np.random.Generator, n: int) -> pa.Array:
    prefix = np.array(gz.MOBILE_PREFIXES, dtype=np.int64)[rng.integers(0, len(gz.MOBILE_PREFIXES), n)]
    return ints(prefix * 100_000_000 + rng.integers(0, 100_000_000, n))


def _names(rng: np.random.Generator, n: int, female: np.ndarray) -> tuple[pa.Array, np.ndarray, pa.Array, pa.Array]:
    weights = np.array([w for _, w in gz.SURNAMES])
    surname = pick([s for s, _ in gz.SURNAMES], rng.choice(len(weights), n, p=weights / weights.sum()))
    pool_f, pool_m = _FEMALE, _MALE
    g1 = np.where(female, pool_f[rng.integers(0, len(pool_f), n)], pool_m[rng.integers(0, len(pool_m), n)])
    g2 = np.where(female, pool_f[rng.integers(0, len(pool_f), n)], pool_m[rng.integers(0, len(pool_m), n)])
    given_len = np.where(rng.random(n) < 0.7, 2, 1)
    empty = len(_GIVEN)
    words = [*_GIVEN, ""]
    g2 = np.where(given_len == 2, g2, empty)
    name = concat(surname, pick(words, g1), pick(words, g2))
    # the typo swaps the last given character that has a sound-alike (or the name stays as it is)
    alt_g1, alt_g2 = _ALT[g1], np.where(g2 == empty, empty, _ALT[np.minimum(g2, empty - 1)])
    use_g2 = (g2 != empty) & _HAS_ALT[np.minimum(g2, empty - 1)]
    typo = concat(surname, pick(words, np.where(use_g2, g1, alt_g1)), pick(words, np.where(use_g2, alt_g2, g2)))
    return surname, given_len, name, typo


def make_persons(cfg: DemoConfig, rng: np.random.Generator) -> Persons:
    n = cfg.persons
    female = rng.random(n) < 0.85
    surname, given_len, name, typo = _names(rng, n, female)
    age = np.clip(rng.gamma(9.0, 3.6, n) + 2, 18, 65).astype(np.int64)
    end_year_days = (cfg.end - cfg.start).days
    birth_offset = -(age * 365.25 + rng.integers(0, 365, n)) + end_year_days
    weights = np.array([w for *_, w in _DISTRICTS])
    d_idx = rng.choice(len(_DISTRICTS), n, p=weights / weights.sum())
    street = concat(
        pick(gz.STREETS, rng.integers(0, len(gz.STREETS), n)), ints(rng.integers(1, 999, n)), "号",
        pick(gz.COMMUNITIES, rng.integers(0, len(gz.COMMUNITIES), n)), ints(rng.integers(1, 30, n)), "栋",
        ints(rng.integers(1, 6, n)), "单元", ints(rng.integers(1, 33, n) * 100 + rng.integers(1, 5, n)), "室",
    )
    phone = _phones(rng, n)
    # shared family phones: some persons use a relative's number
    family = rng.random(n) < cfg.family_phone_share
    partner = (np.arange(n) + 1 + rng.integers(0, max(1, n - 1), n)) % n
    phone = pc.if_else(pa.array(family), phone.take(pa.array(partner)), phone)
    changed = rng.random(n) < cfg.changed_phone_share
    phone2 = with_nulls(_phones(rng, n), ~changed)
    phone_change = np.where(changed, rng.uniform(0.2, 0.9, n) * cfg.days, np.inf)
    email = with_nulls(
        concat(random_tokens(rng, n, 8), "@", pick(gz.EMAIL_DOMAINS, rng.integers(0, len(gz.EMAIL_DOMAINS), n))),
        rng.random(n) >= cfg.email_share,
    )
    mother = female & (age >= 27) & (age <= 42) & (rng.random(n) < 0.45)
    persona = np.where(mother, 1, np.where(age < 28, 2, 0))
    mat_w = np.array([0.35, 0.35, 0.22, 0.08])
    return Persons(
        n=n,
        key=concat("P", ints(np.arange(1, n + 1), 7)),
        surname=surname, given_len=given_len, name=name, name_typo=typo,
        gender=np.where(female, "f", "m"),
        birthday=dates(cfg.start, birth_offset), age=age,
        province=pick([d[0] for d in _DISTRICTS], d_idx), city=pick([d[1] for d in _DISTRICTS], d_idx),
        district=pick([d[2] for d in _DISTRICTS], d_idx), district_idx=d_idx, street=street,
        phone=phone, phone2=phone2, phone_change=phone_change, email=email, persona=persona,
        material_pref=rng.choice(4, n, p=mat_w),
        store_person=rng.random(n) < cfg.store_person_share,
        fan=rng.random(n) < cfg.fan_share,
        nickname=pick(gz.NICKNAMES, rng.integers(0, len(gz.NICKNAMES), n)),
    )


def district_places() -> list[tuple[str, str, str, float]]:
    """The flattened gazetteer (province, city, district, weight): stores are opened in these."""
    return list(_DISTRICTS)
