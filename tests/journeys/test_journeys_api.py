"""The journeys API on a real server over a SQLite and a PostgreSQL store: a guide lists and acts on only their
own customers' tasks (another's is 404), a skip needs a reason, journeys are listed, defined (a bad definition,
or one naming a field or predicate the published profile lacks, is 400 naming the key) and measured."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from service.conftest import free_port, start_server

from siyu.api.app import create_app
from siyu.api.context import service_config
from siyu.auth.users import add_user, create_token
from siyu.config.settings import load_settings
from siyu.engine.duckdb_engine import DuckDBEngine
from siyu.journeys.tables import task
from siyu.segment.tables import PERSON_TAG

NOW = dt.datetime(2026, 6, 1, 2, 0, tzinfo=dt.UTC)


def _task(n: int, staff: str, due: dt.datetime) -> dict[str, object]:
    return {"key": f"seed:P{n}:first:confirm", "journey": "seed", "person_id": f"P{n}", "entry_key": "first",
            "step": "confirm_address", "kind": "task", "owner_staff_id": staff, "owner_store_id": None,
            "title": "确认地址", "draft": "您好", "created_at": NOW, "due_at": due, "status": "open",
            "revenue_fen": 0}


@pytest.fixture
def api(store: sa.Engine, tmp_path: Path) -> Iterator[tuple[str, dict[str, dict[str, str]]]]:
    with store.begin() as conn:
        conn.execute(task.insert(), [_task(1, "S01", NOW - dt.timedelta(days=1)), _task(2, "S02", NOW),
                                     _task(3, "S01", dt.datetime(2099, 1, 1, tzinfo=dt.UTC))])
    with DuckDBEngine(tmp_path / "w.duckdb") as engine:  # the profile a definition is checked against
        engine.create_table_as("person_profile", "SELECT 'P1' AS person_id, 0 AS person_key, DATE '2026-06-01' "
                               "AS as_of, '张三' AS name, true AS is_friend, 1 AS orders")
        engine.ensure_table("person_tag", PERSON_TAG)
    cfg = service_config(tmp_path / "w.duckdb", load_settings(None), store)
    heads = {}
    for role, staff in (("guide", "S01"), ("operator", None), ("analyst", None)):
        add_user(store, role, role, password="pw-" + role, staff_id=staff)
        heads[role] = {"Authorization": f"Bearer {create_token(store, role)}"}
    server, thread = start_server(create_app(cfg), port := free_port())
    yield f"http://127.0.0.1:{port}", heads
    server.should_exit = True
    thread.join(10)


def test_a_guide_sees_and_acts_on_only_their_own_tasks(api: tuple[str, dict[str, dict[str, str]]]) -> None:
    url, heads = api
    mine = httpx.get(f"{url}/tasks", headers=heads["guide"]).json()
    assert mine["total"] == 2 and {t["person_id"] for t in mine["items"]} == {"P1", "P3"}
    assert [t["overdue"] for t in mine["items"]] == [True, False]
    other = next(t["task_id"] for t in httpx.get(f"{url}/tasks", headers=heads["operator"]).json()["items"]
                 if t["person_id"] == "P2")
    assert httpx.post(f"{url}/tasks/{other}/done", headers=heads["guide"]).status_code == 404
    assert httpx.get(f"{url}/tasks/{other}", headers=heads["guide"]).status_code == 404
    one = httpx.get(f"{url}/tasks/{other}", headers=heads["operator"]).json()
    assert (one["person_id"], one["draft"], one["status"]) == ("P2", "您好", "open")
    own = mine["items"][0]["task_id"]
    assert httpx.post(f"{url}/tasks/{own}/skip", headers=heads["guide"], json={"reason": " "}).status_code == 422
    done = httpx.post(f"{url}/tasks/{own}/done", headers=heads["guide"])
    assert done.status_code == 200 and done.json()["status"] == "done" and done.json()["acted_by"] == "guide"
    again = httpx.post(f"{url}/tasks/{own}/skip", headers=heads["guide"], json={"reason": "busy"})
    assert again.status_code == 400 and "already done" in again.json()["detail"]
    assert httpx.post(f"{url}/tasks/{own}/done", headers=heads["analyst"]).status_code == 403
    assert httpx.get(f"{url}/tasks?overdue=true", headers=heads["guide"]).json()["total"] == 0


def test_journeys_are_listed_defined_and_measured(api: tuple[str, dict[str, dict[str, str]]]) -> None:
    url, heads = api
    names = [j["name"] for j in httpx.get(f"{url}/journeys", headers=heads["analyst"]).json()["journeys"]]
    assert names[:2] == ["seed", "product_follow_up"]
    bad = httpx.post(f"{url}/journeys", headers=heads["operator"], json={"toml": """
        [journeys.winback]
        trigger = { kind = "tag_entered", tag = "sleeping" }
        [[journeys.winback.steps]]
        action = { kind = "task", title = "回访" }
    """})
    assert bad.status_code == 400
    assert bad.json()["detail"] == "the journey definition: journeys.winback.steps[0].action.template: must be " \
                                   "non-empty text, not None"
    good = httpx.post(f"{url}/journeys", headers=heads["operator"], json={"toml": """
        [journeys.winback]
        trigger = { kind = "tag_entered", tag = "sleeping" }
        holdout = 0.2
        [[journeys.winback.steps]]
        action = { kind = "task", title = "回访", template = "{name}，好久不见～" }
    """})
    assert good.status_code == 201 and good.json()["journeys"][0]["holdout"] == 0.2
    for step, said in (('condition = "is_frend"', "journeys.lapsed.steps[0].condition: "),
                       ('action = { kind = "task", title = "回访", template = "{nick}您好" }',
                        "journeys.lapsed.steps[0].action.template: {nick} is not a profile column")):
        refused = httpx.post(f"{url}/journeys", headers=heads["operator"], json={"toml": f"""
            [journeys.lapsed]
            trigger = {{ kind = "tag_entered", tag = "sleeping" }}
            [[journeys.lapsed.steps]]
            {step}
        """})  # accepted, either would stop every later `siyu run`
        assert refused.status_code == 400 and refused.json()["detail"].startswith(said), refused.json()
    assert httpx.post(f"{url}/journeys", headers=heads["analyst"], json={"toml": "x"}).status_code == 403
    listed = httpx.get(f"{url}/journeys", headers=heads["analyst"]).json()["journeys"]
    assert "winback" in [j["name"] for j in listed] and "lapsed" not in [j["name"] for j in listed]
    funnel = httpx.get(f"{url}/journeys/seed/funnel", headers=heads["analyst"]).json()
    assert funnel["steps"][0]["created"] == 3
    assert httpx.get(f"{url}/journeys/nope/uplift", headers=heads["analyst"]).status_code == 404
    assert httpx.get(f"{url}/journeys/seed/uplift", headers=heads["guide"]).status_code == 403
