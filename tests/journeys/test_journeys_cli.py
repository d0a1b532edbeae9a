"""`siyu journeys run|list|optout` and the `journeys` step of `siyu run` on a real warehouse and its store: the
step runs only with a `[journeys]` table; a second evaluation of the same day creates nothing; an opted-out
person leaves their journeys; a bad journeys file stops the run before any step."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from siyu.cli.main import app
from siyu.config import load_settings
from siyu.demo.config import DemoConfig
from siyu.demo.sop import Sop
from siyu.engine.duckdb_engine import DuckDBEngine
from siyu.journeys.tables import state
from siyu.pipeline import run_pipeline
from siyu.schema import migrate
from siyu.store import open_store

DAY = dt.date(2026, 5, 1)


def siyu(*args: str) -> Result:
    return CliRunner(env={"COLUMNS": "200"}).invoke(app, list(args))


@pytest.fixture
def brand(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "siyu.toml").write_text('warehouse = "w.duckdb"\n[journeys]\ntasks_per_week = 1\n', encoding="utf-8")
    store = open_store(f"sqlite:///{tmp_path / 'w.duckdb.store.sqlite'}")
    with DuckDBEngine(tmp_path / "w.duckdb") as engine:
        migrate(engine)
        Sop(DemoConfig(persons=10), engine, store, per_day=20).day(DAY)
    store.dispose()
    return tmp_path


def test_run_twice_list_and_opt_out(brand: Path) -> None:
    first = siyu("journeys", "run", "--as-of", DAY.isoformat())
    assert first.exit_code == 0 and "entered 40" in first.output, first.output  # seed and recipe_guide, 20 first orders
    again = siyu("journeys", "run", "--as-of", DAY.isoformat())
    assert "entered 0, tasks 0, held out 0, coupons 0" in again.output
    listed = siyu("journeys", "list")
    flat = re.sub(r"[\s│]+", "", listed.output)  # a narrow terminal wraps the steps' cell over several lines
    assert all(step in flat for step in ("confirm_address", "coupon", "personal_wechat")), listed.output
    assert "already on" not in siyu("journeys", "optout", "P0000001", "--reason", "asked").output
    assert "already on" in siyu("journeys", "optout", "P0000001", "--reason", "asked").output
    siyu("journeys", "run", "--as-of", (DAY + dt.timedelta(days=1)).isoformat())
    store = open_store(f"sqlite:///{brand / 'w.duckdb.store.sqlite'}")
    with store.connect() as conn:
        left = conn.execute(select(state.c.journey, state.c.exit_reason).where(state.c.person_id == "P0000001")).all()
    store.dispose()
    assert left and all(r.exit_reason == "opted_out" for r in left)
    bad = siyu("journeys", "run", "--as-of", "May 1")
    assert bad.exit_code != 0 and "--as-of 'May 1': use YYYY-MM-DD" in bad.output


def test_the_pipeline_step(brand: Path) -> None:
    settings = load_settings(brand / "siyu.toml")
    with DuckDBEngine(brand / "w.duckdb") as engine:
        report = run_pipeline(engine, settings, steps=["journeys"])
        assert report.outcomes[0].rows_in == 40 and report.outcomes[0].rows_out > 0
        plain = run_pipeline(engine, load_settings(None), steps=["journeys"])
        assert plain.outcomes[0].message == "no [journeys] table in siyu.toml: no journeys run"
        (brand / "mine.toml").write_text("[journeys.x]\ntrigger = { kind = 'moon' }\n", encoding="utf-8")
        (brand / "siyu.toml").write_text('[journeys]\nfile = "mine.toml"\n', encoding="utf-8")
        with pytest.raises(Exception, match=r"mine.toml: journeys.x.trigger.kind: must be one of"):
            run_pipeline(engine, load_settings(brand / "siyu.toml"), steps=["journeys"])
