"""Journeys in the operational store on SQLite and PostgreSQL: migrations 0004 and 0007 create exactly the tables
of siyu.journeys.tables (0007 makes an older store's active entries due), and ten simulated days evaluate the
same way on both, a rerun creating nothing."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select

from siyu.demo.config import DemoConfig
from siyu.demo.sop import Sop
from siyu.engine.duckdb_engine import DuckDBEngine
from siyu.journeys.definition import load_journeys
from siyu.journeys.evaluate import evaluate
from siyu.journeys.settings import JourneySettings
from siyu.journeys.tables import metadata, state, task
from siyu.loyalty.tables import coupon
from siyu.store.connect import MIGRATIONS, migrate_store


def test_migration_matches_the_tables(store: sa.Engine) -> None:
    with store.connect() as conn:
        assert {t.name for t in metadata.sorted_tables} <= set(inspect(conn).get_table_names())
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = [d for d in compare_metadata(context, metadata) if "journey_" in repr(d)]
    assert diff == []


def _sizes(store: sa.Engine) -> list[int]:
    with store.connect() as conn:
        return [conn.execute(select(sa.func.count()).select_from(t)).scalar_one() for t in (state, task, coupon)]


def test_ten_days_and_a_rerun(store: sa.Engine, tmp_path: Path) -> None:
    engine = DuckDBEngine(tmp_path / "w.duckdb")
    sop = Sop(DemoConfig(persons=10, seed=3), engine, store, per_day=10)
    journeys, rules = load_journeys(), JourneySettings()
    start = dt.date(2026, 5, 1)
    for n in range(10):
        day = start + dt.timedelta(days=n)
        now = dt.datetime.combine(day, dt.time(10), zoneinfo.ZoneInfo("Asia/Shanghai"))
        sop.day(day)
        evaluate(engine, store, journeys, rules, "Asia/Shanghai", day, now)
        sop.staff_work(day, now)
    before = _sizes(store)
    out = evaluate(engine, store, journeys, rules, "Asia/Shanghai", day, now)
    engine.close()
    assert before[0] == 200 and before[1] > 100 and before[2] > 50  # seed and recipe_guide start at a first order
    assert _sizes(store) == before and out.tasks == out.coupons == out.entered == 0
    with store.connect() as conn:  # each coupon step's task names the coupon issued under its key, to its person
        linked = conn.execute(select(task.c.key, task.c.person_id, coupon.c.key, coupon.c.person_id).select_from(
            task.outerjoin(coupon, coupon.c.id == task.c.coupon_id)).where(task.c.status == "issued")).all()
    assert linked and all(ck == f"journey:{tk}" and cp == tp for tk, tp, ck, cp in linked)


def test_0007_makes_the_active_entries_of_an_older_store_due(tmp_path: Path) -> None:
    """A store evaluated before due days existed: its active entries must be stepped at the next evaluation
    (due at their step's start), its finished ones never read again."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'old.sqlite'}")
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as con:
        cfg.attributes["connection"] = con
        command.upgrade(cfg, "0006")
    day, at = dt.date(2026, 5, 1), dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
    rows = [{"journey": "seed", "person_id": p, "entry_key": "first", "arm": "treatment", "entered_on": day,
             "step": 1, "step_since": day + dt.timedelta(days=n), "status": s, "orders": 0, "revenue_fen": 0,
             "updated_at": at} for n, (p, s) in enumerate([("p1", "active"), ("p2", "done")])]
    with engine.begin() as con:
        con.execute(sa.table("journey_state", *[sa.column(k) for k in rows[0]]).insert(), rows)
    migrate_store(engine)
    with engine.connect() as con:
        due = dict(con.execute(select(state.c.person_id, state.c.due_on)).all())
    engine.dispose()
    assert due == {"p1": day, "p2": None}
