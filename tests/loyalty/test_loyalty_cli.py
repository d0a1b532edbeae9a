"""`siyu points`, `siyu wallet`, `siyu coupon` on a real warehouse and the store beside it."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from siyu.auth.audit import entries
from siyu.cli.main import app
from siyu.config import Settings
from siyu.engine.duckdb_engine import DuckDBEngine
from siyu.pipeline import run_pipeline
from siyu.schema import migrate
from siyu.store import open_store


@pytest.fixture
def warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "w.duckdb"
    with DuckDBEngine(path) as engine:
        migrate(engine)
        assert run_pipeline(engine, Settings(), steps=["normalise", "identity"]).ok
    return str(path)


def siyu(*args: str) -> Result:
    return CliRunner(env={"COLUMNS": "200"}).invoke(app, list(args))


def test_points_adjust_show_and_reconcile(warehouse: str) -> None:
    first = siyu("points", "adjust", "P1", "100", "--reason", "parcel lost", "--key", "k1", "-w", warehouse)
    assert first.exit_code == 0 and "posted: P1 +100 points" in first.output
    again = siyu("points", "adjust", "P1", "100", "--reason", "parcel lost", "--key", "k1", "-w", warehouse)
    assert "already posted" in again.output
    shown = siyu("points", "show", "P1", "-w", warehouse)
    assert "points 100" in shown.output and "parcel lost" in shown.output
    over = siyu("points", "adjust", "--reason", "typo", "-w", warehouse, "--", "P1", "-101")
    assert over.exit_code == 2 and "holds 100 points" in over.output and "Traceback" not in over.output
    assert siyu("points", "adjust", "P1", "5", "-w", warehouse).exit_code == 2  # --reason is required
    store = open_store(f"sqlite:///{warehouse}.store.sqlite")
    assert [(e["action"], e["reason"]) for e in entries(store)] == [("points.adjust", "parcel lost")]
    store.dispose()
    clean = siyu("points", "reconcile", "-w", warehouse)
    assert clean.exit_code == 0 and "the ledger agrees" in clean.output


def test_wallet_and_coupons(warehouse: str) -> None:
    assert siyu("wallet", "topup", "P1", "50000", "--gift", "5000", "-w", warehouse).exit_code == 0
    liability = siyu("wallet", "liability", "-w", warehouse)
    assert "500.00" in liability.output and "50.00" in liability.output
    assert siyu("coupon", "issue", "P1", "1000", "--days", "2", "-w", warehouse).exit_code == 0
    soon = siyu("coupon", "expiring", "--days", "3", "-w", warehouse)
    assert "P1" in soon.output and "10.00" in soon.output
