"""Read the source mappings (`siyu/ingest/sources/*.toml`): the contract the demo's exports follow.

The demo writes each export with the headers a mapping accepts (the first alias of each field) and, in
direct mode, maps values (statuses, add sources …) exactly as the importer would, so both paths agree.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any


def _read(name: str) -> dict[str, Any]:
    text = (resources.files("siyu.ingest") / "sources" / f"{name}.toml").read_text(encoding="utf-8")
    data: dict[str, Any] = tomllib.loads(text)
    return data


@cache
def source_spec(name: str) -> dict[str, Any]:
    """The parsed mapping of a built-in source (fields, targets, channel, maps)."""
    return _read(name)


@cache
def value_maps(name: str) -> dict[str, dict[str, str]]:
    """The shared value maps plus the source's own, as the importer combines them."""
    maps: dict[str, dict[str, str]] = {k: dict(v) for k, v in _read("_statuses").get("maps", {}).items()}
    for key, values in source_spec(name).get("maps", {}).items():
        maps.setdefault(key, {}).update(values)
    return maps


def headers(name: str) -> list[tuple[str, str, str]]:
    """(field, header, type) to write for a source: each field's first alias, each header once."""
    out: list[tuple[str, str, str]] = []
    used: set[str] = set()
    for field, spec in source_spec(name)["fields"].items():
        header = spec["headers"][0]
        if header in used:
            continue
        used.add(header)
        out.append((field, header, spec["type"]))
    return out
