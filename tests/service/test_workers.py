"""`siyu serve --workers 2` as a real server on loopback: a job or a throttle started through one worker is seen
the same from the other, because everything shared lives in the operational store, not in a worker's memory.

Every request here opens its own connection, so the kernel spreads them over both workers; each answer names
its worker (X-Siyu-Worker) and the tests check both took part."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import httpx
import pytest
import sqlalchemy as sa

from service.conftest import free_port

ORDERS = ("订单编号,买家会员名,买家实际支付金额,订单状态,订单创建时间\n"
          "WK-1,wk_buyer1,120.50,交易成功,2026-01-02 10:00:00\n"
          "WK-2,wk_buyer2,88.00,交易成功,2026-01-03 11:00:00\n"
          "WK-3,wk_buyer3,19.90,交易成功,\n")  # no creation time: quarantined


@dataclass
class Workers:
    url: str
    warehouse: Path
    headers: dict[str, str]


@pytest.fixture
def workers(demo_warehouse: Path, tmp_path: Path) -> Iterator[Workers]:
    from siyu.auth.users import add_user, create_token
    from siyu.config.settings import load_settings
    from siyu.engine.snapshot import publish
    from siyu.store import open_store, store_url

    warehouse = tmp_path / "w.duckdb"
    shutil.copy(demo_warehouse, warehouse)
    publish(warehouse)
    store = open_store(store_url(load_settings(None), warehouse))
    add_user(store, "op", "operator", password="op-pw")
    add_user(store, "an", "analyst")
    headers = {"op": create_token(store, "op"), "an": create_token(store, "an")}
    store.dispose()
    port = free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, "-m", "siyu", "serve", "--workers", "2", "--port", str(port),
                             "--warehouse", str(warehouse)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=env, cwd=tmp_path)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for_both(url, proc)
        yield Workers(url, warehouse, headers)
    finally:
        proc.terminate()
        proc.wait(30)


def _wait_for_both(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    seen: set[str] = set()
    while len(seen) < 2:
        if proc.poll() is not None or time.monotonic() > deadline:
            err = proc.stderr.read().decode() if proc.stderr and proc.poll() is not None else ""
            raise RuntimeError(f"siyu serve --workers 2 did not start both workers: {err[-2000:]}")
        try:
            seen.add(httpx.get(f"{url}/health", timeout=2).headers["x-siyu-worker"])
        except httpx.HTTPError:
            time.sleep(0.2)


def call(w: Workers, method: str, path: str, who: str | None = "op", **kw: object) -> httpx.Response:
    """One request on a fresh connection (so the kernel may hand it to either worker)."""
    headers = {"Authorization": f"Bearer {w.headers[who]}"} if who else {}
    return httpx.request(method, f"{w.url}{path}", headers=headers, timeout=60, **kw)  # type: ignore[arg-type]


def from_both(w: Workers, path: str, who: str = "op", tries: int = 60) -> dict[str, dict[str, object]]:
    """The same GET answered by each of the two workers: worker → JSON."""
    answers: dict[str, dict[str, object]] = {}
    for _ in range(tries):
        r = call(w, "GET", path, who)
        assert r.status_code == 200, r.text
        answers[r.headers["x-siyu-worker"]] = r.json()
        if len(answers) == 2:
            return answers
    raise AssertionError(f"{tries} requests for {path} all landed on one worker")


def wait_done(w: Workers, path: str, who: str = "op", seconds: float = 600) -> dict[str, object]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        body: dict[str, object] = call(w, "GET", path, who).json()
        if body["status"] in ("done", "failed"):
            return body
        time.sleep(0.3)
    raise AssertionError(f"{path} still not finished after {seconds} s")


def test_login_throttle_holds_across_workers(workers: Workers) -> None:
    landed = set()
    for _ in range(5):
        r = call(workers, "POST", "/auth/login", None, json={"name": "op", "password": "wrong"})
        assert r.status_code == 401
        landed.add(r.headers["x-siyu-worker"])
    answers = {}
    for _ in range(40):  # the right password now, on either worker: still throttled
        r = call(workers, "POST", "/auth/login", None, json={"name": "op", "password": "op-pw"})
        answers[r.headers["x-siyu-worker"]] = r.status_code
        if len(answers) == 2:
            break
    assert answers and set(answers.values()) == {429}
    assert len(landed | set(answers)) == 2


def test_import_started_on_one_worker_is_followed_from_the_other_and_a_retry_adds_nothing(
        workers: Workers) -> None:
    files = {"file": ("orders.csv", ORDERS.encode("utf-8"), "text/csv")}
    upload = call(workers, "POST", "/imports/uploads", data={"source": "tmall"}, files=files).json()["upload"]
    body = {"upload": upload, "source": "tmall"}
    assert call(workers, "POST", "/imports", "an", json=body).status_code == 403  # an analyst may not import
    r = call(workers, "POST", "/imports", json=body)
    assert r.status_code == 202, r.text
    job = r.json()["job_id"]
    for answer in from_both(workers, f"/imports/jobs/{job}").values():
        assert answer["job_id"] == job and answer["upload"] == upload
    done = wait_done(workers, f"/imports/jobs/{job}")
    assert done["status"] == "done", done
    result = done["result"]
    assert isinstance(result, dict)
    assert (result["rows_read"], result["rows_loaded"], result["rows_quarantined"]) == (3, 2, 1)
    # the header, as the operator knows it
    assert [(q["row"], q["field"]) for q in result["quarantine"]] == [(4, "订单创建时间")]
    for answer in from_both(workers, f"/imports/jobs/{job}").values():
        assert answer["status"] == "done" and answer["result"] == result
    again = call(workers, "POST", "/imports", json=body)  # the same request retried: the same job, no new import
    assert again.status_code == 200 and again.json()["job_id"] == job
    second = call(workers, "POST", "/imports/uploads", data={"source": "tmall"}, files=files).json()["upload"]
    r = call(workers, "POST", "/imports", json={"upload": second, "source": "tmall"})  # the same file uploaded again
    redo = wait_done(workers, f"/imports/jobs/{r.json()['job_id']}")
    assert redo["result"]["rows_loaded"] == 0 and redo["result"]["rows_duplicate"] == 2  # type: ignore[index]
    with duckdb.connect(str(workers.warehouse), read_only=True) as con:
        held = con.execute("SELECT count(*) FROM raw_order WHERE order_id LIKE 'WK-%'").fetchone()
    assert held == (2,)
    from siyu.config.settings import load_settings
    from siyu.store import open_store, store_url
    from siyu.store.tables import audit

    store = open_store(store_url(load_settings(None), workers.warehouse), migrate=False)
    with store.connect() as con:
        imports = con.execute(sa.select(audit.c.user_name, audit.c.target).where(audit.c.action == "import")).all()
    store.dispose()
    assert [tuple(row) for row in imports] == [("op", f"tmall {upload}"), ("op", f"tmall {second}")]


def test_run_started_on_one_worker_is_followed_from_the_other(workers: Workers) -> None:
    r = call(workers, "POST", "/runs")
    assert r.status_code == 202, r.text
    run = r.json()["id"]
    busy = [call(workers, "POST", "/runs").status_code for _ in range(4)]  # whichever worker: one run at a time
    answers = from_both(workers, "/runs/current")
    assert {a["id"] for a in answers.values()} == {run}
    deadline = time.monotonic() + 900
    while (current := call(workers, "GET", "/runs/current").json())["running"]:
        assert time.monotonic() < deadline, "the run did not finish"
        time.sleep(1)
    assert current["exit_code"] == 0, current["output"]
    assert set(busy) <= {409, 202} and 409 in busy
    for answer in from_both(workers, "/runs/current").values():
        assert answer["id"] == run and answer["status"] == "done" and answer["exit_code"] == 0


def test_export_started_on_one_worker_is_followed_and_downloaded_from_the_other(workers: Workers) -> None:
    r = call(workers, "PUT", "/segments/big-spenders", "an", json={"expression": "net_spend > 1000"})
    assert r.status_code == 200, r.text
    size = r.json()["count"]
    r = call(workers, "POST", "/segments/big-spenders/exports", "an", json={})
    assert r.status_code == 202, r.text
    job = r.json()["job_id"]
    wait_done(workers, f"/exports/{job}", "an")
    for answer in from_both(workers, f"/exports/{job}", "an").values():
        assert answer["status"] == "done" and answer["rows"] == size
    served_by = set()
    for _ in range(40):
        r = call(workers, "GET", f"/exports/{job}/download", "an")
        assert r.status_code == 200 and r.content.decode("utf-8-sig").count("\n") == size + 1
        served_by.add(r.headers["x-siyu-worker"])
        if len(served_by) == 2:
            break
    assert len(served_by) == 2
