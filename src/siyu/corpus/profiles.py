"""Named error profiles: how often each kind of error happens to a record (a rate per record or per field).

`clean` is duplicates with almost no errors (a matcher's floor); `typical` is what a brand's own exports look
like; `hostile` is the bad day: masked platforms, staff remarks, shared phones, households, broken dates.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Profile:
    name: str
    duplicates: float = 0.6  # share of persons seen more than once
    max_extra: int = 3  # at most this many more records of one person
    households: float = 0.1  # share of persons living with another (shared address, often phone or card)
    missing: float = 0.05  # each optional field left empty
    typo: float = 0.05  # one character of a name or address wrong
    nickname: float = 0.05  # a short form of the given name (Bill; 小X/阿X or 张姐)
    title: float = 0.03  # a title or honorific inside the name (Dr, Mrs; 张先生)
    swap_names: float = 0.02  # given name and surname swapped
    year_only: float = 0.03  # a date of birth with only its year
    bad_date: float = 0.02  # an impossible date (1985-02-30, 19851345)
    swap_day_month: float = 0.02
    phone_format: float = 0.2  # +86, 86-, dashes, spaces, full-width digits
    other_phone: float = 0.03  # a different phone (changed number)
    masked: float = 0.5  # a platform record (Tmall, Douyin) shows 张** / 151****5091
    remark: float = 0.5  # a WeCom record shows a staff remark or a nickname instead of the name
    pinyin: float = 0.05  # a name written in pinyin (gaojinting)
    space_in_name: float = 0.03  # 付 欣丽
    short_place: float = 0.5  # 广东 深圳 (JD), city without 市
    placeholder_phone: float = 0.1  # a store record with the shop's 18888888888


CLEAN = Profile("clean", typo=0.0, nickname=0.0, title=0.0, swap_names=0.0, year_only=0.0, bad_date=0.0,
                swap_day_month=0.0, phone_format=0.0, other_phone=0.0, masked=0.0, remark=0.0, pinyin=0.0,
                space_in_name=0.0, short_place=0.0, placeholder_phone=0.0, households=0.0, missing=0.02)
TYPICAL = Profile("typical")
HOSTILE = replace(TYPICAL, name="hostile", households=0.2, missing=0.12, typo=0.15, nickname=0.15, title=0.1,
                  swap_names=0.05, year_only=0.1, bad_date=0.05, swap_day_month=0.05, phone_format=0.5,
                  other_phone=0.08, masked=0.8, remark=0.8, pinyin=0.12, space_in_name=0.08, short_place=0.9,
                  placeholder_phone=0.25)

PROFILES: dict[str, Profile] = {p.name: p for p in (CLEAN, TYPICAL, HOSTILE)}
