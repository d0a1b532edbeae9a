"""The `loyalty` step reads only what changed since its last run: after a first run over every order, a refund of
an old order imported later (a new raw row, nothing else new) is read alone and reverses exactly that order's
points; a run with nothing new reads nothing and posts nothing; a change of the rules reads everything again. On
the SQLite store beside the warehouse and on PostgreSQL (`[store] url`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from siyu.config import Settings
from siyu.demo.brand import generate
from siyu.demo.config import DemoConfig
from siyu.demo.direct import write_direct
from siyu.engine import Engine
from siyu.engine.quote import literal
from siyu.loyalty.orders import rows_from_arrow
from siyu.loyalty.reconcile import reconcile
from siyu.loyalty.rules import LoyaltySettings
from siyu.loyalty.step import open_ledger, orders_sql, run_loyalty
from siyu.loyalty.tables import order, posting
from siyu.pipeline import run_pipeline

from .loyalty_stores import pg_url


@pytest.fixture(params=["sqlite", "postgresql"])
def programme(request: pytest.FixtureRequest) -> Iterator[Settings]:
    if request.param == "sqlite":
        yield Settings(sections={"loyalty": {}})
        return
    with pg_url() as url:
        yield Settings(sections={"loyalty": {}, "store": {"url": url}})


def refund_later(duck: Engine, channel: str, order_id: str, at: dt.datetime) -> None:
    """A later export of the order saying it was refunded in full: a new raw row, imported at `at`."""
    duck.insert_select("raw_order", f"""
        SELECT * REPLACE ('refunded' AS status, amount_paid AS refund_amount, {literal(at)} AS _ingested_at,
                          _row_hash || ':refund' AS _row_hash)
        FROM raw_order WHERE channel = {literal(channel)} AND order_id = {literal(order_id)}""")


@pytest.mark.slow
def test_a_later_refund_of_an_old_order_is_read_alone_and_reverses_its_points(duck: Engine,
                                                                              programme: Settings) -> None:
    write_direct(duck, generate(DemoConfig(persons=120, seed=5)).exports.items())
    assert run_pipeline(duck, Settings(), steps=["normalise", "identity"]).ok
    first_read, first_posted, detail = run_loyalty(duck, programme)
    assert first_posted > 0 and "all orders" in detail
    store = open_ledger(duck, programme)
    try:
        with store.connect() as conn:
            old = conn.execute(select(order).where(order.c.points > 0).order_by(order.c.paid_on, order.c.order_id)
                               .limit(1)).one()
            postings = conn.execute(select(func.count()).select_from(posting)).scalar_one()
        assert first_read > 1
        for _ in range(3):  # nothing new: nothing read, nothing posted
            assert run_loyalty(duck, programme)[:2] == (0, 0)
        later = dt.datetime.now().replace(microsecond=0) + dt.timedelta(hours=1)
        refund_later(duck, old.channel, old.order_id, later)
        assert run_pipeline(duck, Settings(), steps=["normalise", "identity"]).ok
        read, posted, detail = run_loyalty(duck, programme)
        assert (read, posted) == (1, 1) and "reverse 1" in detail and "changed since" in detail
        with store.connect() as conn:
            assert conn.execute(select(order.c.points).where(order.c.channel == old.channel,
                                                             order.c.order_id == old.order_id)).scalar_one() == 0
            rows = list(rows_from_arrow(duck.query(orders_sql(LoyaltySettings()))))
            assert reconcile(conn, rows, LoyaltySettings(), dt.datetime.now(dt.UTC).date()) == []
        for _ in range(3):
            assert run_loyalty(duck, programme)[1] == 0
        with store.connect() as conn:
            assert conn.execute(select(func.count()).select_from(posting)).scalar_one() == postings + 1
        changed = Settings(sections={**programme.sections, "loyalty": {"return_window_days": 7}})
        assert run_loyalty(duck, changed)[0] == first_read  # other rules: every order read again
    finally:
        store.dispose()
