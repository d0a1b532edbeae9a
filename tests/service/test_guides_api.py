"""Guides, KOC and referral routes over real HTTP on the demo warehouse: a guide reads only their own
statement (another guide's is 404), roles without the permission are refused, KOC state changes follow the
programme's paths and are audited."""

from __future__ import annotations

import duckdb
import httpx
import sqlalchemy as sa

from service.conftest import Served
from siyu.store.tables import audit


def _month(api: Served) -> str:
    with duckdb.connect(str(api.warehouse), read_only=True) as con:
        last = con.execute("SELECT max(order_date) FROM orders").fetchone()[0]  # type: ignore[index]
    return f"{last:%Y-%m}"


def get(api: Served, role: str, path: str, **params: str) -> httpx.Response:
    return httpx.get(api.url + path, headers=api.headers(role), params=params, timeout=120)


def test_a_guide_sees_only_their_own_statement(served: Served) -> None:
    month = _month(served)
    own = get(served, "guide", f"/guides/{served.guide_staff}/statement", month=month)
    assert own.status_code == 200 and own.json()["guide_id"] == served.guide_staff
    body = own.json()
    assert sum(int(ln["commission"].replace(".", "")) for ln in body["lines"]) == int(body["total"].replace(".", ""))
    other = get(served, "guide", "/guides/NOT-ME/statement", month=month)
    assert other.status_code == 404 and set(other.json()) == {"detail"}
    assert get(served, "analyst", "/guides/NOT-ME/statement", month=month).status_code == 200
    assert get(served, "guide", "/guides/leaderboard", month=month).status_code == 403
    assert get(served, "guide", f"/guides/{served.guide_staff}/statement", month="2026-13").status_code == 400


def test_a_guide_reads_only_their_own_leaderboard_row(served: Served) -> None:
    month = _month(served)
    board = get(served, "operator", "/guides/leaderboard", month=month).json()["guides"]
    own = get(served, "guide", f"/guides/{served.guide_staff}/summary", month=month)
    assert own.status_code == 200
    row = own.json()
    if row["rank"] is None:  # no line this month: zeros, not another guide's row
        assert row["guide_id"] == served.guide_staff and row["attributed_sales"] == "0"
    else:
        assert board[row["rank"] - 1] == {k: row[k] for k in board[0]} and row["guides"] == len(board)
    other = board[0]["guide_id"] if board[0]["guide_id"] != served.guide_staff else board[1]["guide_id"]
    assert get(served, "guide", f"/guides/{other}/summary", month=month).status_code == 404
    top = get(served, "operator", f"/guides/{board[0]['guide_id']}/summary", month=month).json()
    assert top["rank"] == 1 and top["attributed_sales"] == board[0]["attributed_sales"]


def test_attribution_share_and_leaderboard(served: Served) -> None:
    month = _month(served)
    r = get(served, "analyst", "/guides/attribution", start=f"{month}-01", end=f"{month}-28")
    assert r.status_code == 200
    share = r.json()
    assert 0 <= share["share"] <= 1 and share["direct"] + share["indirect"] <= share["net_sales"] + 0.01
    board = get(served, "operator", "/guides/leaderboard", month=month).json()["guides"]
    sales = [float(g["attributed_sales"]) for g in board]
    assert sales == sorted(sales, reverse=True)


def test_koc_state_changes_follow_the_paths_and_are_audited(served: Served) -> None:
    person = "P-api-koc-1"
    post = lambda state, reason="quiz": httpx.post(  # noqa: E731
        served.url + f"/koc/{person}/state", headers=served.headers("operator"),
        json={"state": state, "reason": reason}, timeout=30)
    assert post("candidate").status_code == 200
    refused = post("active")
    assert refused.status_code == 400 and "can become approved" in refused.json()["detail"]
    assert post("approved", "passed the quiz").json() == {"person_id": person, "from": "candidate",
                                                          "to": "approved", "released_groups": []}
    hist = get(served, "analyst", f"/koc/{person}/history").json()["history"]
    assert [(h["from"], h["to"], h["user"]) for h in hist] == [(None, "candidate", "operator"),
                                                             ("candidate", "approved", "operator")]
    assert get(served, "analyst", "/koc/nobody/history").status_code == 404
    assert get(served, "auditor", "/koc/roster").status_code == 403
    with served.store.connect() as conn:
        rows = conn.execute(sa.select(audit.c.target).where(audit.c.action == "koc.state")).scalars().all()
    assert f"{person}: candidate → approved" in rows


def test_koc_evaluation_counts_content_tasks_and_guides_may_not_read_it(served: Served) -> None:
    import datetime as dt

    from siyu.journeys.tables import task
    from siyu.journeys.tasks import act
    from siyu.persons.scope import EVERYONE

    month = _month(served)
    person = "P-api-koc-content"
    for state in ("candidate", "approved", "active"):
        assert httpx.post(served.url + f"/koc/{person}/state", headers=served.headers("operator"),
                          json={"state": state, "reason": "content test"}, timeout=30).status_code == 200
    with duckdb.connect(str(served.warehouse), read_only=True) as con:
        group = con.execute("SELECT max(group_id) FROM chat_groups").fetchone()[0]  # type: ignore[index]
    put = httpx.put(served.url + f"/koc/groups/{group}", headers=served.headers("operator"),
                    json={"person_id": person}, timeout=30)
    assert put.status_code == 200
    due = dt.datetime.fromisoformat(f"{month}-10 10:00").replace(tzinfo=dt.UTC)
    with served.store.begin() as conn:
        ids = [conn.execute(task.insert().returning(task.c.id).values(
            key=f"koc_content:{person}:{month}:{step}", journey="koc_content", person_id=person, entry_key=month,
            step=step, kind="task", title=step, draft="", created_at=due, due_at=due, status="open",
            revenue_fen=0)).scalar_one() for step in ("post", "topic")]
    act(served.store, int(ids[0]), EVERYONE, "done", "operator", now=due + dt.timedelta(days=1))
    body = get(served, "analyst", "/koc/evaluation", month=month).json()
    mine = [r for r in body["kocs"] if r["person_id"] == person]
    assert len(mine) == 1 and (mine[0]["content_tasks"], mine[0]["content_done"]) == (2, 1)
    year = get(served, "analyst", "/koc/top", year=month[:4], n="100").json()
    assert [r["rank"] for r in year["kocs"]] == list(range(1, len(year["kocs"]) + 1))
    assert person in {r["person_id"] for r in year["kocs"]}
    assert get(served, "guide", "/koc/top", year=month[:4]).status_code == 403
    assert get(served, "guide", "/koc/evaluation", month=month).status_code == 403
    assert get(served, "guide", "/referrals").status_code == 403
