"""The `loyalty` step of `siyu run` on a small demo warehouse: identified buyers' paid orders reach the ledger in
the store beside the warehouse, reconcile finds nothing, and running it three times posts nothing new; a brand
without a [loyalty] table has no programme and gets no ledger."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

from siyu.config import Settings
from siyu.demo.brand import generate
from siyu.demo.config import DemoConfig
from siyu.demo.direct import write_direct
from siyu.engine import Engine
from siyu.loyalty import ledger
from siyu.loyalty.orders import rows_from_arrow
from siyu.loyalty.reconcile import reconcile
from siyu.loyalty.rules import LoyaltySettings
from siyu.loyalty.step import open_ledger, orders_sql, run_loyalty
from siyu.loyalty.tables import order, posting
from siyu.pipeline import run_pipeline


@pytest.mark.slow
def test_the_step_posts_every_identified_order_once(duck: Engine, tmp_path: Path) -> None:
    write_direct(duck, generate(DemoConfig(persons=120, seed=5)).exports.items())
    assert run_pipeline(duck, Settings(), steps=["normalise", "identity", "loyalty"]).ok
    assert not (tmp_path / "test.duckdb.store.sqlite").exists()  # no [loyalty] table: no programme
    assert duck.row_count("loyalty_facts") == 0  # only the empty table the segment helpers read
    programme = Settings(sections={"loyalty": {}})
    assert run_pipeline(duck, programme, steps=["loyalty"]).ok
    assert (tmp_path / "test.duckdb.store.sqlite").exists()
    rules = LoyaltySettings()
    rows = list(rows_from_arrow(duck.query(orders_sql(rules))))
    as_of = dt.datetime.now(dt.UTC).date()
    store = open_ledger(duck, programme)
    try:
        with store.connect() as conn:
            posted = conn.execute(select(func.count()).select_from(order)).scalar_one()
            first = conn.execute(select(func.count()).select_from(posting)).scalar_one()
            assert posted == len(rows) > 0
            assert reconcile(conn, rows, rules, as_of) == []
            assert ledger.trial_balance(conn) == 0
            held = {p: n for (p, kind), n in ledger.all_balances(conn).items() if kind == "points"}
        facts = duck.query("SELECT person_id, sum(amount) AS n FROM loyalty_facts WHERE kind = 'points' "
                           "GROUP BY person_id").to_pylist()
        usable = {f["person_id"]: int(f["n"]) for f in facts}
        assert usable and all(0 < n <= held[p] for p, n in usable.items())  # available points, unexpired
        for _ in range(3):
            assert run_loyalty(duck, programme)[1] == 0
        with store.connect() as conn:
            assert conn.execute(select(func.count()).select_from(posting)).scalar_one() == first
    finally:
        store.dispose()
