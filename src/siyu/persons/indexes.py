"""Indexes that make the service's point lookups fast; built on the serving copy, never during a request."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from siyu.engine.quote import ident

SERVING_INDEXES = {
    "person_profile": ["person_id", "owner_staff_id", "owner_store_id"],
    "person_map": ["person_id", "channel_uid"],
    "identities": ["phone", "name", "channel_uid", "phone_suffix"],
    "person_orders": ["person_key"],
    "person_tag": ["person_id"],
    "person_tag_history": ["person_id"],
    "person_groups": ["person_id"],
    "messages": ["customer_id"],
    "clv_score": ["person_id"],
    "identity_edge": ["a"],
    "person_card": ["person_id"],  # made by index_snapshot (siyu.persons.card)
    "person_search": ["k"],  # made by index_snapshot (siyu.persons.finder)
}


def create_serving_indexes(con: Any) -> list[str]:
    """CREATE INDEX IF NOT EXISTS for each table present on a writable DuckDB connection; returns those made."""
    present = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    made = []
    for table, columns in SERVING_INDEXES.items():
        if table not in present:
            continue
        for column in columns:
            name = f"serve_{table}_{column}"
            con.execute(f"CREATE INDEX IF NOT EXISTS {ident(name)} ON {ident(table)} ({ident(column)})")
            made.append(name)
    return made


def index_snapshot(path: Path, memory_limit: str | None = None) -> list[str]:
    """The 360 card, the search table and the serving indexes on a DuckDB file about to be published
    (engine.snapshot.publish's `prepare`).

    Capped like the run's engine (`[engine] memory_limit`, else a quarter of the machine, at least 2 GB): with
    DuckDB's own default of 80 %, the card of a 1M-person warehouse peaked at 19.7 GB."""
    import duckdb
    import psutil

    from siyu.persons.card import build_card
    from siyu.persons.finder import build_search_table

    cap = memory_limit or f"{max(2, psutil.virtual_memory().total // 4 // 2**30)}GB"
    con = duckdb.connect(str(path), config={"memory_limit": cap})
    try:
        build_card(con)
        build_search_table(con)
        return create_serving_indexes(con)
    finally:
        con.close()
