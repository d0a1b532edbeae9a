"""The member ledger over real HTTP: balances after earning and adjusting, Idempotency-Key replays that post once,
409 for a reused key with another body and for an overdraw, 422 without a reason or a key, a guide's 404 outside
their customers, audit rows for every write, and 50 parallel redemptions that never overdraw. Every test runs
against a server whose store is SQLite and one whose store is PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Iterator

import duckdb
import httpx
import pytest
import sqlalchemy as sa

from service.conftest import ROLES_UNDER_TEST, Served, free_port, start_server
from siyu.loyalty import earning
from siyu.loyalty.orders import OrderRow
from siyu.loyalty.rules import LoyaltySettings
from siyu.loyalty.tables import posting


def new_person() -> str:
    return f"T{uuid.uuid4().hex[:12]}"  # not in the warehouse: the ledger serves every role but a guide


def key() -> str:
    return str(uuid.uuid4())


def write(api: Served, role: str, path: str, body: object, idem: str | None = None) -> httpx.Response:
    headers = api.headers(role) | ({"Idempotency-Key": idem} if idem else {})
    return httpx.post(api.url + "/loyalty" + path, headers=headers, json=body, timeout=30)


def read(api: Served, role: str, path: str, **params: int | str) -> httpx.Response:
    return httpx.get(api.url + "/loyalty" + path, headers=api.headers(role), params=params, timeout=30)


def points(api: Served, person: str) -> int:
    r = read(api, "admin", f"/persons/{person}")
    assert r.status_code == 200, r.text
    return int(r.json()["points"])


def postings(store: sa.Engine, person: str, type_: str) -> int:
    with store.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(posting)
                                .where(posting.c.person_id == person, posting.c.type == type_)).scalar_one())


def credit(api: Served, person: str, amount: int) -> None:
    r = write(api, "admin", f"/persons/{person}/adjust", {"points": amount, "reason": "test credit"}, key())
    assert r.status_code == 201, r.text


# --- the server on each store ------------------------------------------------------------------------------------

@pytest.fixture(params=["sqlite", "postgresql"])
def api(request: pytest.FixtureRequest, served: Served) -> Iterator[Served]:
    """The session's server (its store on SQLite), or a second server on the same warehouse with its store on
    PostgreSQL (SIYU_TEST_PG_URL) and the same roles: every test here runs on both."""
    session = served
    if request.param == "sqlite":
        yield session
        return
    from siyu.api.app import create_app
    from siyu.api.context import service_config
    from siyu.auth.users import add_user, create_token
    from siyu.config.settings import load_settings
    from siyu.store import open_store

    store = open_store(request.getfixturevalue("pg_url"))
    cfg = service_config(session.warehouse, load_settings(None), store)
    tokens = {}
    for role in ROLES_UNDER_TEST:
        add_user(store, role, role, staff_id=session.guide_staff if role == "guide" else None)
        tokens[role] = create_token(store, role, "tests")
    port = free_port()
    server, thread = start_server(create_app(cfg), port)
    yield Served(f"http://127.0.0.1:{port}", session.warehouse, store, tokens, session.guide_staff)
    server.should_exit = True
    thread.join(10)
    cfg.serving.close()
    store.dispose()


def test_balance_after_earning_and_adjusting(api: Served) -> None:
    person = new_person()
    paid = dt.date.today() - dt.timedelta(days=60)  # its return window has closed: the points are available
    earning.sync(api.store, [OrderRow(person, "tmall", f"o-{person}", 1, "paid", 12_000, paid)],
                 LoyaltySettings(), dt.date.today())
    body = read(api, "analyst", f"/persons/{person}").json()
    assert (body["points"], body["points_pending"]) == (120, 0)
    assert body["lots"] == [{"lot_id": body["lots"][0]["lot_id"], "expires_on": f"{paid.year + 1}-12-31",
                             "points": 120}]
    r = write(api, "operator", f"/persons/{person}/adjust",
              {"points": 30, "reason": "goodwill after a late parcel", "expires_on": "2099-01-01"}, key())
    assert r.status_code == 201 and r.json()["entries"][0]["amount"] == 30
    body = read(api, "analyst", f"/persons/{person}").json()
    assert body["points"] == 150
    assert [lot["points"] for lot in body["lots"]] == [120, 30]  # earliest-expiring first
    page = read(api, "analyst", f"/persons/{person}/history", limit=1).json()
    assert page["total"] == 4 and page["items"][0]["type"] == "manual_adjust"  # + pending, release (2 legs)
    assert page["items"][0]["reason"] == "goodwill after a late parcel"
    rest = read(api, "analyst", f"/persons/{person}/history", limit=10, offset=1).json()["items"]
    assert [(i["type"], i["kind"], i["amount"]) for i in rest] == [
        ("release", "points_pending", -120), ("release", "points", 120), ("earn_pending", "points_pending", 120)]


def test_redeem_replay_posts_once_and_another_body_under_the_key_is_409(api: Served) -> None:
    person, k = new_person(), key()
    credit(api, person, 100)
    first = write(api, "operator", f"/persons/{person}/redeem", {"points": 40}, k)
    assert first.status_code == 201 and first.headers["Idempotent-Replayed"] == "false"
    again = write(api, "operator", f"/persons/{person}/redeem", {"points": 40}, k)
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    other = write(api, "operator", f"/persons/{person}/redeem", {"points": 41}, k)
    assert other.status_code == 409 and "different request" in other.json()["detail"]
    elsewhere = write(api, "operator", f"/persons/{person}/wallet/topup", {"principal": "1.00"}, k)
    assert elsewhere.status_code == 409
    assert points(api, person) == 60
    assert postings(api.store, person, "redeem") == 1


def test_overdraw_is_409_in_one_line_and_posts_nothing(api: Served) -> None:
    person = new_person()
    credit(api, person, 50)
    r = write(api, "operator", f"/persons/{person}/redeem", {"points": 51}, key())
    assert r.status_code == 409 and "\n" not in r.json()["detail"] and "holds 50 points" in r.json()["detail"]
    r = write(api, "operator", f"/persons/{person}/adjust", {"points": -51, "reason": "fix"}, key())
    assert r.status_code == 409
    assert write(api, "operator", f"/persons/{person}/wallet/spend", {"amount": "0.01"}, key()).status_code == 409
    assert write(api, "operator", f"/persons/{person}/wallet/refund", {"principal": "1"}, key()).status_code == 409
    assert points(api, person) == 50
    assert postings(api.store, person, "redeem") == 0


def test_a_missing_reason_or_key_is_422_and_posts_nothing(api: Served) -> None:
    person = new_person()
    for body in ({"points": 10}, {"points": 10, "reason": "   "}, {"points": 10, "reason": ""}):
        assert write(api, "admin", f"/persons/{person}/adjust", body, key()).status_code == 422
    assert write(api, "admin", f"/persons/{person}/adjust", {"points": 10, "reason": "ok"}).status_code == 422
    assert write(api, "admin", f"/persons/{person}/redeem", {"points": 1}).status_code == 422
    assert write(api, "admin", f"/persons/{person}/wallet/topup", {"principal": "1.00"}).status_code == 422
    assert write(api, "admin", f"/persons/{person}/wallet/topup", {"principal": "1.005"}, key()).status_code == 422
    assert read(api, "admin", f"/persons/{person}").json()["points"] == 0
    assert read(api, "admin", f"/persons/{person}/history").json()["total"] == 0


def _warehouse_person(api: Served, guide_owned: bool) -> str:
    cond = "p.owner_staff_id = $s" if guide_owned else (
        "coalesce(p.owner_staff_id, '') <> $s AND p.owner_store_id IS NULL")
    with duckdb.connect(str(api.warehouse), read_only=True) as con:
        row = con.execute(f"SELECT p.person_id FROM person_profile p WHERE {cond} ORDER BY person_id LIMIT 1",
                          {"s": api.guide_staff}).fetchone()
    assert row is not None
    return str(row[0])


def test_a_guide_reads_and_redeems_for_own_customers_only(api: Served) -> None:
    own, other = _warehouse_person(api, True), _warehouse_person(api, False)
    credit(api, own, 20)
    credit(api, other, 20)
    assert read(api, "guide", f"/persons/{own}").status_code == 200
    assert write(api, "guide", f"/persons/{own}/redeem", {"points": 5}, key()).status_code == 201
    for r in (read(api, "guide", f"/persons/{other}"), read(api, "guide", f"/persons/{other}/history"),
              write(api, "guide", f"/persons/{other}/redeem", {"points": 5}, key())):
        assert r.status_code == 404 and r.json() == {"detail": "no such person"}
    assert write(api, "guide", f"/persons/{own}/adjust", {"points": 5, "reason": "x"}, key()).status_code == 403
    assert write(api, "analyst", f"/persons/{own}/redeem", {"points": 1}, key()).status_code == 403
    assert read(api, "auditor", f"/persons/{own}").status_code == 403
    assert read(api, "guide", "/wallet/liability").status_code == 403
    assert (points(api, own), points(api, other)) == (15, 20)


def test_every_write_is_audited_once_with_who_and_why(api: Served) -> None:
    person = new_person()
    k = key()
    for _ in range(2):  # the replay is not a second act
        write(api, "operator", f"/persons/{person}/adjust", {"points": 7, "reason": "store opening gift"}, k)
    write(api, "operator", f"/persons/{person}/wallet/topup", {"principal": "50.00", "gift": "5.00"}, key())
    rows = httpx.get(api.url + "/audit", headers=api.headers("auditor"),
                     params={"user": "operator", "limit": 500}, timeout=30).json()["items"]
    mine = [r for r in rows if person in r["target"]]
    assert sorted(r["action"] for r in mine) == ["points.adjust", "wallet.topup"]
    adjust = next(r for r in mine if r["action"] == "points.adjust")
    assert adjust["reason"] == "store opening gift" and adjust["user_name"] == "operator" and adjust["at"]


def test_a_redemption_is_audited_once_with_its_posting_who_and_why(api: Served) -> None:
    person, k = new_person(), key()
    credit(api, person, 10)
    first = write(api, "operator", f"/persons/{person}/redeem", {"points": 4, "reason": "tea set"}, k)
    replay = write(api, "operator", f"/persons/{person}/redeem", {"points": 4, "reason": "tea set"}, k)
    assert (first.status_code, replay.status_code) == (201, 200)
    refused = write(api, "operator", f"/persons/{person}/redeem", {"points": 99}, key())
    assert refused.status_code == 409
    rows = httpx.get(api.url + "/audit", headers=api.headers("auditor"),
                     params={"action": "points.redeem", "limit": 500}, timeout=30).json()["items"]
    mine = [r for r in rows if r["target"].startswith(f"{person} ")]
    assert [(r["target"], r["user_name"], r["reason"]) for r in mine] == [
        (f"{person} -4 (posting {first.json()['posting_id']})", "operator", "tea set")]
    assert mine[0]["at"]


def test_stored_value_topup_spend_refund_and_liability(api: Served) -> None:
    person = new_person()
    r = write(api, "operator", f"/persons/{person}/wallet/topup", {"principal": "100.00", "gift": "10.00"}, key())
    assert r.status_code == 201
    assert read(api, "admin", f"/persons/{person}").json()["stored_value"] == {
        "principal": "100.00", "gift": "10.00", "total": "110.00"}
    assert write(api, "operator", f"/persons/{person}/wallet/spend",
                 {"amount": "60.50", "channel": "store", "order_id": "S1"}, key()).status_code == 201
    r = write(api, "operator", f"/persons/{person}/wallet/refund", {"principal": "39.51"}, key())
    assert r.status_code == 409  # 39.50 of principal is left
    r = write(api, "operator", f"/persons/{person}/wallet/refund", {"principal": "39.50"}, key())
    assert r.status_code == 201
    assert read(api, "admin", f"/persons/{person}").json()["stored_value"] == {
        "principal": "0.00", "gift": "0.00", "total": "0.00"}
    months = read(api, "analyst", "/wallet/liability").json()["months"]
    assert months and months[-1]["month"] == dt.datetime.now(dt.UTC).strftime("%Y-%m")


def test_coupons_issue_redeem_and_expiring(api: Served) -> None:
    person, k = new_person(), key()
    first = write(api, "operator", f"/persons/{person}/coupons", {"value": "10", "valid_days": 2}, k)
    assert first.status_code == 201 and first.json()["value"] == "10.00"
    again = write(api, "operator", f"/persons/{person}/coupons", {"value": "10", "valid_days": 2}, k)
    assert again.status_code == 200 and again.json() == first.json()
    cid = first.json()["coupon_id"]
    soon = read(api, "operator", "/coupons/expiring", within_days=3, limit=500).json()["items"]
    assert cid in [c["coupon_id"] for c in soon]
    assert read(api, "admin", f"/persons/{person}").json()["coupons"] == [first.json()]
    redeem = {"channel": "store", "order_id": "S9"}
    assert write(api, "operator", f"/persons/{new_person()}/coupons/{cid}/redeem", redeem, key()).status_code == 404
    rk = key()
    r = write(api, "operator", f"/persons/{person}/coupons/{cid}/redeem", redeem, rk)
    assert r.status_code == 201 and r.json()["status"] == "redeemed"
    assert write(api, "operator", f"/persons/{person}/coupons/{cid}/redeem", redeem, rk).status_code == 200
    r = write(api, "operator", f"/persons/{person}/coupons/{cid}/redeem", {**redeem, "order_id": "S10"}, key())
    assert r.status_code == 409 and "redeemed" in r.json()["detail"]


def test_50_parallel_redemptions_never_overdraw(api: Served) -> None:
    person = new_person()
    credit(api, person, 300)
    start = threading.Barrier(50)
    codes: list[int] = []

    def redeem() -> None:
        with httpx.Client(timeout=120) as client:
            start.wait()
            codes.append(client.post(f"{api.url}/loyalty/persons/{person}/redeem", json={"points": 10},
                                     headers=api.headers("operator") | {"Idempotency-Key": key()}).status_code)

    threads = [threading.Thread(target=redeem) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(set(codes)) == [201, 409] and len(codes) == 50
    assert codes.count(201) == 30
    assert postings(api.store, person, "redeem") == 30
    assert points(api, person) == 0


def test_a_store_locked_past_the_wait_is_503_with_retry_after_and_nothing_is_kept(served: Served) -> None:
    """SQLite only (the session's store): it locks the whole store; PostgreSQL writers wait on row locks."""
    import sqlite3

    api = served
    assert api.store.dialect.name == "sqlite"

    person, k = new_person(), key()
    credit(api, person, 10)
    holder = sqlite3.connect(str(api.store.url.database), isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another writer holds the store past the API's patience
        r = write(api, "operator", f"/persons/{person}/redeem", {"points": 4}, k)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert r.status_code == 503 and r.headers["Retry-After"] == "1" and "busy" in r.json()["detail"]
    assert postings(api.store, person, "redeem") == 0
    again = write(api, "operator", f"/persons/{person}/redeem", {"points": 4}, k)  # the key was not kept either
    assert again.status_code == 201 and points(api, person) == 6


def test_the_audit_row_commits_with_its_posting_or_neither_does(api: Served) -> None:
    person, k = new_person(), key()
    credit(api, person, 10)
    trigger = "siyu_test_audit_down"
    if api.store.dialect.name == "sqlite":
        down = [f"CREATE TRIGGER {trigger} BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'audit is down'); END"]
        up = [f"DROP TRIGGER {trigger}"]
    else:
        down = [f"CREATE FUNCTION {trigger}() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'audit is down'; END $$ "
                f"LANGUAGE plpgsql",
                f"CREATE TRIGGER {trigger} BEFORE INSERT ON audit FOR EACH ROW EXECUTE FUNCTION {trigger}()"]
        up = [f"DROP TRIGGER {trigger} ON audit", f"DROP FUNCTION {trigger}()"]
    with api.store.begin() as conn:  # the audit table refuses rows: the posting must not survive alone
        for sql in down:
            conn.exec_driver_sql(sql)
    try:
        failed = write(api, "operator", f"/persons/{person}/redeem", {"points": 3, "reason": "gift"}, k)
    finally:
        with api.store.begin() as conn:
            for sql in up:
                conn.exec_driver_sql(sql)
    assert failed.status_code == 500
    assert postings(api.store, person, "redeem") == 0 and points(api, person) == 10
    done = write(api, "operator", f"/persons/{person}/redeem", {"points": 3, "reason": "gift"}, k)
    assert done.status_code == 201 and points(api, person) == 7
    rows = httpx.get(api.url + "/audit", headers=api.headers("auditor"),
                     params={"action": "points.redeem", "limit": 500}, timeout=30).json()["items"]
    assert len([r for r in rows if r["target"].startswith(f"{person} -3")]) == 1
