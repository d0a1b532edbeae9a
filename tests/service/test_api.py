"""The API over real HTTP: masking by default, audited unmasking, a guide's scope, segment errors with their
position, pagination, exports, identity decisions and logins."""

from __future__ import annotations

import logging
import os
import re
import time

import duckdb
import httpx
import pytest

from service.conftest import Served

MASKED_PHONE = re.compile(r"^(1\d{2}\*{4}\d{4}|\*+\d{2})$")


def get(served: Served, role: str | None, path: str, **params: object) -> httpx.Response:
    return httpx.get(served.url + path, headers=served.headers(role), params=params, timeout=30)


def post(served: Served, role: str | None, path: str, body: object = None, **params: object) -> httpx.Response:
    return httpx.post(served.url + path, headers=served.headers(role), json=body, params=params, timeout=30)


def _person(served: Served, guide_owned: bool) -> dict[str, object]:
    """A person with a phone, owned (or not) by the guide's staff id and store."""
    cond = "p.owner_staff_id = $s" if guide_owned else (
        "coalesce(p.owner_staff_id, '') <> $s AND p.owner_store_id IS NULL")
    with duckdb.connect(str(served.warehouse), read_only=True) as con:
        row = con.execute(f"SELECT p.person_id, p.phone, p.name FROM person_profile p WHERE {cond} "
                          f"AND regexp_matches(p.phone, '^1[0-9]{{10}}$') AND length(p.name) > 1 "
                          f"ORDER BY person_id LIMIT 1", {"s": served.guide_staff}).fetchone()
    assert row is not None
    return {"person_id": row[0], "phone": row[1], "name": row[2]}


def test_phone_search_full_or_masked_finds_the_person_masked(served: Served) -> None:
    who = _person(served, guide_owned=False)
    phone = str(who["phone"])
    wide = "".join(chr(ord(c) + 0xFEE0) for c in phone)  # full-width digits, as a phone keyboard may type them
    typed = (phone, phone[:3] + "****" + phone[-4:], f"+86 {phone[:3]} {phone[3:7]} {phone[7:]}", f"86-{phone}", wide,
             f"0086{phone[:3]}***{phone[-4:]}")
    for query in typed:  # as a guide or operator types it: country prefix, spaces, full-width digits, any stars
        r = get(served, "analyst", "/persons", phone=query)
        assert r.status_code == 200
        items = r.json()["items"]
        assert who["person_id"] in [i["person_id"] for i in items]
        assert all(MASKED_PHONE.fullmatch(i["phone"]) for i in items if i["phone"])
        assert phone not in r.text and str(who["name"]) not in r.text


def test_360_is_masked_by_default_and_unmasking_is_audited(served: Served) -> None:
    who = _person(served, guide_owned=False)
    r = get(served, "analyst", f"/persons/{who['person_id']}")
    assert r.status_code == 200
    doc = r.json()
    assert set(doc) >= {"profile", "identities", "orders", "messages", "groups", "tags", "tag_history", "clv", "owner"}
    assert str(who["phone"]) not in r.text and doc["profile"]["phone"] == who["phone"][:3] + "****" + who["phone"][-4:]
    assert get(served, "analyst", f"/persons/{who['person_id']}", unmask=True).status_code == 422  # no reason
    r = get(served, "analyst", f"/persons/{who['person_id']}", unmask=True, reason="customer called: ticket 42")
    assert r.status_code == 200 and r.json()["profile"]["phone"] == who["phone"]
    audit = get(served, "auditor", "/audit", action="unmask").json()["items"]
    assert any(a["user_name"] == "analyst" and a["target"] == who["person_id"] and "ticket 42" in a["reason"]
               for a in audit)


def test_guide_may_not_unmask(served: Served) -> None:
    who = _person(served, guide_owned=True)
    r = get(served, "guide", f"/persons/{who['person_id']}", unmask=True, reason="curious")
    assert r.status_code == 403 and who["phone"] not in r.text


def test_guide_sees_own_customers_and_gets_404_for_another_stores(served: Served) -> None:
    own, other = _person(served, guide_owned=True), _person(served, guide_owned=False)
    assert get(served, "guide", f"/persons/{own['person_id']}").status_code == 200
    r = get(served, "guide", f"/persons/{other['person_id']}")
    assert r.status_code == 404 and r.json() == {"detail": "no such person"}
    assert get(served, "guide", "/persons", person_id=other["person_id"]).json()["total"] == 0
    assert get(served, "guide", "/persons", phone=other["phone"]).json()["items"] == []
    assert get(served, "analyst", f"/persons/{other['person_id']}").status_code == 200


def test_segment_mistake_is_422_with_its_position(served: Served) -> None:
    for _ in range(2):  # the count's compiled SQL is kept per snapshot; a mistake is never kept
        r = post(served, "analyst", "/segments/count", {"expression": "orders >= 2 and netspend > 100"})
        assert r.status_code == 422
        body = r.json()
        assert body["position"]["start"] == 16 and "net_spend" in body["message"]
    counts = [post(served, "analyst", "/segments/count", {"expression": e}).json()["count"]
              for e in ("orders >= 2", "orders >= 3", "orders >= 2")]
    assert counts[0] == counts[2] > counts[1] > 0


def test_preview_pages_and_masks(served: Served) -> None:
    first = post(served, "analyst", "/segments/preview", {"expression": "orders >= 1"}, limit=5).json()
    second = post(served, "analyst", "/segments/preview", {"expression": "orders >= 1"}, limit=5, offset=5).json()
    assert len(first["items"]) == 5 and first["total"] == second["total"] > 10
    assert {i["person_id"] for i in first["items"]}.isdisjoint(i["person_id"] for i in second["items"])
    assert all(MASKED_PHONE.fullmatch(i["phone"]) for i in first["items"] if i["phone"])


def test_saved_segment_export_runs_in_background_and_is_audited(served: Served) -> None:
    headers = served.headers("analyst")
    r = httpx.put(f"{served.url}/segments/loyal", headers=headers, json={"expression": "orders >= 5"})
    assert r.status_code == 200
    size = r.json()["count"]
    assert get(served, "analyst", "/segments/loyal/members", limit=3).json()["total"] == size
    job = post(served, "analyst", "/segments/loyal/exports", {"unmask": False})
    assert job.status_code == 202
    job_id = job.json()["job_id"]
    for _ in range(100):
        status = get(served, "analyst", f"/exports/{job_id}").json()
        if status["status"] in ("done", "failed"):
            break
        time.sleep(0.1)
    assert status["status"] == "done" and status["rows"] == size
    csv = get(served, "analyst", f"/exports/{job_id}/download")
    assert csv.status_code == 200 and csv.text.lstrip("\ufeff").count("\n") == size + 1
    assert get(served, "operator", f"/exports/{job_id}").status_code == 403  # operators may not export
    actions = {(a["action"], a["target"]) for a in get(served, "auditor", "/audit", user="analyst").json()["items"]}
    assert ("export", "segment loyal") in actions and ("download", f"export {job_id}") in actions


def test_an_export_whose_server_process_died_is_reported_failed_not_running(served: Served) -> None:
    """An export runs inside the server process that accepted it; when that process is gone (killed, restarted),
    polling says failed with a reason instead of "running" for ever. A restarted server that got the old pid is not
    taken for the old one."""
    import datetime as dt
    import subprocess
    import sys

    from siyu.store.tables import export_jobs

    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    server = os.getpid()  # the served fixture's uvicorn runs in this process
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    rows = {"gone": (ended.pid, now, "running"),  # the worker is dead
            "reused": (server, now - dt.timedelta(days=1), "queued"),  # the pid now is a newer process's
            "alive": (server, now, "running")}  # still running in the live server
    with served.store.begin() as con:
        for job_id, (pid, created, status) in rows.items():
            con.execute(export_jobs.insert().values(id=f"died-{job_id}", user_name="analyst", segment="loyal",
                                                    unmask=False, status=status, message="", created_at=created,
                                                    pid=pid))
    for job_id in ("gone", "reused"):
        status = get(served, "analyst", f"/exports/died-{job_id}").json()
        assert status["status"] == "failed" and "start the export again" in status["message"], status
        assert get(served, "analyst", f"/exports/died-{job_id}/download").status_code == 409
    assert get(served, "analyst", "/exports/died-alive").json()["status"] == "running"


def test_identity_decision_is_pending_for_the_next_run(served: Served) -> None:
    pair = get(served, "operator", "/identity/queue", limit=1).json()["items"][0]
    assert {"a", "b", "probability", "shared_keys", "same_person"} <= set(pair)
    r = post(served, "operator", "/identity/decisions", {"kind": "split", "a": pair["a"], "b": pair["b"]})
    assert r.status_code == 201
    assert get(served, "operator", "/identity/decisions").json()["items"][0]["a"] == pair["a"]
    assert post(served, "analyst", "/identity/decisions", {"kind": "split", "a": pair["a"]}).status_code == 403


def test_metrics_filter_and_funnel(served: Served) -> None:
    r = get(served, "analyst", "/metrics", grain="month", slice="channel", limit=500)
    items = r.json()["items"]
    assert items and all(i["grain"] == "month" and i["slice"] == "channel" for i in items)
    assert get(served, "analyst", "/metrics", **{"from": "2026-02-31"}).status_code == 422
    funnel = get(served, "analyst", "/funnel").json()
    assert {"before", "after", "decomposition"} <= set(funnel)


def test_browser_login_sets_cookie_and_writes_need_csrf(served: Served) -> None:
    with httpx.Client(base_url=served.url) as browser:
        r = browser.post("/auth/login", json={"name": "operator", "password": "operator-pw"})
        assert r.status_code == 200 and "httponly" in r.headers["set-cookie"].lower()
        csrf = r.json()["csrf_token"]
        assert browser.get("/auth/me").json()["role"] == "operator"
        body = {"kind": "split", "a": "tmall:tb-x"}
        assert browser.post("/identity/decisions", json=body).status_code == 403
        assert browser.post("/identity/decisions", json=body, headers={"X-CSRF-Token": csrf}).status_code == 201
        browser.post("/auth/logout", headers={"X-CSRF-Token": csrf})
        assert browser.get("/auth/me").status_code == 401


@pytest.mark.parametrize("attempts", [5])
def test_login_is_rate_limited(served: Served, attempts: int) -> None:
    for _ in range(attempts):
        assert post(served, None, "/auth/login", {"name": "auditor", "password": "nope"}).status_code == 401
    r = post(served, None, "/auth/login", {"name": "auditor", "password": "auditor-pw"})
    assert r.status_code == 429


def test_openapi_and_docs_are_served(served: Served) -> None:
    assert get(served, None, "/openapi.json").json()["info"]["title"] == "siyu"
    docs = get(served, None, "/docs")  # siyu's own page (test_docs_page.py), no longer the CDN Swagger UI
    assert docs.status_code == 200 and 'href="/openapi.json"' in docs.text and "/persons/{person_id}" in docs.text


def test_server_log_has_no_personal_data(served: Served, caplog: pytest.LogCaptureFixture) -> None:
    who = _person(served, guide_owned=False)
    with caplog.at_level(logging.INFO, logger="siyu.api"):
        assert get(served, "analyst", "/persons", phone=who["phone"]).status_code == 200
        assert get(served, "analyst", "/persons", name=who["name"]).status_code == 200
    lines = [r.getMessage() for r in caplog.records if r.name == "siyu.api"]
    assert any(line.startswith("GET /persons 200") for line in lines)
    assert not any(str(who["phone"]) in line or str(who["name"]) in line for line in lines)


def test_upload_previews_the_mapping_without_row_values(served: Served) -> None:
    csv = ("订单编号,买家会员名,订单状态,订单创建时间,联系手机,备注\n"
           "T1,buyer1,交易成功,2026-01-02 10:00:00,13812345678,x\n")
    files = {"file": ("orders.csv", csv.encode("utf-8"), "text/csv")}
    r = httpx.post(f"{served.url}/imports/uploads", headers=served.headers("operator"), data={"source": "tmall"},
                   files=files, timeout=30)
    assert r.status_code == 201, r.text
    body = r.json()
    mapped = {f["field"]: f["header"] for f in body["fields"]}
    assert mapped["order_id"] == "订单编号" and mapped["phone"] == "联系手机"
    assert body["missing_required"] == ["amount_paid"] and body["unused_headers"] == ["备注"]
    assert "13812345678" not in r.text
    r = httpx.post(f"{served.url}/imports/uploads", headers=served.headers("operator"), data={"source": "tmal"},
                   files=files, timeout=30)
    assert r.status_code == 422 and "unknown source 'tmal'" in r.json()["detail"]
