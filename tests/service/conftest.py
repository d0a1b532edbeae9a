"""The service's fixtures: the operational store on SQLite and on PostgreSQL (SIYU_TEST_PG_URL; in CI a missing
PostgreSQL fails, outside CI it skips), and one small demo warehouse built once per session."""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
import uvicorn

from siyu.store import open_store

PG_ENV = "SIYU_TEST_PG_URL"


def _pg_schema_url(base: str, schema: str) -> str:
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh schema on the test PostgreSQL, dropped afterwards, so tests never see each other's rows."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"PostgreSQL tests need {PG_ENV} (postgresql://user:pw@127.0.0.1/db)")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine("postgresql+psycopg://" + base.removeprefix("postgresql://"))
    try:
        with admin.begin() as con:
            con.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.OperationalError as exc:
        pytest.skip(f"PostgreSQL at {PG_ENV} not reachable: {str(exc).splitlines()[0]}")
    yield _pg_schema_url(base, schema)
    with admin.begin() as con:
        con.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    """The operational store, migrated, on SQLite and on PostgreSQL."""
    url = f"sqlite:///{tmp_path / 'store.sqlite'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    engine = open_store(url)
    yield engine
    engine.dispose()


# --- a real server on loopback over a small demo warehouse -------------------------------------------------------

ROLES_UNDER_TEST = ("admin", "analyst", "operator", "guide", "auditor")


@dataclass
class Served:
    url: str
    warehouse: Path
    store: sa.Engine
    tokens: dict[str, str]  # role → bearer token
    guide_staff: str

    def headers(self, role: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def demo_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2,000-person demo brand, run through the whole pipeline once per session, with serving indexes."""
    import duckdb

    from siyu.demo.build import build_demo
    from siyu.demo.config import DemoConfig
    from siyu.persons.indexes import create_serving_indexes

    path = tmp_path_factory.mktemp("served") / "demo.duckdb"
    build_demo(path, DemoConfig(persons=2000))
    with duckdb.connect(str(path)) as con:
        create_serving_indexes(con)
    return path


def start_server(app: object, port: int) -> tuple[uvicorn.Server, threading.Thread]:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",  # type: ignore[arg-type]
                                           access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    return server, thread


@pytest.fixture(scope="session")
def served(demo_warehouse: Path) -> Iterator[Served]:
    """`siyu serve` on the demo warehouse (uvicorn in a thread, a random loopback port), one user and token per
    role; the guide is the staff member who owns the most customers."""
    import duckdb

    from siyu.api.app import create_app
    from siyu.api.context import service_config
    from siyu.auth.users import add_user, create_token
    from siyu.config.settings import load_settings

    with duckdb.connect(str(demo_warehouse), read_only=True) as con:
        staff = con.execute("SELECT owner_staff_id FROM person_profile WHERE owner_staff_id IS NOT NULL "
                            "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1").fetchone()[0]  # type: ignore[index]
    cfg = service_config(demo_warehouse, load_settings(None))
    tokens = {}
    for role in ROLES_UNDER_TEST:
        add_user(cfg.store, role, role, password=f"{role}-pw", staff_id=staff if role == "guide" else None)
        tokens[role] = create_token(cfg.store, role, "tests")
    port = free_port()
    server, thread = start_server(create_app(cfg), port)
    yield Served(f"http://127.0.0.1:{port}", demo_warehouse, cfg.store, tokens, staff)
    server.should_exit = True
    thread.join(10)
    cfg.serving.close()
