"""The errors real person records carry, each a small function of a value and a random generator."""

from __future__ import annotations

import datetime as dt
import random

from pypinyin import lazy_pinyin

from siyu.demo import gazetteer as gz
from siyu.domain.zh_places import province_short
from siyu.identity.dedupe.names import NICKNAMES

_SHORT: dict[str, list[str]] = {}
for _short, _full in NICKNAMES.items():
    if _short != _full:
        _SHORT.setdefault(_full, []).append(_short)
_TITLES_EN = ["mr", "mrs", "ms", "dr", "miss", "prof"]
_HOMOPHONE = {c: g for g in gz.HOMOPHONES for c in g}
_EMOJI = ["🌸", "🌹", "✨", "💕", "😊", "🍀", "⭐"]
_TAGS = ["VIP", "老客", "宝妈", "新客", "VIP2"]
_SHOP_PHONES = ["18888888888", "13800138000", "13888888888"]
_KEYBOARD = "qwertyuiopasdfghjklzxcvbnm"


def typo(text: str, rng: random.Random) -> str:
    """One character inserted, deleted, replaced or two swapped (Chinese: a homophone)."""
    if not text:
        return text
    cjk = [i for i, c in enumerate(text) if c in _HOMOPHONE]
    if cjk:
        i = rng.choice(cjk)
        return text[:i] + rng.choice([c for c in _HOMOPHONE[text[i]] if c != text[i]] or [text[i]]) + text[i + 1:]
    if not text.isascii() or len(text) < 3:
        return text
    i = rng.randrange(1, len(text))
    kind = rng.randrange(4)
    if kind == 0:
        return text[:i] + rng.choice(_KEYBOARD) + text[i:]
    if kind == 1:
        return text[:i] + text[i + 1:]
    if kind == 2:
        return text[:i] + rng.choice(_KEYBOARD) + text[i + 1:]
    return text[:i - 1] + text[i] + text[i - 1] + text[i + 1:]


def english_nickname(given: str, rng: random.Random) -> str:
    return rng.choice(_SHORT[given]) if given in _SHORT else given


def english_title(name: str, rng: random.Random) -> str:
    return f"{rng.choice(_TITLES_EN)} {name}" if rng.random() < 0.8 else f"{name} jr"


def year_only(dob: dt.date) -> str:
    return str(dob.year)


def bad_date(dob: dt.date, rng: random.Random) -> str:
    """A date no calendar has: 30 February, month 13, or digits run together wrongly."""
    return rng.choice([f"{dob.year}-02-30", f"{dob.year}{13 + dob.month % 3:02d}{dob.day:02d}",
                       f"{dob.year}-{dob.month:02d}-{32 + dob.day % 3}"])


def swap_day_month(dob: dt.date) -> str:
    return f"{dob.year}-{dob.day:02d}-{dob.month:02d}" if dob.day <= 12 else dob.isoformat()


def fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def phone_format(phone: str, rng: random.Random) -> str:
    """The same mobile as people type it: +86, 86-, dashes, spaces, or full-width digits."""
    return rng.choice([f"+86 {phone}", f"86-{phone}", f"{phone[:3]}-{phone[3:7]}-{phone[7:]}",
                       f"{phone[:3]} {phone[3:7]} {phone[7:]}", fullwidth(phone), f"+86-{phone}"])


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:]


def mask_name(surname: str, given: str, rng: random.Random) -> str:
    """张** (Tmall), 张* (Douyin), or 张*丽 (some shops keep the last character)."""
    kind = rng.randrange(3)
    if kind == 0:
        return surname + "*" * len(given)
    if kind == 1:
        return surname + "*"
    return surname + "*" + given[-1] if len(given) >= 2 else surname + "*"


def chinese_short(surname: str, rng: random.Random) -> str:
    """What staff call someone whose full name they never typed: 小张, 阿陈, 张姐, 崔小姐, 李总."""
    return rng.choice([f"小{surname}", f"阿{surname}", f"{surname}姐", f"{surname}小姐", f"{surname}先生",
                       f"{surname}女士", f"{surname}总"])


def remark(name: str, surname: str, city: str, rng: random.Random) -> str:
    """A WeCom remark or display name: VIP-刘欣妍, 王叶-宝妈, 张姐-深圳, 🌸刘欣妍, 黎桂蕾(老客)."""
    kind = rng.randrange(6)
    if kind == 0:
        return f"{rng.choice(_TAGS)}-{name}"
    if kind == 1:
        return f"{name}-{rng.choice(_TAGS)}"
    if kind == 2:
        return f"{surname}姐-{city.removesuffix('市')}"
    if kind == 3:
        return f"{rng.choice(_EMOJI)}{name}{rng.choice(_EMOJI)}"
    if kind == 4:
        return f"{name}({rng.choice(['老客', '宝妈', '同事介绍'])})"
    return rng.choice(gz.NICKNAMES)  # a display name that says nothing


def pinyin(name: str, rng: random.Random) -> str:
    """高金婷 → gaojinting / Gao Jinting / Jinting Gao (surname is the first character here)."""
    syl = lazy_pinyin(name)
    sur, given = syl[0], "".join(syl[1:])
    return rng.choice([sur + given, f"{sur.title()} {given.title()}", f"{given.title()} {sur.title()}"])


def space_in_name(name: str) -> str:
    return name[0] + " " + name[1:] if len(name) >= 2 else name


def short_province(province: str) -> str:
    return province_short(province) or province


def shop_phone(rng: random.Random) -> str:
    return rng.choice(_SHOP_PHONES)
