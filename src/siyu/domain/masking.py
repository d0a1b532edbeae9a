"""How personal data is masked in everything meant for people (DOMAIN.md "Masked phone", "Masked name").

- Phone: an 11-digit mobile shows its first 3 and last 4 digits (138****5678; one a platform exported masked that
  way stays as it is); any other length shows only its last 2 digits, every other character starred (a 7-digit
  number must not show 7 of 7 digits).
- Name: the first character, the rest starred (王丽华 → 王**); a one-character name is all starred.
- Address: the detail line is starred whole (province, city and district are separate, unmasked columns).
- Email: the first character of the local part, then ***, then the domain.

The SQL forms mask inside the engine, before a row leaves it; tests check they agree with the Python forms.
"""

from __future__ import annotations

import re

_MOBILE = re.compile(r"^1\d{2}(\d{4}|\*{4})\d{4}$")  # a mobile, or one the platform already masked: 138****5678


def mask_phone(phone: str | None) -> str | None:
    if phone is None:
        return None
    text = str(phone)
    if _MOBILE.fullmatch(text):
        return text[:3] + "****" + text[-4:]
    if len(text) <= 2:
        return "*" * len(text)
    return "*" * (len(text) - 2) + text[-2:]


def mask_name(name: str | None) -> str | None:
    if name is None:
        return None
    if len(name) <= 1:
        return "*" * len(name)
    return name[0] + "*" * (len(name) - 1)


def mask_address(address: str | None) -> str | None:
    return None if address is None else "****"


def mask_email(email: str | None) -> str | None:
    if email is None:
        return None
    local, at, domain = email.partition("@")
    return (local[:1] + "***" + at + domain) if at else mask_name(email)


def masked_phone_sql(col: str) -> str:
    """`mask_phone` in SQL (DuckDB dialect)."""
    mobile = "'^1[0-9]{2}([0-9]{4}|[*]{4})[0-9]{4}$'"  # with the length test: Java's $ also matches before a \n
    return (f"CASE WHEN {col} IS NULL THEN NULL "
            f"WHEN length({col}) = 11 AND regexp_matches({col}, {mobile}) "
            f"THEN substr({col}, 1, 3) || '****' || right({col}, 4) "
            f"WHEN length({col}) <= 2 THEN repeat('*', length({col})) "
            f"ELSE repeat('*', length({col}) - 2) || right({col}, 2) END")


def masked_name_sql(col: str) -> str:
    """`mask_name` in SQL (DuckDB dialect)."""
    return (f"CASE WHEN {col} IS NULL THEN NULL WHEN length({col}) <= 1 THEN repeat('*', length({col})) "
            f"ELSE substr({col}, 1, 1) || repeat('*', length({col}) - 1) END")


def masked_address_sql(col: str) -> str:
    """`mask_address` in SQL."""
    return f"CASE WHEN {col} IS NULL THEN NULL ELSE '****' END"
