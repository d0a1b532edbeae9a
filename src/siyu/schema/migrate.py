"""Bring a warehouse up to the current schema: create missing tables, add columns new versions introduced.

Migrations only ever add (tables, columns), so an older warehouse opens with a newer siyu and nothing stored
is lost. `schema_version` records each version applied.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from siyu.engine import Engine
from siyu.schema.tables import TABLES

SCHEMA_VERSION = 3
# 2: raw_identity.birth_month/birth_day (birthdays without a year); import_log.encoding/fields_quarantined
# 3: pipeline_run (one row per run: running, ok, partial, failed, interrupted)


def migrate(engine: Engine) -> int:
    """Create or extend every canonical table; returns the schema version now in force."""
    for name, schema in TABLES.items():
        engine.ensure_table(name, schema)
    current = engine.scalar("SELECT max(version) FROM schema_version")
    if current is None or int(current) < SCHEMA_VERSION:
        now = dt.datetime.now().replace(microsecond=0)
        row = {"version": pa.array([SCHEMA_VERSION], pa.int64()), "applied_at": pa.array([now], pa.timestamp("us"))}
        engine.write_arrow("schema_version", pa.table(row))
    return SCHEMA_VERSION
