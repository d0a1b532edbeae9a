"""The tables the segment layer owns: saved segments, member snapshots per run, manual tags."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pyarrow as pa

from siyu.engine import Engine
from siyu.errors import UserError
from siyu.segment.helpers import Sources
from siyu.segment.language import Vocabulary

SEGMENT = pa.schema([
    ("name", pa.string()), ("expression", pa.string()), ("description", pa.string()),
    ("created_at", pa.timestamp("us")), ("updated_at", pa.timestamp("us")),
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


def vocabulary(engine: Engine, src: Sources | None = None) -> Vocabulary:
    """The profile's columns and as-of day; a clear message when the profile has not been built yet."""
    src = src or Sources()
    if not engine.table_exists(src.profile):
        raise UserError(f"no {src.profile} table yet: run `siyu run` (steps normalise, identity, profile) first")
    schema = engine.table_schema(src.profile)
    as_of = engine.scalar(f"SELECT max(as_of) FROM {src.profile}")
    if not isinstance(as_of, dt.date):
        as_of = dt.date.today()  # an empty profile: no person will match anyway
    if not engine.table_exists(src.tags):
        engine.ensure_table(src.tags, PERSON_TAG)
    def kind(test: Callable[[pa.DataType], bool]) -> frozenset[str]:
        return frozenset(f.name for f in schema if test(f.type))

    numeric = kind(lambda t: pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t))
    names = frozenset(schema.names) - {"person_key"}  # internal, changes every run
    return Vocabulary(names, as_of, kind(pa.types.is_boolean), kind(pa.types.is_string), numeric)
