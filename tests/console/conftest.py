"""The console's fixtures: a real `siyu serve` in a subprocess on a copy of the small demo warehouse (one per
module), users with passwords, and one Chromium (Debian's, driven by Playwright) per session."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from service.conftest import demo_warehouse, free_port  # noqa: F401  (the session's demo warehouse)

CHROMIUM = "/usr/bin/chromium"
ROLES = ("admin", "analyst", "operator", "guide", "auditor")
SRC = Path(__file__).resolve().parents[2] / "src"


@dataclass
class Console:
    url: str
    warehouse: Path
    guide_staff: str
    shots: Path

    def password(self, role: str) -> str:
        return f"{role}-console-pw"


def _wait(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"siyu serve exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(url + "/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("siyu serve did not answer within 60 s")


TRACKED = ("sleepers", "has_tag('sleeping')")


def track_runs(warehouse: Path) -> None:
    """A segment saved in the warehouse and snapshotted by two runs (what `siyu run`'s segments step does)."""
    from siyu.engine.duckdb_engine import DuckDBEngine
    from siyu.segment.store import save_segment, snapshot

    engine = DuckDBEngine(str(warehouse))
    save_segment(engine, *TRACKED)
    snapshot(engine, "run-one")
    snapshot(engine, "run-two")
    engine.close()


def seed_engagement(warehouse: Path, store: object, folder: Path) -> None:
    """What `siyu run`'s journeys step leaves after three months of the demo (evaluated every fifth day, the
    clock frozen at each day's 10:00 Shanghai), and a KOC roster: the rule's first candidate approved, the
    second active."""
    import datetime as dt

    from siyu.config.settings import load_settings
    from siyu.engine.duckdb_engine import DuckDBEngine
    from siyu.journeys.step import run_journeys
    from siyu.koc import roster
    from siyu.koc.candidates import candidates
    from siyu.koc.settings import koc_settings

    (folder / "siyu.toml").write_text("[journeys]\n", encoding="utf-8")
    settings = load_settings(folder / "siyu.toml")
    engine = DuckDBEngine(str(warehouse))
    day = dt.date(2026, 8, 1)
    while day <= dt.date(2026, 10, 31):
        run_journeys(engine, settings, day, dt.datetime.combine(day, dt.time(2), dt.UTC), store=store)  # type: ignore[arg-type]
        day += dt.timedelta(days=5)
    found = [c["person_id"] for c in candidates(engine, koc_settings(settings), dt.date(2026, 10, 31))]
    engine.close()
    for person, path in zip(found[:2], (("candidate", "approved"), ("candidate", "approved", "active")),
                            strict=True):
        for state in path:
            roster.change(store, person, state, "admin", "seeded for the console tests")  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def console(demo_warehouse: Path, tmp_path_factory: pytest.TempPathFactory,  # noqa: F811
            request: pytest.FixtureRequest) -> Iterator[Console]:
    """`siyu serve` on loopback over its own copy of the demo (its own operational store), published as a run
    publishes it, one user per role with a password; the guide is the staff member who owns the most customers.
    A module with `SEED_ENGAGEMENT = True` also gets journeys' tasks and a KOC roster (seed_engagement)."""
    import duckdb

    from siyu.auth.users import add_user
    from siyu.config.settings import load_settings
    from siyu.engine.snapshot import publish
    from siyu.persons.indexes import index_snapshot
    from siyu.store import open_store, store_url

    folder = tmp_path_factory.mktemp("console")
    warehouse = folder / "demo.duckdb"
    shutil.copy(demo_warehouse, warehouse)
    track_runs(warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        staff = con.execute("SELECT owner_staff_id FROM person_profile WHERE owner_staff_id IS NOT NULL "
                            "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1").fetchone()[0]  # type: ignore[index]
    store = open_store(store_url(load_settings(None), warehouse))
    for role in ROLES:
        add_user(store, role, role, password=f"{role}-console-pw", staff_id=staff if role == "guide" else None)
    if getattr(request.module, "SEED_ENGAGEMENT", False):
        seed_engagement(warehouse, store, folder)
    store.dispose()
    publish(warehouse, prepare=index_snapshot)  # as a run leaves it: the service reads the snapshot, so an
    # import or a run started from the console can write the warehouse
    port = free_port()
    log = folder / "serve.log"
    env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "siyu", "serve", "--host", "127.0.0.1", "--port", str(port),
                                 "-w", str(warehouse)], stdout=out, stderr=subprocess.STDOUT, cwd=folder, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(url, proc, log)
        shots = Path(os.environ.get("SIYU_CONSOLE_SHOTS", str(tmp_path_factory.mktemp("screenshots"))))
        shots.mkdir(parents=True, exist_ok=True)
        yield Console(url, warehouse, staff, shots)
    finally:
        proc.terminate()
        proc.wait(15)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.skip(f"the console tests drive Debian's Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()
