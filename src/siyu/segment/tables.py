"""The tables the segment layer owns: saved segments, member snapshots per run, manual tags."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from siyu.engine import Engine

SEGMENT = pa.schema([
    ("name", pa.string()), ("expression", pa.string()), ("description", pa.string()),
    ("created_at", pa.timestamp("us")), ("updated_at", pa.timestamp("us")),
    ("source", pa.string()),  # NULL: saved here (`siyu segment save`); "service": copied from `siyu serve`'s store
])
SEGMENT_MEMBER = pa.schema([
    ("segment", pa.string()), ("run_id", pa.string()), ("person_id", pa.string()), ("as_of", pa.date32()),
    ("snapshot_at", pa.timestamp("us")),
])
SEGMENT_SNAPSHOT = pa.schema([
    ("segment", pa.string()), ("run_id", pa.string()), ("as_of", pa.date32()), ("snapshot_at", pa.timestamp("us")),
    ("members", pa.int64()), ("entered", pa.int64()), ("exited", pa.int64()),
    ("skipped", pa.string()),  # why this run did not snapshot the segment (then members are NULL)
])
MANUAL_TAG = pa.schema([
    ("person_id", pa.string()), ("tag", pa.string()), ("source_file", pa.string()), ("added_at", pa.timestamp("us")),
])
PERSON_TAG = pa.schema([("person_id", pa.string()), ("person_key", pa.int64()), ("tag", pa.string()),
                        ("family", pa.string()), ("source", pa.string())])

OWN_TABLES = {"segment": SEGMENT, "segment_member": SEGMENT_MEMBER, "segment_snapshot": SEGMENT_SNAPSHOT,
              "manual_tag": MANUAL_TAG}


def ensure_tables(engine: Engine) -> None:
    for name, schema in OWN_TABLES.items():
        engine.ensure_table(name, schema)


def now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)
