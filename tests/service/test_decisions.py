"""A split taken in the service is honoured by the next run's identity step, once."""

from __future__ import annotations

import shutil
from pathlib import Path

from siyu.auth.roles import User
from siyu.config.settings import load_settings
from siyu.engine.duckdb_engine import DuckDBEngine
from siyu.identity.decisions import decide, decisions
from siyu.identity.queue import review_queue
from siyu.identity.step import run_identity
from siyu.store import open_store, store_url


def test_split_from_the_service_separates_the_pair_at_the_next_run(demo_warehouse: Path, tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    shutil.copy(demo_warehouse, warehouse)
    settings = load_settings(None)
    engine = DuckDBEngine(warehouse)
    pairs, _ = review_queue(engine, 0.0, 1.0, limit=500)
    pair = next(p for p in pairs if p["same_person"])
    store = open_store(store_url(settings, warehouse))
    decide(store, User(1, "op", "operator"), "split", pair["a"], pair["b"], "different people: checked by phone")

    run_identity(engine, settings)

    rows = engine.query("SELECT channel || ':' || channel_uid AS node, person_id FROM person_map "
                        "WHERE channel || ':' || channel_uid IN ($a, $b)", {"a": pair["a"], "b": pair["b"]})
    persons = {r["node"]: r["person_id"] for r in rows.to_pylist()}
    assert persons[pair["a"]] != persons[pair["b"]]
    assert decisions(store)[0][0]["applied_run"] is not None
    assert engine.scalar("SELECT count(*) FROM identity_override") == 1
    run_identity(engine, settings)  # already applied: not copied twice
    assert engine.scalar("SELECT count(*) FROM identity_override") == 1
    engine.close()
