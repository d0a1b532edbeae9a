"""The API routes the console added: health of the last run, staff against the team, script lines per staff
member, withdrawing an identity decision, and the segments every run re-evaluates."""

from __future__ import annotations

import duckdb
import httpx
import sqlalchemy as sa
from service.conftest import Served, demo_warehouse, served  # noqa: F401  (the service's fixtures)

from siyu.store.tables import identity_decisions


def test_health_names_the_components_below_target_worst_first(served: Served) -> None:  # noqa: F811
    h = httpx.get(served.url + "/metrics/health", headers=served.headers("auditor"), timeout=30).json()
    with duckdb.connect(str(served.warehouse), read_only=True) as con:
        stored = {r[0]: r[1] for r in con.execute("SELECT name, score FROM metric_health").fetchall()}
    assert {c["name"]: c["score"] for c in h["components"]} == stored
    below = sorted((s, n) for n, s in stored.items() if s is not None and s < 100)[:3]
    assert h["draggers"] == [n for _, n in below]
    assert h["summary"]["zh"].startswith(f"健康度 {h['score']:.0f}")
    assert min(stored.values()) <= h["score"] <= max(stored.values())  # a weighted mean of the components
    assert httpx.get(served.url + "/metrics/health", headers=served.headers("guide"), timeout=30).status_code == 403


def test_staff_and_their_script_lines(served: Served) -> None:  # noqa: F811
    headers = served.headers("analyst")
    staff = httpx.get(served.url + "/funnel/staff", headers=headers, timeout=30).json()["items"]
    assert staff and [s["rate"] for s in staff] == sorted(s["rate"] for s in staff)
    assert all(s["low"] <= s["rate"] <= s["high"] for s in staff)
    with duckdb.connect(str(served.warehouse), read_only=True) as con:
        busiest = con.execute("SELECT staff_id FROM metric_script_staff GROUP BY 1 ORDER BY sum(sent) DESC LIMIT 1"
                              ).fetchone()[0]  # type: ignore[index]
    mine = httpx.get(served.url + "/funnel/script", params={"staff_id": busiest}, headers=headers, timeout=30).json()
    team = {r["script_line_id"]: r for r in mine["team"]}
    assert mine["staff_id"] == busiest and mine["items"]
    assert all(r["sent"] <= team[r["script_line_id"]]["sent"] for r in mine["items"])
    whole = httpx.get(served.url + "/funnel/script", headers=headers, timeout=30).json()
    assert whole["items"] == whole["team"] == mine["team"]


def test_a_decision_is_withdrawn_until_a_run_applies_it(served: Served) -> None:  # noqa: F811
    headers = served.headers("operator")
    made = httpx.post(served.url + "/identity/decisions", headers=headers, timeout=30,
                      json={"kind": "split", "a": "tmall:undo-a", "b": "jd:undo-b", "note": "test"}).json()
    gone = httpx.delete(f"{served.url}/identity/decisions/{made['id']}", headers=headers, timeout=30)
    assert gone.status_code == 200
    listed = httpx.get(served.url + "/identity/decisions", headers=headers, params={"limit": 500}, timeout=30).json()
    assert made["id"] not in [d["id"] for d in listed["items"]]
    assert httpx.delete(f"{served.url}/identity/decisions/{made['id']}", headers=headers,
                        timeout=30).status_code == 400  # no longer there
    applied = httpx.post(served.url + "/identity/decisions", headers=headers, timeout=30,
                         json={"kind": "merge", "a": "tmall:undo-c", "b": "jd:undo-d"}).json()
    with served.store.begin() as con:
        con.execute(sa.update(identity_decisions).where(identity_decisions.c.id == applied["id"])
                    .values(applied_run="r1"))
    refused = httpx.delete(f"{served.url}/identity/decisions/{applied['id']}", headers=headers, timeout=30)
    assert refused.status_code == 400 and "record the opposite decision" in refused.json()["detail"]
    assert httpx.delete(f"{served.url}/identity/decisions/{applied['id']}", headers=served.headers("analyst"),
                        timeout=30).status_code == 403  # analysts read the queue, they do not decide


def test_segments_every_run_evaluates(served: Served) -> None:  # noqa: F811
    headers = served.headers("analyst")
    listed = httpx.get(served.url + "/segments/tracked", headers=headers, timeout=30)
    assert listed.status_code == 200 and listed.json() == {"items": []}  # the demo saves none in the warehouse
    missing = httpx.get(served.url + "/segments/tracked/nobody/history", headers=headers, timeout=30)
    assert missing.status_code == 404 and "no segment named 'nobody'" in missing.json()["detail"]
