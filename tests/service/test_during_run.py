"""The API keeps answering, with the previous run's results, while `siyu run` rebuilds the warehouse in another
process; and POST /runs starts such a run. Both read the serving snapshot siyu.engine.snapshot publishes."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import httpx
import pytest

from service.conftest import start_server


@pytest.fixture
def own_server(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    demo_warehouse: Path = request.getfixturevalue("demo_warehouse")
    from siyu.api.app import create_app
    from siyu.api.context import service_config
    from siyu.auth.users import add_user, create_token
    from siyu.config.settings import load_settings

    warehouse = tmp_path / "w.duckdb"
    shutil.copy(demo_warehouse, warehouse)
    from siyu.engine.snapshot import publish

    publish(warehouse)  # what a finished run leaves: the service reads this copy, the next run writes the file
    cfg = service_config(warehouse, load_settings(None))
    add_user(cfg.store, "op", "operator")
    headers = {"Authorization": f"Bearer {create_token(cfg.store, 'op')}"}
    from service.conftest import free_port

    port = free_port()
    server, thread = start_server(create_app(cfg), port)
    yield f"http://127.0.0.1:{port}", headers, warehouse
    server.should_exit = True
    thread.join(10)
    cfg.serving.close()


@pytest.mark.slow
def test_api_answers_with_old_results_during_a_run(own_server) -> None:  # type: ignore[no-untyped-def]
    url, headers, warehouse = own_server
    person = httpx.get(f"{url}/persons/P0000000002", headers=headers, timeout=30).json()
    run = subprocess.Popen([sys.executable, "-m", "siyu", "run", "--warehouse", str(warehouse)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    answered = 0
    while run.poll() is None:
        r = httpx.get(f"{url}/persons/P0000000002", headers=headers, timeout=30)
        assert r.status_code == 200, r.text
        assert r.json()["profile"]["as_of"] == person["profile"]["as_of"]
        assert httpx.get(f"{url}/metrics", headers=headers, params={"limit": 5}, timeout=30).status_code == 200
        answered += 1
        time.sleep(0.05)
    assert run.returncode == 0, run.stderr.read().decode() if run.stderr else ""
    assert answered > 5
    assert httpx.get(f"{url}/persons/P0000000002", headers=headers, timeout=30).status_code == 200


@pytest.mark.slow
def test_post_runs_starts_a_run_and_reports_progress(own_server) -> None:  # type: ignore[no-untyped-def]
    url, headers, _ = own_server
    runs_before = httpx.get(f"{url}/runs", headers=headers, timeout=30).json()["total"]
    r = httpx.post(f"{url}/runs", headers=headers, timeout=30)
    assert r.status_code == 202
    assert httpx.post(f"{url}/runs", headers=headers, timeout=30).status_code == 409
    for _ in range(600):
        status = httpx.get(f"{url}/runs/current", headers=headers, timeout=30).json()
        if not status["running"]:
            break
        time.sleep(0.5)
    assert status["exit_code"] == 0, status["output"]
    # the finished run was published: new requests see it, all at once
    assert httpx.get(f"{url}/runs", headers=headers, timeout=30).json()["total"] == runs_before + 1


def test_a_newly_published_snapshot_is_read_by_new_requests(demo_warehouse: Path, tmp_path: Path) -> None:
    from siyu.api.warehouse import Serving
    from siyu.engine.snapshot import publish

    warehouse = tmp_path / "w.duckdb"
    shutil.copy(demo_warehouse, warehouse)
    serving = Serving(warehouse)
    with serving.reader() as eng:
        assert eng.path == str(warehouse)  # nothing published yet: the warehouse itself, read-only
        before = eng.scalar("SELECT count(*) FROM person_profile")
    serving.close()
    published = publish(warehouse)
    with serving.reader() as old:
        assert old.path == str(published)
        assert [p.name for p in tmp_path.iterdir() if ".serving-" in p.name]  # pinned by a link
        with duckdb.connect(str(warehouse)) as writer:  # the next run writes the warehouse meanwhile
            writer.execute("DELETE FROM person_profile WHERE person_id = 'P0000000002'")
        assert old.scalar("SELECT count(*) FROM person_profile") == before  # a request never sees half a run
        publish(warehouse)
        assert old.scalar("SELECT count(*) FROM person_profile") == before  # still on its snapshot
    with serving.reader() as new:
        assert new.scalar("SELECT count(*) FROM person_profile") == before - 1
    serving.close()


def test_a_killed_servers_link_to_an_old_snapshot_does_not_keep_it_on_disk(demo_warehouse: Path,
                                                                          tmp_path: Path) -> None:
    """A server killed while it served snapshot N leaves its link to N; once N+1 is published and served, that
    link goes, so the old snapshot's space is given back (at 1M persons a snapshot is ~15 GB)."""
    from siyu.api.warehouse import Serving
    from siyu.engine.snapshot import publish

    warehouse = tmp_path / "w.duckdb"
    shutil.copy(demo_warehouse, warehouse)
    publish(warehouse)
    killed = Serving(warehouse)
    with killed.reader() as eng:  # the killed server: never closed, its link stays
        eng.scalar("SELECT count(*) FROM person_profile")
    stale = [p for p in tmp_path.iterdir() if ".serving-" in p.name]
    assert stale and all(p.stat().st_nlink == 2 for p in stale if not p.name.endswith(".wal"))
    published = publish(warehouse)
    restarted = Serving(warehouse)
    with restarted.reader() as eng:
        assert eng.path == str(published)
        eng.scalar("SELECT count(*) FROM person_profile")
    links = [p for p in tmp_path.iterdir() if ".serving-" in p.name]
    assert links and not set(links) & set(stale)  # only the link to the snapshot now served
    assert all(p.stat().st_nlink == 2 for p in links if not p.name.endswith(".wal"))  # it and the published file
    restarted.close()
    killed.close()
