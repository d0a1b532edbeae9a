"""Which tables siyu.toml may hold, and one way to validate a table and say what is wrong with it.

The core tables ([engine], [brand], [channels], [import]) are typed in settings.py; each later layer types its
own table ([identity], [clv], [metrics], [profile], [tags], [store]) and validates it with `validated`, so every
problem reads the same: the file, the dotted key, what is wrong and, for a misspelt name, the nearest valid one.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from siyu.errors import UserError, nearest_name

CORE_TABLES = ("engine", "brand", "channels", "import")
LAYER_TABLES = (
    "identity", "clv", "metrics", "profile", "tags", "store", "loyalty", "journeys", "guides", "koc", "referrals",
)
TOP_KEYS = ("warehouse",)

M = TypeVar("M", bound=BaseModel)


class ConfigError(UserError):
    """A siyu.toml that cannot be used; the message names the file and the key."""


def nearest(name: str, valid: Iterable[str]) -> str:
    """`; did you mean 'x'?` for the closest valid name, or nothing when none is close."""
    near = nearest_name(name, valid)
    return f"; did you mean '{near}'?" if near else ""


def check_timezone(name: str) -> str:
    """The name when it is an IANA time zone this machine knows; else a ValueError saying what is expected."""
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise UserError(f"unknown time zone '{name}' (an IANA name such as 'Asia/Shanghai')") from None
    return name


def _field_names(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def _model_at(model: type[BaseModel], loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The model a key path leads into ([metrics] targets → HealthTargets), None past a non-model field."""
    current: type[BaseModel] = model
    for part in loc:
        fields = {f.alias or n: f for n, f in current.model_fields.items()}
        field = fields.get(str(part))
        ann = field.annotation if field else None
        if not (isinstance(ann, type) and issubclass(ann, BaseModel)):
            return None
        current = ann
    return current


def problems(exc: ValidationError, model: type[BaseModel], section: str = "") -> str:
    """Each error as `section.key: what is wrong`, with the nearest valid name for an unknown key."""
    out = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        key = ".".join(str(p) for p in (section, *loc) if p != "")
        if err["type"] == "extra_forbidden":
            parent = _model_at(model, loc[:-1])
            hint = nearest(str(loc[-1]), _field_names(parent)) if parent else ""
            out.append(f"{key}: unknown key{hint}")
        else:
            msg = str(err["msg"]).removeprefix("Value error, ")
            out.append(f"{key}: {msg}")
    return "; ".join(out)


def where(source: Path | None) -> str:
    return str(source) if source else "siyu.toml"


def validated(model: type[M], data: dict[str, Any], section: str, source: Path | None) -> M:
    """The table `section` of siyu.toml as `model`; a ConfigError naming the file and each bad key otherwise."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where(source)}: [{section}] must be a table")
    try:
        return model(**data)
    except ValidationError as exc:
        raise ConfigError(f"{where(source)}: {problems(exc, model, section)}") from None


def check_top_level(data: dict[str, Any], source: Path | None) -> None:
    """Refuse a table or key siyu.toml has no use for (`[brnad]`: did you mean 'brand'?)."""
    tables = (*CORE_TABLES, *LAYER_TABLES)
    for key, value in data.items():
        if isinstance(value, dict) and key not in tables:
            raise ConfigError(f"{where(source)}: unknown table [{key}]{nearest(key, tables)}")
        if not isinstance(value, dict) and key not in TOP_KEYS:
            raise ConfigError(f"{where(source)}: unknown top-level key '{key}'{nearest(key, (*TOP_KEYS, *tables))}")
