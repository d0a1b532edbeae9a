"""Mappings: which headers of a channel's export feed which columns of which raw tables.

A mapping is a TOML file (built-in ones live in `sources/`, a user passes their own with `--mapping`).
It is checked fully when loaded, so a typo in a mapping is reported before any file is read, naming the
mapping file and the field. `docs/import-mappings.md` describes the format.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pyarrow as pa

from siyu.errors import UserError, nearest_name
from siyu.ingest.meta import META_NAMES
from siyu.schema.tables import RAW_TABLES

SOURCES_DIR = Path(__file__).parent / "sources"
STATUSES_FILE = SOURCES_DIR / "_statuses.toml"

FIELD_TYPES: dict[str, str] = {
    "id": "identifier: trimmed text; Excel's =\"…\" wrapper, a trailing .0 and tab/apostrophe prefixes removed",
    "text": "trimmed text; empty means missing",
    "datetime": "a date and time in the usual forms, Excel serials and Unix epochs",
    "date": "a date in the same forms as datetime",
    "birthday": "a date, or a month and day without a year (05-12, 5月12日, --05-12: kept as birth_month/birth_day)",
    "amount": "money: ¥/￥ and spaces stripped, thousands separators every 3 digits, at most 2 decimals; "
              "(12.50) or -12.50 negative",
    "int": "a whole number",
    "bool": "是/否, Y/N, yes/no, true/false, 1/0",
    "map": "a value translated through a value map ([maps.NAME])",
    "address": "a full address split into province, city, district and the rest",
}
ADDRESS_PARTS: tuple[str, ...] = ("province", "city", "district")
BIRTHDAY_PARTS: tuple[str, ...] = ("birth_month", "birth_day")
_FIELD_KEYS = {"headers", "type", "required", "map", "fallback", "override"}
_TOP_KEYS = {"source", "channel", "description", "fields", "targets", "maps", "encoding"}
_TARGET_KEYS = {"table", "fields"}
# The columns a row of each raw table cannot exist without: a mapping must fill them, and a row missing one is
# rejected whole. Any other bad value is left empty and noted in the quarantine.
ESSENTIAL: dict[str, tuple[str, ...]] = {
    "raw_order": ("order_id", "channel_uid", "created_at", "amount_paid"),
    "raw_order_item": ("order_id",),
    "raw_identity": ("channel_uid",),
    "raw_contact": ("staff_id", "external_userid"),
    "raw_group": ("group_id",),
    "raw_group_event": ("group_id", "member_id", "event", "event_at"),
    "raw_message": ("message_id",),
    "raw_parcel": ("parcel_id",),
    "raw_coupon": ("coupon_id",),
    "raw_stored_value": ("txn_id",),
    "raw_product": ("sku",),
    "raw_staff": ("staff_id",),
    "raw_store": ("store_id",),
}


class MappingError(UserError):
    """A mapping file is wrong: the message names the file and the entry to fix."""


def _nearest(word: str, allowed: set[str] | list[str]) -> str:
    """`; did you mean X?` for a misspelt name, with the full list of allowed names."""
    close = nearest_name(word, sorted(allowed))
    hint = f"did you mean {close!r}? " if close else ""
    return f"{hint}allowed: {', '.join(sorted(allowed))}"


def _unknown(where: str, what: str, keys: set[str], allowed: set[str]) -> None:
    unknown = sorted(keys - allowed)
    if unknown:
        raise MappingError(f"{where}: {what} has unknown key {unknown[0]!r}; {_nearest(unknown[0], allowed)}")


def _text(where: str, key: str, value: Any, optional: bool = True) -> str | None:
    """A setting that must be text (or absent)."""
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value.strip():
        raise MappingError(f"{where}: {key} must be non-empty text in quotes, not {value!r}")
    return value


@dataclass(frozen=True)
class FieldSpec:
    """One logical field of an export: the headers it may appear under and how to parse it."""

    name: str
    headers: tuple[str, ...]
    type: str
    required: bool = False
    map: str | None = None
    fallback: str | None = None
    override: str | None = None


@dataclass(frozen=True)
class Target:
    """A raw table filled from the export, and which fields (= its column names) go into it."""

    table: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class Mapping:
    source: str
    channel: str | None
    description: str
    fields: dict[str, FieldSpec]
    targets: tuple[Target, ...]
    maps: dict[str, dict[str, str]]
    path: Path
    encoding: str | None = None  # the files' text encoding when detection must not decide

    def outputs(self) -> list[str]:
        """Column names the parsed batch carries: every field, plus the parts address fields split into."""
        names = list(self.fields)
        if any(f.type == "address" for f in self.fields.values()):
            names += [p for p in ADDRESS_PARTS if p not in self.fields]
        if any(f.type == "birthday" for f in self.fields.values()):
            names += [p for p in BIRTHDAY_PARTS if p not in self.fields]
        return names


@dataclass(frozen=True)
class SourceInfo:
    name: str
    description: str
    tables: tuple[str, ...] = field(default_factory=tuple)


def normalise_header(text: str) -> str:
    """Headers match after trimming spaces, BOMs, full-width spaces and tabs, ignoring ASCII case."""
    return text.replace("\ufeff", "").replace("\u3000", " ").strip().strip('"').strip().lower()


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise MappingError(f"mapping file {path} not found") from None
    except IsADirectoryError:
        raise MappingError(f"mapping file {path} is a folder; pass the .toml file itself") from None
    except PermissionError:
        raise MappingError(f"mapping file {path} cannot be read (permission denied)") from None
    except UnicodeDecodeError:
        raise MappingError(f"mapping file {path} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"mapping file {path} is not valid TOML: {exc}") from None


def shared_maps() -> dict[str, dict[str, str]]:
    """The value maps every source may use (`sources/_statuses.toml`)."""
    data = _read_toml(STATUSES_FILE)
    return {name: {str(k): str(v) for k, v in entries.items()} for name, entries in data.get("maps", {}).items()}


def list_sources() -> list[SourceInfo]:
    """The built-in sources, for `siyu import --help` and error messages."""
    out = []
    for path in sorted(SOURCES_DIR.glob("*.toml")):
        if path.name.startswith("_"):
            continue
        data = _read_toml(path)
        tables = tuple(str(t.get("table", "")) for t in data.get("targets", []))
        out.append(SourceInfo(path.stem, str(data.get("description", "")), tables))
    return out


def load_mapping(source: str | Path) -> Mapping:
    """A built-in source by name (`tmall`), or a mapping file path (anything ending in .toml)."""
    text = str(source)
    if isinstance(source, Path) or text.endswith(".toml") or "/" in text or "\\" in text:
        return parse_mapping(_read_toml(Path(text)), Path(text))
    path = SOURCES_DIR / f"{text}.toml"
    if text.startswith("_") or not path.exists():
        known = ", ".join(s.name for s in list_sources())
        raise MappingError(f"unknown source {text!r}; built-in sources: {known} (or pass --mapping my.toml)")
    return parse_mapping(_read_toml(path), path)


def _field(where: str, name: str, spec: Any) -> FieldSpec:
    if not isinstance(spec, dict):
        raise MappingError(f"{where}: field {name!r} must be a table like {{ headers = [...], type = \"text\" }}")
    where = f"{where}: field {name!r}"
    _unknown(where, "it", set(spec), _FIELD_KEYS)
    headers = spec.get("headers", [name])
    if isinstance(headers, str):
        headers = [headers]
    if not isinstance(headers, list) or not headers or not all(isinstance(h, str) and h.strip() for h in headers):
        raise MappingError(f"{where} needs `headers`, a list of non-empty header names")
    kind = spec.get("type", "text")
    if not isinstance(kind, str) or kind not in FIELD_TYPES:
        raise MappingError(f"{where} has unknown type {kind!r}; {_nearest(str(kind), list(FIELD_TYPES))}")
    required = spec.get("required", False)
    if not isinstance(required, bool):
        raise MappingError(f"{where}: required must be true or false (without quotes), not {required!r}")
    map_name = _text(where, "map", spec.get("map"))
    if kind == "map" and not map_name:
        raise MappingError(f"{where} is of type map but names no `map`")
    return FieldSpec(
        name=name,
        headers=tuple(headers),
        type=kind,
        required=required,
        map=map_name,
        fallback=_text(where, "fallback", spec.get("fallback")),
        override=_text(where, "override", spec.get("override")),
    )


def parse_mapping(data: dict[str, Any], path: Path) -> Mapping:
    """Build and check a mapping from parsed TOML; every problem names `path` and the entry."""
    where = f"mapping {path}"
    _unknown(where, "the mapping", set(data), _TOP_KEYS)
    source = _text(where, "source", data.get("source")) or path.stem
    for key in ("description", "encoding"):
        _text(where, key, data.get(key))
    raw_fields = data.get("fields")
    if not isinstance(raw_fields, dict) or not raw_fields:
        raise MappingError(f"{where}: needs a [fields] table with at least one field")
    fields = {name: _field(where, name, spec) for name, spec in raw_fields.items()}
    maps = shared_maps()
    raw_maps = data.get("maps") or {}
    if not isinstance(raw_maps, dict):
        raise MappingError(f"{where}: maps must be tables [maps.NAME] of \"exported value\" = \"stored value\"")
    for name, entries in raw_maps.items():
        if not isinstance(entries, dict) or not all(isinstance(v, str) for v in entries.values()):
            raise MappingError(f"{where}: [maps.{name}] must be a table of \"exported value\" = \"stored value\"")
        maps[name] = {**maps.get(name, {}), **{str(k): str(v) for k, v in entries.items()}}
    for spec in fields.values():
        if spec.type == "map" and spec.map not in maps:
            raise MappingError(
                f"{where}: field {spec.name!r} uses unknown map {spec.map!r}; known maps: {', '.join(sorted(maps))}"
            )
        for option in ("fallback", "override"):
            other = getattr(spec, option)
            if other is not None and other not in fields:
                raise MappingError(f"{where}: field {spec.name!r} has {option} {other!r}, which is not a field; "
                                   f"{_nearest(other, list(fields))}")
    channel = _text(where, "channel", data.get("channel"))
    mapping = Mapping(
        source=source,
        channel=channel,
        description=str(data.get("description", "")),
        fields=fields,
        targets=(),
        maps=maps,
        path=path,
        encoding=_text(where, "encoding", data.get("encoding")),
    )
    raw_targets = data.get("targets") or []
    if not isinstance(raw_targets, list):
        raise MappingError(f"{where}: targets must be [[targets]] entries (table and fields)")
    targets = tuple(_target(where, t, mapping) for t in raw_targets)
    if not targets:
        raise MappingError(f"{where}: needs at least one [[targets]] entry (table and fields)")
    essential = {name for t in targets for name in ESSENTIAL.get(t.table, ()) if name in fields}
    fields = {n: replace(f, required=True) if n in essential else f for n, f in fields.items()}
    return Mapping(**{**mapping.__dict__, "fields": fields, "targets": targets})


def _fits(kind: str, column_type: pa.DataType) -> bool:
    """Whether values of a field type can be stored in a column of this type unchanged."""
    if kind == "birthday":
        return bool(pa.types.is_date(column_type))
    if kind in ("id", "text", "map", "address"):
        return bool(pa.types.is_string(column_type))
    checks = {
        "datetime": pa.types.is_timestamp, "date": pa.types.is_date, "amount": pa.types.is_decimal,
        "int": pa.types.is_integer, "bool": pa.types.is_boolean,
    }
    return bool(checks[kind](column_type))


def _target(where: str, entry: Any, mapping: Mapping) -> Target:
    if not isinstance(entry, dict) or "table" not in entry:
        raise MappingError(f"{where}: each [[targets]] needs `table` and `fields`")
    _unknown(where, "a [[targets]] entry", set(entry), _TARGET_KEYS)
    table = _text(where, "table", entry["table"], optional=False) or ""
    if table not in RAW_TABLES:
        raise MappingError(f"{where}: unknown target table {table!r}; {_nearest(table, list(RAW_TABLES))}")
    columns = [c for c in RAW_TABLES[table].names if c not in META_NAMES]
    outputs = set(mapping.outputs())
    raw_names = entry.get("fields") or []
    if not isinstance(raw_names, list) or not all(isinstance(n, str) for n in raw_names):
        raise MappingError(f"{where}: target {table}: fields must be a list of field names in quotes")
    names = tuple(raw_names)
    if not names:
        raise MappingError(f"{where}: target {table} lists no fields")
    for name in names:
        if name not in columns:
            raise MappingError(f"{where}: target {table} has no column {name!r}; {_nearest(name, columns)}")
        if name not in outputs:
            raise MappingError(f"{where}: target {table} uses {name!r}, which is not a field of this mapping")
        kind = mapping.fields[name].type if name in mapping.fields else "text"
        column_type = RAW_TABLES[table].field(name).type
        if not _fits(kind, column_type):
            raise MappingError(
                f"{where}: field {name!r} has type {kind}, but {table}.{name} holds {column_type}; "
                f"use a type that fits ({', '.join(k for k in FIELD_TYPES if _fits(k, column_type))})"
            )
    missing = [c for c in ESSENTIAL.get(table, ()) if c not in names]
    if missing:
        raise MappingError(
            f"{where}: target {table} must fill {', '.join(missing)}: a {table} row cannot exist without "
            f"{', '.join(ESSENTIAL[table])}"
        )
    return Target(table=table, fields=names)
