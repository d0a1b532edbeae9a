"""Render clean people as records of one schema, with the errors of one profile, reproducibly from a seed."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from siyu.corpus import errors as e
from siyu.corpus.people import Person, chinese_people, demo_people, english_people
from siyu.corpus.profiles import PROFILES, Profile
from siyu.errors import UserError

Record = dict[str, str | None]
CHANNELS = ["tmall", "jd", "douyin", "wecom", "miniprogram", "store"]
_CHANNEL_ZH = {"tmall": "天猫", "jd": "京东", "douyin": "抖音", "wecom": "企业微信", "miniprogram": "小程序",
               "store": "门店"}


def _maybe(value: str | None, rate: float, rng: random.Random) -> str | None:
    """The value, or empty at `rate` (a field the record does not have)."""
    return None if value is None or rng.random() < rate else value


def _dob(p: Person, prof: Profile, rng: random.Random, fmt: str = "%Y-%m-%d") -> str:
    r = rng.random()
    if r < prof.year_only:
        return e.year_only(p.dob)
    if r < prof.year_only + prof.bad_date:
        return e.bad_date(p.dob, rng)
    if r < prof.year_only + prof.bad_date + prof.swap_day_month:
        return e.swap_day_month(p.dob)
    return p.dob.strftime(fmt)


def _en_names(p: Person, prof: Profile, rng: random.Random) -> tuple[str, str]:
    given, surname = p.given, p.surname
    if rng.random() < prof.nickname:
        given = e.english_nickname(given, rng)
    if rng.random() < prof.typo:
        given = e.typo(given, rng)
    if rng.random() < prof.typo:
        surname = e.typo(surname, rng)
    if rng.random() < prof.swap_names:
        given, surname = surname, given
    return given, surname


def febrl(p: Person, _: int, prof: Profile, rng: random.Random) -> Record:
    """FEBRL's columns and kinds of error."""
    given, surname = _en_names(p, prof, rng)
    if rng.random() < prof.title:
        given = e.english_title(given, rng)
    phone = p.phone if rng.random() >= prof.other_phone else f"0{rng.randrange(2, 9)} {rng.randrange(10**8):08d}"
    return {
        "given_name": _maybe(given, prof.missing, rng), "surname": _maybe(surname, prof.missing, rng),
        "street_number": _maybe(p.extra["street_number"], prof.missing, rng),
        "address_1": _maybe(e.typo(p.address, rng) if rng.random() < prof.typo else p.address, prof.missing, rng),
        "suburb": _maybe(e.typo(p.city, rng) if rng.random() < prof.typo else p.city, prof.missing, rng),
        "postcode": _maybe(p.postcode, prof.missing, rng), "state": _maybe(p.state, prof.missing, rng),
        "date_of_birth": _maybe(_dob(p, prof, rng, "%Y%m%d"), prof.missing, rng),
        "soc_sec_id": _maybe(p.extra["ssn"], prof.missing * 2, rng), "phone_number": _maybe(phone, prof.missing, rng),
    }


def mislabeled(p: Person, _: int, prof: Profile, rng: random.Random) -> Record:
    """Columns whose names mislead: the full name under a surname-like header, the surname under 'family'."""
    given, surname = _en_names(p, prof, rng)
    full = f"{given} {surname}"
    if rng.random() < prof.title:
        full = e.english_title(full, rng)
    phone = p.phone if rng.random() >= prof.other_phone else f"0{rng.randrange(2, 9)} {rng.randrange(10**8):08d}"
    return {
        "first_and_surname": _maybe(full, prof.missing, rng), "family": _maybe(p.surname, prof.missing * 3, rng),
        "birth": _maybe(_dob(p, prof, rng, "%d/%m/%Y"), prof.missing, rng),
        "town": _maybe(p.city, prof.missing, rng), "mobile": _maybe(phone, prof.missing, rng),
        "email": _maybe(p.email, prof.missing, rng),
    }


def _zh_name(p: Person, channel: str, prof: Profile, rng: random.Random) -> str | None:
    name = p.name
    if rng.random() < prof.typo:
        name = e.typo(name, rng)
    if channel in ("tmall", "douyin") and rng.random() < prof.masked:
        return e.mask_name(p.surname, p.given, rng)
    if channel == "wecom" and rng.random() < prof.remark:
        return e.remark(name, p.surname, p.city, rng)
    if channel == "store" and rng.random() < prof.nickname * 2:
        return e.chinese_short(p.surname, rng)
    r = rng.random()
    if r < prof.pinyin:
        return e.pinyin(name, rng)
    if r < prof.pinyin + prof.space_in_name:
        return e.space_in_name(name)
    if r < prof.pinyin + prof.space_in_name + prof.title:
        return f"{name}{rng.choice(['女士', '先生', '(老客)'])}"
    return name


def _zh_phone(p: Person, channel: str, prof: Profile, rng: random.Random) -> str | None:
    if channel == "store" and rng.random() < prof.placeholder_phone:
        return e.shop_phone(rng)
    phone = p.phone if rng.random() >= prof.other_phone else f"{p.phone[:3]}{rng.randrange(10**8):08d}"
    if channel in ("tmall", "douyin") and rng.random() < prof.masked:
        return e.mask_phone(phone)
    if channel == "wecom" and rng.random() < 0.5:
        return None  # most WeCom friends carry no phone
    return e.phone_format(phone, rng) if rng.random() < prof.phone_format else phone


def _zh_places(p: Person, channel: str, prof: Profile, rng: random.Random) -> tuple[str, str, str | None, str]:
    province, city = p.state, p.city
    if channel == "jd" or rng.random() < prof.short_place / 3:
        if rng.random() < prof.short_place:
            province = e.short_province(province)
        if rng.random() < prof.short_place:
            city = city.removesuffix("市")
    address = e.typo(p.address, rng) if rng.random() < prof.typo else p.address
    return province, city, p.district, address


def zh_channels(p: Person, i: int, prof: Profile, rng: random.Random) -> Record:
    """A Chinese multi-channel customer table (姓名/手机/省/市/区/详细地址/…): each record one channel's view."""
    channel = CHANNELS[i % len(CHANNELS)]
    province, city, district, address = _zh_places(p, channel, prof, rng)
    has_address = channel not in ("wecom",) or rng.random() < 0.2
    card = p.member_card if channel in ("store", "miniprogram") else None
    return {
        "姓名": _zh_name(p, channel, prof, rng), "手机": _zh_phone(p, channel, prof, rng),
        "省": _maybe(province, prof.missing, rng) if has_address else None,
        "市": _maybe(city, prof.missing, rng) if has_address else None,
        "区": _maybe(district, prof.missing, rng) if has_address else None,
        "详细地址": _maybe(address, prof.missing, rng) if has_address and channel != "store" else None,
        "邮箱": _maybe(p.email, prof.missing, rng) if channel in ("miniprogram", "jd") else None,
        "生日": _maybe(_dob(p, prof, rng), prof.missing, rng) if channel in ("miniprogram", "store") else None,
        "来源渠道": _CHANNEL_ZH[channel], "会员卡号": _maybe(card, prof.missing, rng),
    }


def demo_lines(p: Person, i: int, prof: Profile, rng: random.Random) -> Record:
    """The demo brand's people as one-line addresses (收货地址-style) under English headers."""
    channel = CHANNELS[(i * 5) % len(CHANNELS)]
    province, city, district, address = _zh_places(p, channel, prof, rng)
    sep = " " if channel == "jd" or province != p.state or city != p.city else ""
    return {
        "customer": _zh_name(p, channel, prof, rng), "tel": _zh_phone(p, channel, prof, rng),
        "ship_to": _maybe(sep.join(x for x in (province, city, district or "", address) if x), prof.missing, rng),
        "dob": _maybe(_dob(p, prof, rng, "%Y/%m/%d"), prof.missing * 4, rng),
        "mail": _maybe(p.email, prof.missing, rng),
    }


Render = Callable[[Person, int, Profile, random.Random], Record]
#: schema → (renderer, clean people it renders)
SCHEMAS: dict[str, tuple[Render, str]] = {
    "febrl": (febrl, "english"), "mislabeled": (mislabeled, "english"), "zh_channels": (zh_channels, "chinese"),
    "demo_lines": (demo_lines, "demo"),
}


def _people(kind: str, n: int, rng: random.Random, prof: Profile, seed: int) -> list[Person]:
    if kind == "english":
        return english_people(n, rng, prof.households)
    if kind == "chinese":
        return chinese_people(n, rng, prof.households)
    return demo_people(n, seed)


def make_corpus(schema: str, profile: str, persons: int = 1000, seed: int = 7) -> pa.Table:
    """`persons` clean people of `schema`'s kind, each seen 1 + k times with `profile`'s errors; columns `rec_id`,
    the schema's own, and `truth` (the person)."""
    if schema not in SCHEMAS:
        raise UserError(f"unknown corpus schema {schema!r}; one of {', '.join(SCHEMAS)}")
    if profile not in PROFILES:
        raise UserError(f"unknown corpus profile {profile!r}; one of {', '.join(PROFILES)}")
    render, kind = SCHEMAS[schema]
    prof = PROFILES[profile]
    rng = random.Random(f"{schema}/{profile}/{seed}")
    rows: list[Record] = []
    for p in _people(kind, persons, rng, prof, seed):
        n = 1 + (rng.randint(1, prof.max_extra) if rng.random() < prof.duplicates else 0)
        first = rng.randrange(len(CHANNELS))
        rows += [{**render(p, first + k, prof, rng), "truth": p.key} for k in range(n)]
    rng.shuffle(rows)
    columns = list(rows[0])
    data: dict[str, list[str | None]] = {"rec_id": [f"r{i:07d}" for i in range(len(rows))]}
    data |= {c: [r[c] for r in rows] for c in columns}
    return pa.table({c: pa.array(v, pa.string()) for c, v in data.items()})


def write_corpus(path: Path, schema: str, profile: str, persons: int = 1000, seed: int = 7) -> int:
    """Write the corpus as CSV; returns the number of records."""
    table = make_corpus(schema, profile, persons, seed)
    pacsv.write_csv(table, path)
    return table.num_rows
