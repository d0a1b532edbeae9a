"""Mainland mobile numbers as exports write them, and what a masked or shared number still says.

- `+86 138-1234-5678`, `86-13812345678`, `0086 13812345678`, `１３８１２３４５６７８` are one number.
- `151****5091` (Tmall, Douyin) keeps its first 3 and last 4 digits: partial evidence that can confirm a
  match made on other grounds, never decide one alone (two strangers share them one time in 10^7 per pair,
  but a city of a million shares them often).
- A placeholder (18888888888, 13800138000, 11111111111) is the shop's number typed for walk-ins: it is
  recognised by its shape, and in data by how many distinct names hold it (`shared_phones_sql`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from siyu.domain.zh_text import nfkc

_MOBILE = re.compile(r"1[3-9]\d{9}")
_MASKED = re.compile(r"1\d{2}\*+\d{4}")
#: numbers shops type for customers who give none; also any number with at most two distinct digits after 1
PLACEHOLDERS = frozenset({"13800138000", "13888888888", "18888888888", "13999999999", "12345678901",
                          "13012345678", "13800000000", "18800000000", "15000000000"})
#: a phone held by at least this many distinct names is a shared (shop or family-of-many) number
SHARED_NAMES = 4


@dataclass(frozen=True)
class Phone:
    """What a phone cell says: the full number, or the prefix/suffix a mask left; placeholder numbers say nothing."""

    full: str | None
    prefix: str | None
    suffix: str | None
    masked: bool
    placeholder: bool = False


def national_digits(text: str | None) -> str:
    """Digits and stars of the number without a +86 / 0086 / 86- country prefix."""
    digits = re.sub(r"[^0-9*]", "", nfkc(text or "") or "")
    if digits.startswith("0086"):
        return digits[4:]
    if digits.startswith("86") and len(digits) == 13:
        return digits[2:]
    return digits


def is_placeholder(number: str) -> bool:
    """A number no person owns: a known shop default, or one digit repeated (13333333333, 18888888888)."""
    return number in PLACEHOLDERS or len(set(number[3:])) <= 1


def parse_phone(text: str | None) -> Phone:
    n = national_digits(text)
    if _MOBILE.fullmatch(n):
        if is_placeholder(n):
            return Phone(None, None, None, False, placeholder=True)
        return Phone(n, n[:3], n[-4:], False)
    if _MASKED.fullmatch(n):
        return Phone(None, n[:3], n[-4:], True)
    return Phone(None, None, None, False)


def known_phone(full: str | None, prefix: str | None, suffix: str | None) -> str | None:
    """The number as far as it is known: the full number, else the 3 + 4 digits a platform's mask left, written
    as platforms write them (151****5091); None when neither is there."""
    if full is not None:
        return full
    return f"{prefix}****{suffix}" if prefix is not None and suffix is not None else None


def known_phone_sql(full: str, prefix: str, suffix: str) -> str:
    """`known_phone` in SQL."""
    return f"coalesce({full}, {prefix} || '****' || {suffix})"


_WIDE_DIGITS = "".join(chr(0xFF10 + i) for i in range(10)) + "＊"


def national_sql(col: str) -> str:
    """SQL: the digits and stars of `col` without the country prefix (full-width digits folded first; only the
    eleven characters a phone needs are translated, which keeps it as fast as before on a million rows)."""
    digits = f"regexp_replace(translate(coalesce({col}, ''), '{_WIDE_DIGITS}', '0123456789*'), '[^0-9*]', '', 'g')"
    return (f"CASE WHEN {digits} LIKE '0086%' THEN substr({digits}, 5) "
            f"WHEN {digits} LIKE '86%' AND length({digits}) = 13 THEN substr({digits}, 3) ELSE {digits} END")


def placeholder_sql(number: str) -> str:
    """SQL: true when the full number `number` is a placeholder by shape (see `is_placeholder`)."""
    known = ", ".join(f"'{p}'" for p in sorted(PLACEHOLDERS))
    return f"({number} IN ({known}) OR regexp_matches(substr({number}, 4), '^(0+|1+|2+|3+|4+|5+|6+|7+|8+|9+)$'))"


def phone_parts_sql(col: str, placeholders: bool = False) -> dict[str, str]:
    """SQL for a phone column: `phone` (full), `phone_prefix`, `phone_suffix`, `phone_masked`; a placeholder is no
    phone unless `placeholders` (the warehouse keeps it, for the identity step to set aside as a super-key)."""
    national = national_sql(col)
    mobile = f"regexp_matches({national}, '^1[3-9][0-9]{{9}}$')"
    masked = f"regexp_matches({national}, '^1[0-9]{{2}}[*]+[0-9]{{4}}$')"
    real = mobile if placeholders else f"({mobile} AND NOT {placeholder_sql(national)})"
    usable = f"({real} OR {masked})"
    return {
        "phone": f"CASE WHEN {real} THEN {national} END",
        "phone_prefix": f"CASE WHEN {usable} THEN substr({national}, 1, 3) END",
        "phone_suffix": f"CASE WHEN {usable} THEN right({national}, 4) END",
        "phone_masked": f"coalesce({masked}, false)",
    }


def shared_phones_sql(table: str, phone: str, name: str, min_names: int = SHARED_NAMES) -> str:
    """SQL: the phones of `table` held by at least `min_names` distinct names (shop numbers, not a person's)."""
    return (f"SELECT {phone} AS phone FROM {table} WHERE {phone} IS NOT NULL AND {name} IS NOT NULL "
            f"GROUP BY {phone} HAVING count(DISTINCT {name}) >= {int(min_names)}")
