"""The columns of persons and identities as people see them: masked unless the reader unmasks (siyu.domain)."""

from __future__ import annotations

from siyu.domain.masking import masked_address_sql, masked_name_sql, masked_phone_sql


def pii(column: str, kind: str, unmask: bool, alias: str | None = None) -> str:
    """`column` as-is when unmasked, else through the domain's SQL mask for `kind` (phone, name, address)."""
    name = alias or column.rsplit(".", 1)[-1]
    if unmask:
        return f"{column} AS {name}"
    mask = {"phone": masked_phone_sql, "name": masked_name_sql, "address": masked_address_sql}[kind]
    return f"{mask(column)} AS {name}"
