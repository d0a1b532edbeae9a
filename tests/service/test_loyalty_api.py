"""The member ledger over real HTTP: balances after earning and adjusting, Idempotency-Key replays that post once,
409 for a reused key with another body and for an overdraw, 422 without a reason or a key, a guide's 404 outside
their customers, audit rows for every write, and 50 parallel redemptions that never overdraw (SQLite and
PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import duckdb
import httpx
import pytest
import sqlalchemy as sa

from siyu.loyalty import earning
from siyu.loyalty.orders import OrderRow
from siyu.loyalty.rules import LoyaltySettings
from siyu.loyalty.tables import posting
from tests.service.conftest import Served, free_port, start_server


@dataclass
class Ledger:
    """A server to talk to: its URL, its store and an admin's token."""

    url: str
    store: sa.Engine
    token: str

    def headers(self, key: str | None = None) -> dict[str, str]:
        h = {"Authorization": f"Bearer {self.token}"}
        return {**h, "Idempotency-Key": key} if key else h


def new_person() -> str:
    return f"T{uuid.uuid4().hex[:12]}"  # not in the warehouse: the ledger serves every role but a guide


def key() -> str:
    return str(uuid.uuid4())


def write(served: Served, role: str, path: str, body: object, idem: str | None = None) -> httpx.Response:
    headers = served.headers(role) | ({"Idempotency-Key": idem} if idem else {})
    return httpx.post(served.url + "/loyalty" + path, headers=headers, json=body, timeout=30)


def read(served: Served, role: str, path: str, **params: object) -> httpx.Response:
    return httpx.get(served.url + "/loyalty" + path, headers=served.headers(role), params=params, timeout=30)


def points(served: Served, person: str) -> int:
    r = read(served, "admin", f"/persons/{person}")
    assert r.status_code == 200, r.text
    return int(r.json()["points"])


def postings(store: sa.Engine, person: str, type_: str) -> int:
    with store.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(posting)
                                .where(posting.c.person_id == person, posting.c.type == type_)).scalar_one())


def credit(served: Served, person: str, amount: int) -> None:
    r = write(served, "admin", f"/persons/{person}/adjust", {"points": amount, "reason": "test credit"}, key())
    assert r.status_code == 201, r.text


def test_balance_after_earning_and_adjusting(served: Served) -> None:
    person = new_person()
    paid = dt.date.today() - dt.timedelta(days=60)  # its return window has closed: the points are available
    earning.sync(served.store, [OrderRow(person, "tmall", f"o-{person}", 1, "paid", 12_000, paid)],
                 LoyaltySettings(), dt.date.today())
    body = read(served, "analyst", f"/persons/{person}").json()
    assert (body["points"], body["points_pending"]) == (120, 0)
    assert body["lots"] == [{"lot_id": body["lots"][0]["lot_id"], "expires_on": f"{paid.year + 1}-12-31",
                             "points": 120}]
    r = write(served, "operator", f"/persons/{person}/adjust",
              {"points": 30, "reason": "goodwill after a late parcel", "expires_on": "2099-01-01"}, key())
    assert r.status_code == 201 and r.json()["entries"][0]["amount"] == 30
    body = read(served, "analyst", f"/persons/{person}").json()
    assert body["points"] == 150
    assert [lot["points"] for lot in body["lots"]] == [120, 30]  # earliest-expiring first
    page = read(served, "analyst", f"/persons/{person}/history", limit=1).json()
    assert page["total"] == 4 and page["items"][0]["type"] == "manual_adjust"  # + pending, release (2 legs)
    assert page["items"][0]["reason"] == "goodwill after a late parcel"
    rest = read(served, "analyst", f"/persons/{person}/history", limit=10, offset=1).json()["items"]
    assert [(i["type"], i["kind"], i["amount"]) for i in rest] == [
        ("release", "points_pending", -120), ("release", "points", 120), ("earn_pending", "points_pending", 120)]


def test_redeem_replay_posts_once_and_another_body_under_the_key_is_409(served: Served) -> None:
    person, k = new_person(), key()
    credit(served, person, 100)
    first = write(served, "operator", f"/persons/{person}/redeem", {"points": 40}, k)
    assert first.status_code == 201 and first.headers["Idempotent-Replayed"] == "false"
    again = write(served, "operator", f"/persons/{person}/redeem", {"points": 40}, k)
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    other = write(served, "operator", f"/persons/{person}/redeem", {"points": 41}, k)
    assert other.status_code == 409 and "different request" in other.json()["detail"]
    elsewhere = write(served, "operator", f"/persons/{person}/wallet/topup", {"principal": "1.00"}, k)
    assert elsewhere.status_code == 409
    assert points(served, person) == 60
    assert postings(served.store, person, "redeem") == 1


def test_overdraw_is_409_in_one_line_and_posts_nothing(served: Served) -> None:
    person = new_person()
    credit(served, person, 50)
    r = write(served, "operator", f"/persons/{person}/redeem", {"points": 51}, key())
    assert r.status_code == 409 and "\n" not in r.json()["detail"] and "holds 50 points" in r.json()["detail"]
    r = write(served, "operator", f"/persons/{person}/adjust", {"points": -51, "reason": "fix"}, key())
    assert r.status_code == 409
    assert write(served, "operator", f"/persons/{person}/wallet/spend", {"amount": "0.01"}, key()).status_code == 409
    assert write(served, "operator", f"/persons/{person}/wallet/refund", {"principal": "1"}, key()).status_code == 409
    assert points(served, person) == 50
    assert postings(served.store, person, "redeem") == 0


def test_a_missing_reason_or_key_is_422_and_posts_nothing(served: Served) -> None:
    person = new_person()
    for body in ({"points": 10}, {"points": 10, "reason": "   "}, {"points": 10, "reason": ""}):
        assert write(served, "admin", f"/persons/{person}/adjust", body, key()).status_code == 422
    assert write(served, "admin", f"/persons/{person}/adjust", {"points": 10, "reason": "ok"}).status_code == 422
    assert write(served, "admin", f"/persons/{person}/redeem", {"points": 1}).status_code == 422
    assert write(served, "admin", f"/persons/{person}/wallet/topup", {"principal": "1.00"}).status_code == 422
    assert write(served, "admin", f"/persons/{person}/wallet/topup", {"principal": "1.005"}, key()).status_code == 422
    assert read(served, "admin", f"/persons/{person}").json()["points"] == 0
    assert read(served, "admin", f"/persons/{person}/history").json()["total"] == 0


def _warehouse_person(served: Served, guide_owned: bool) -> str:
    cond = "p.owner_staff_id = $s" if guide_owned else (
        "coalesce(p.owner_staff_id, '') <> $s AND p.owner_store_id IS NULL")
    with duckdb.connect(str(served.warehouse), read_only=True) as con:
        row = con.execute(f"SELECT p.person_id FROM person_profile p WHERE {cond} ORDER BY person_id LIMIT 1",
                          {"s": served.guide_staff}).fetchone()
    assert row is not None
    return str(row[0])


def test_a_guide_reads_and_redeems_for_own_customers_only(served: Served) -> None:
    own, other = _warehouse_person(served, True), _warehouse_person(served, False)
    credit(served, own, 20)
    credit(served, other, 20)
    assert read(served, "guide", f"/persons/{own}").status_code == 200
    assert write(served, "guide", f"/persons/{own}/redeem", {"points": 5}, key()).status_code == 201
    for r in (read(served, "guide", f"/persons/{other}"), read(served, "guide", f"/persons/{other}/history"),
              write(served, "guide", f"/persons/{other}/redeem", {"points": 5}, key())):
        assert r.status_code == 404 and r.json() == {"detail": "no such person"}
    assert write(served, "guide", f"/persons/{own}/adjust", {"points": 5, "reason": "x"}, key()).status_code == 403
    assert write(served, "analyst", f"/persons/{own}/redeem", {"points": 1}, key()).status_code == 403
    assert read(served, "auditor", f"/persons/{own}").status_code == 403
    assert read(served, "guide", "/wallet/liability").status_code == 403
    assert (points(served, own), points(served, other)) == (15, 20)


def test_every_write_is_audited_once_with_who_and_why(served: Served) -> None:
    person = new_person()
    k = key()
    for _ in range(2):  # the replay is not a second act
        write(served, "operator", f"/persons/{person}/adjust", {"points": 7, "reason": "store opening gift"}, k)
    write(served, "operator", f"/persons/{person}/wallet/topup", {"principal": "50.00", "gift": "5.00"}, key())
    rows = httpx.get(served.url + "/audit", headers=served.headers("auditor"),
                     params={"user": "operator", "limit": 500}, timeout=30).json()["items"]
    mine = [r for r in rows if person in r["target"]]
    assert sorted(r["action"] for r in mine) == ["points.adjust", "wallet.topup"]
    adjust = next(r for r in mine if r["action"] == "points.adjust")
    assert adjust["reason"] == "store opening gift" and adjust["user_name"] == "operator" and adjust["at"]


def test_stored_value_topup_spend_refund_and_liability(served: Served) -> None:
    person = new_person()
    r = write(served, "operator", f"/persons/{person}/wallet/topup", {"principal": "100.00", "gift": "10.00"}, key())
    assert r.status_code == 201
    assert read(served, "admin", f"/persons/{person}").json()["stored_value"] == {
        "principal": "100.00", "gift": "10.00", "total": "110.00"}
    assert write(served, "operator", f"/persons/{person}/wallet/spend",
                 {"amount": "60.50", "channel": "store", "order_id": "S1"}, key()).status_code == 201
    r = write(served, "operator", f"/persons/{person}/wallet/refund", {"principal": "39.51"}, key())
    assert r.status_code == 409  # 39.50 of principal is left
    r = write(served, "operator", f"/persons/{person}/wallet/refund", {"principal": "39.50"}, key())
    assert r.status_code == 201
    assert read(served, "admin", f"/persons/{person}").json()["stored_value"] == {
        "principal": "0.00", "gift": "0.00", "total": "0.00"}
    months = read(served, "analyst", "/wallet/liability").json()["months"]
    assert months and months[-1]["month"] == dt.datetime.now(dt.UTC).strftime("%Y-%m")


def test_coupons_issue_redeem_and_expiring(served: Served) -> None:
    person, k = new_person(), key()
    first = write(served, "operator", f"/persons/{person}/coupons", {"value": "10", "valid_days": 2}, k)
    assert first.status_code == 201 and first.json()["value"] == "10.00"
    again = write(served, "operator", f"/persons/{person}/coupons", {"value": "10", "valid_days": 2}, k)
    assert again.status_code == 200 and again.json() == first.json()
    cid = first.json()["coupon_id"]
    soon = read(served, "operator", "/coupons/expiring", within_days=3, limit=500).json()["items"]
    assert cid in [c["coupon_id"] for c in soon]
    assert read(served, "admin", f"/persons/{person}").json()["coupons"] == [first.json()]
    redeem = {"channel": "store", "order_id": "S9"}
    assert write(served, "operator", f"/persons/{new_person()}/coupons/{cid}/redeem", redeem, key()).status_code == 404
    rk = key()
    r = write(served, "operator", f"/persons/{person}/coupons/{cid}/redeem", redeem, rk)
    assert r.status_code == 201 and r.json()["status"] == "redeemed"
    assert write(served, "operator", f"/persons/{person}/coupons/{cid}/redeem", redeem, rk).status_code == 200
    r = write(served, "operator", f"/persons/{person}/coupons/{cid}/redeem", {**redeem, "order_id": "S10"}, key())
    assert r.status_code == 409 and "redeemed" in r.json()["detail"]


# --- concurrency --------------------------------------------------------------------------------------------------

@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_server(request: pytest.FixtureRequest) -> Iterator[Ledger]:
    """The session's server (SQLite store), or a second server on the same warehouse with its store on
    PostgreSQL (SIYU_TEST_PG_URL)."""
    served: Served = request.getfixturevalue("served")
    if request.param == "sqlite":
        yield Ledger(served.url, served.store, served.tokens["admin"])
        return
    from siyu.api.app import create_app
    from siyu.api.context import service_config
    from siyu.auth.users import add_user, create_token
    from siyu.config.settings import load_settings
    from siyu.store import open_store

    store = open_store(request.getfixturevalue("pg_url"))
    cfg = service_config(served.warehouse, load_settings(None), store)
    add_user(store, "admin", "admin")
    token = create_token(store, "admin", "tests")
    port = free_port()
    server, thread = start_server(create_app(cfg), port)
    yield Ledger(f"http://127.0.0.1:{port}", store, token)
    server.should_exit = True
    thread.join(10)
    cfg.serving.close()
    store.dispose()


def test_50_parallel_redemptions_never_overdraw(ledger_server: Ledger) -> None:
    person = new_person()
    with httpx.Client(timeout=60) as client:
        r = client.post(f"{ledger_server.url}/loyalty/persons/{person}/adjust", headers=ledger_server.headers(key()),
                        json={"points": 300, "reason": "concurrency test"})
        assert r.status_code == 201, r.text
    start = threading.Barrier(50)
    codes: list[int] = []

    def redeem() -> None:
        with httpx.Client(timeout=120) as client:
            start.wait()
            codes.append(client.post(f"{ledger_server.url}/loyalty/persons/{person}/redeem",
                                     headers=ledger_server.headers(key()), json={"points": 10}).status_code)

    threads = [threading.Thread(target=redeem) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(set(codes)) == [201, 409] and len(codes) == 50
    assert codes.count(201) == 30
    assert postings(ledger_server.store, person, "redeem") == 30
    with httpx.Client(timeout=60) as client:
        body = client.get(f"{ledger_server.url}/loyalty/persons/{person}", headers=ledger_server.headers()).json()
    assert body["points"] == 0
