"""Which journeys a brand runs: those of the file `[journeys] file` (else siyu's defaults), plus the ones
defined through the API (kept in the store; a name defined there replaces the file's journey of that name)."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import sqlalchemy as sa
import tomli_w
from sqlalchemy import select

from siyu.engine import Engine
from siyu.errors import UserError
from siyu.journeys.definition import Journey, load_journeys, parse_journeys
from siyu.journeys.evaluate import check
from siyu.journeys.tables import definition


def defined(store: sa.Engine) -> list[Journey]:
    with store.connect() as conn:
        rows = conn.execute(select(definition).order_by(definition.c.name)).all()
    out: list[Journey] = []
    for r in rows:
        out += [j for j in parse_journeys(r.toml, f"journey {r.name} (defined by {r.user_name})") if j.name == r.name]
    return out


def all_journeys(store: sa.Engine, path: Path | None = None) -> list[Journey]:
    base = {j.name: j for j in load_journeys(path)}
    base.update({j.name: j for j in defined(store)})
    return list(base.values())


def define(store: sa.Engine, text: str, user_name: str, at: dt.datetime | None = None,
           warehouse: Engine | None = None) -> list[Journey]:
    """Validate TOML holding one or more [journeys.NAME] tables and store each; returns what was defined. With
    the published `warehouse`, what they name in the profile is checked first: a template field or predicate
    the profile lacks would otherwise be accepted here and stop every later `siyu run`."""
    found = parse_journeys(text, "the journey definition")
    if warehouse is not None:
        check(warehouse, found)
    at = at or dt.datetime.now(dt.UTC)
    data = tomllib.loads(text)["journeys"]
    with store.begin() as conn:
        for j in found:
            if len(j.name) > 64:
                raise UserError(f"journey name {j.name[:80]!r}: at most 64 characters")
            one = tomli_w.dumps({"journeys": {j.name: data[j.name]}})
            conn.execute(definition.delete().where(definition.c.name == j.name))
            conn.execute(definition.insert().values(name=j.name, toml=one, user_name=user_name, updated_at=at))
    return found
