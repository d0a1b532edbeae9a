"""The default journeys on the demo brand (the whole pipeline, 1,000 persons): persons enter, tasks go to the
staff who own the customers with the name masked in the draft, and a second evaluation creates nothing."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from siyu.config.settings import Settings
from siyu.demo.build import build_demo
from siyu.demo.config import DemoConfig
from siyu.engine.duckdb_engine import DuckDBEngine
from siyu.journeys.step import run_journeys
from siyu.journeys.tables import state, task
from siyu.store import open_store, store_url


def test_default_journeys_on_the_demo_brand(tmp_path: Path) -> None:
    warehouse = tmp_path / "demo.duckdb"
    build_demo(warehouse, DemoConfig(persons=1000))
    settings = Settings()
    settings.sections["journeys"] = {"lookback_days": 30}
    with DuckDBEngine(warehouse) as engine:
        entered, created, _ = run_journeys(engine, settings)
        again = run_journeys(engine, settings)
        owners = {r["person_id"]: r["owner_staff_id"]
                  for r in engine.query("SELECT person_id, owner_staff_id FROM person_profile").to_pylist()}
        names = {r["name"] for r in engine.query("SELECT name FROM person_profile WHERE name IS NOT NULL")
                 .to_pylist() if len(r["name"]) > 1 and "*" not in r["name"]}
    assert entered > 50 and created > 10
    assert again[:2] == (0, 0)
    store = open_store(store_url(settings, warehouse))
    with store.connect() as conn:
        rows = conn.execute(select(task).where(task.c.status == "open")).all()
        held = {(r.journey, r.person_id) for r in conn.execute(select(state).where(state.c.arm == "holdout"))}
    store.dispose()
    assert len(rows) == created and held  # some entrants are held out (whether they reach a task is chance) ...
    assert not [r for r in rows if (r.journey, r.person_id) in held]  # ... and none of them gets a task
    assert all(r.owner_staff_id == owners[r.person_id] for r in rows)
    assert any(r.owner_staff_id for r in rows)
    assert not [r.draft for r in rows if any(n in r.draft for n in names)]  # drafts carry masked names only
