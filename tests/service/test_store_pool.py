"""The store's pool on PostgreSQL checks a pooled connection without a round trip, and still never hands out one
the server has closed: a request after a database restart (here, its backend terminated) gets a new connection
instead of an error."""

from __future__ import annotations

import time

import sqlalchemy as sa

from siyu.store import open_store


def backend(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one())


def test_a_live_pooled_connection_is_reused_and_a_closed_one_replaced(pg_url: str) -> None:
    engine = open_store(pg_url, pool_size=1)
    admin = sa.create_engine("postgresql+psycopg://" + pg_url.removeprefix("postgresql://"))
    try:
        first = backend(engine)
        assert backend(engine) == first  # the idle connection was alive: reused, not reopened
        with admin.begin() as conn:
            assert conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": first}).scalar_one()
        for _ in range(50):  # the backend is gone once the server has noticed; wait for it, not a fixed time
            with admin.connect() as conn:
                if not conn.execute(sa.text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"),
                                    {"pid": first}).scalar_one():
                    break
            time.sleep(0.05)
        again = backend(engine)  # no OperationalError: the closed connection was replaced at checkout
        assert again != first
        assert backend(engine) == again
    finally:
        engine.dispose()
        admin.dispose()
