"""Manual tags imported from a list (a CSV of person ids or phones), kept in `manual_tag`.

The tags step adds them to person_tag, so they appear in has_tag() and in the tag history like any other.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow as pa

from siyu.engine import Engine
from siyu.errors import UserError
from siyu.segment.tables import MANUAL_TAG, ensure_tables, now


def read_list(path: Path, tag: str | None) -> list[tuple[int, str, str, str]]:
    """(row, key column, key, tag) for each data row; errors name the file, row and field."""
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        fields = [f.strip() for f in reader.fieldnames or []]
        key = next((k for k in ("person_id", "phone") if k in fields), None)
        if key is None:
            raise UserError(f"{path}: row 1: the header needs a 'person_id' or 'phone' column (has: {fields})")
        if tag is None and "tag" not in fields:
            raise UserError(f"{path}: row 1: no 'tag' column; add one or pass --tag NAME")
        rows: list[tuple[int, str, str, str]] = []
        for number, raw in enumerate(reader, start=2):
            row = {str(k).strip(): (v or "").strip() for k, v in raw.items() if k is not None}
            value, name = row.get(key, ""), tag or row.get("tag", "")
            if not value:
                raise UserError(f"{path}: row {number}: field '{key}' is empty")
            if not name:
                raise UserError(f"{path}: row {number}: field 'tag' is empty")
            rows.append((number, key, value, name))
    return rows


def import_tags(engine: Engine, path: Path, tag: str | None = None) -> tuple[int, list[str]]:
    """Add the listed persons' tags; returns (tags added, keys that matched no person). Idempotent."""
    ensure_tables(engine)
    rows = read_list(path, tag)
    if not rows:
        return 0, []
    key = rows[0][1]
    lookup = pa.table({"k": [r[2] for r in rows], "tag": [r[3] for r in rows]})
    found = engine.query(f"SELECT person_id, {key} AS k FROM person_profile").to_pylist()
    persons: dict[str, list[str]] = {}
    for r in found:
        persons.setdefault(str(r["k"]), []).append(str(r["person_id"]))
    have = {(r["person_id"], r["tag"]) for r in engine.query("SELECT person_id, tag FROM manual_tag").to_pylist()}
    stamp, new, unknown = now(), [], []
    for k, t in zip(lookup.column("k").to_pylist(), lookup.column("tag").to_pylist(), strict=True):
        if k not in persons:
            unknown.append(k)
            continue
        for pid in persons[k]:
            if (pid, t) not in have:
                have.add((pid, t))
                new.append({"person_id": pid, "tag": t, "source_file": path.name, "added_at": stamp})
    if new:
        engine.write_arrow("manual_tag", pa.Table.from_pylist(new, schema=MANUAL_TAG))
    return len(new), unknown
