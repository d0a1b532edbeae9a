"""The tasks, journeys, guide and KOC pages in a real browser against a real `siyu serve` whose store holds three
months of the demo's journeys and a KOC roster: each page in zh and en with data and no console errors, a guide
kept to their own tasks and statement (anyone else's is the API's 404), a task done or skipped in the page is so
in the API, a KOC's state changed with its reason, labels on every input, no sideways scroll on a phone."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from console.conftest import Console
from console.test_console import logged_in, shoot
from siyu.config.settings import load_settings
from siyu.journeys.tables import task
from siyu.store import open_store, store_url

SEED_ENGAGEMENT = True
MONTH = "2026-10"


def pages(console: Console) -> dict[str, tuple[str, str]]:
    """name: (path, something the page must show when it has data)"""
    return {"tasks": ("/console/tasks", "[data-task] blockquote.draft"),
            "journeys": ("/console/journeys", "[data-journey=seed] [data-testid=interval]"),
            "guides": ("/console/guides", "[data-testid=leaderboard] tbody tr a"),
            "guide": (f"/console/guides/{console.guide_staff}", "[data-testid=statement] tbody tr td"),
            "koc": ("/console/koc", "[data-member] [data-testid=state]")}


NAV = {"en": {"tasks": "Tasks", "journeys": "Journeys", "guides": "Guides", "guide": "Guides", "koc": "KOC programme"},
       "zh": {"tasks": "任务", "journeys": "旅程", "guides": "导购", "guide": "导购", "koc": "KOC"}}


def tasks_of(console: Console, mine: bool) -> list[int]:
    """Open tasks of the guide's own customers (mine) or of another staff member's."""
    store = open_store(store_url(load_settings(None), console.warehouse))
    owner = task.c.owner_staff_id == console.guide_staff if mine else \
        (task.c.owner_staff_id != console.guide_staff) & task.c.owner_staff_id.is_not(None)
    with store.connect() as conn:
        found = [r.id for r in conn.execute(sa.select(task.c.id).where(owner, task.c.status == "open")
                                            .order_by(task.c.due_at, task.c.id))]
    store.dispose()
    return found


def other_guide(console: Console) -> str:
    store = open_store(store_url(load_settings(None), console.warehouse))
    with store.connect() as conn:
        found = conn.execute(sa.select(task.c.owner_staff_id).where(
            task.c.owner_staff_id != console.guide_staff).limit(1)).scalar_one()
    store.dispose()
    return str(found)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_each_page_renders_with_data_and_no_console_errors(browser: Any, console: Console, lang: str) -> None:
    with logged_in(browser, console, "admin", lang) as (page, errors):
        for name, (path, shows) in pages(console).items():
            response = page.goto(console.url + path)
            page.wait_for_load_state("networkidle")
            assert response.status == 200, name
            assert page.locator(shows).count() > 0, f"{name}: nothing matches {shows}"
            assert page.locator("nav a[aria-current=page]").first.text_content() == NAV[lang][name]
            shoot(page, console, f"{name}-{lang}")
        assert errors == []


def test_journeys_show_each_funnel_and_the_uplift_interval(browser: Any, console: Console) -> None:
    with logged_in(browser, console, "operator") as (page, errors):
        page.goto(console.url + "/console/journeys")
        seed = page.locator("[data-journey=seed]")
        assert (seed.locator("[data-testid=entries]").text_content() or "").endswith("held out.")
        assert seed.locator("[data-testid=funnel] tbody tr").first.locator("td").first.text_content() \
            == "confirm_address"
        low, high = (seed.locator("[data-testid=interval]").first.text_content() or "").strip("[]").split(", ")
        assert float(low.rstrip("%")) < float(high.rstrip("%"))
        assert errors == []


def test_a_guide_sees_only_their_own_tasks_and_statement(browser: Any, console: Console) -> None:
    with logged_in(browser, console, "guide", "zh", width=390) as (page, errors):
        page.goto(console.url + "/console/tasks")
        shown = {int(x) for x in page.locator("[data-task]").evaluate_all("xs => xs.map(x => x.dataset.task)")}
        assert shown and shown <= set(tasks_of(console, mine=True))
        assert page.locator("header nav a").all_text_contents() == ["客户", "任务", "我的看板"]
        shoot(page, console, "tasks-guide-phone-zh")
        page.click("header nav >> text=我的看板")
        assert page.url.endswith(f"/console/guides/{console.guide_staff}")
        assert page.locator("[data-testid=statement] tbody tr").count() > 0
        shoot(page, console, "guide-phone-zh")
        assert errors == []
        theirs = tasks_of(console, mine=False)[0]
        assert page.goto(f"{console.url}/console/tasks/{theirs}").status == 404
        assert page.get_attribute("[data-status]", "data-status") == "404"
        assert page.locator("[data-task]").count() == 0
        assert page.goto(f"{console.url}/console/guides/{other_guide(console)}?month={MONTH}").status == 404
        assert page.locator("[data-testid=statement]").count() == 0
        assert page.goto(f"{console.url}/console/guides").status == 403


def test_a_task_done_in_the_page_is_done_in_the_api(browser: Any, console: Console) -> None:
    first, second = tasks_of(console, mine=True)[:2]
    with logged_in(browser, console, "guide") as (page, errors):
        page.goto(f"{console.url}/console/tasks/{first}")
        page.click("[data-done]")
        page.wait_for_selector("[data-task][data-status=done]")
        assert page.request.get(f"{console.url}/tasks/{first}").json()["status"] == "done"
        page.goto(f"{console.url}/console/tasks/{second}")
        page.click("[data-skip]")  # no reason: nothing is sent
        assert page.text_content("[role=status]") == "Give a reason first."
        assert page.request.get(f"{console.url}/tasks/{second}").json()["status"] == "open"
        page.fill("[data-reason]", "customer asked not to be contacted this week")
        page.click("[data-skip]")
        page.wait_for_selector("[data-task][data-status=skipped]")
        skipped = page.request.get(f"{console.url}/tasks/{second}").json()
        assert (skipped["status"], skipped["reason"], skipped["acted_by"]) == \
            ("skipped", "customer asked not to be contacted this week", "guide")
        page.goto(console.url + "/console/tasks?show=done")
        assert str(first) in page.locator("[data-task]").evaluate_all("xs => xs.map(x => x.dataset.task)")
        person = page.request.get(f"{console.url}/tasks/{first}").json()["person_id"]
        page.goto(f"{console.url}/console/customers/{person}")  # the customer's tasks on their 360 page
        row = page.locator(f"[data-testid=customer-tasks] tr[data-task-row='{first}'] td")
        assert row.nth(2).text_content() == "done"
        shown = page.locator("[data-testid=customer-tasks] tr[data-task-row]").count()
        api = page.request.get(f"{console.url}/tasks", params={"person_id": person}).json()
        assert shown == min(api["total"], 20) and {t["person_id"] for t in api["items"]} == {person}
        assert errors == []


def test_a_koc_state_changes_with_its_reason(browser: Any, console: Console) -> None:
    with logged_in(browser, console, "operator") as (page, errors):
        page.goto(console.url + "/console/koc")
        row = page.locator("[data-member]").filter(has_text="approved").first
        person = row.get_attribute("data-member")
        row.locator("[data-to]").select_option("active")
        row.locator("[data-why]").fill("quiz passed, writes well")
        row.locator("[data-move]").click()
        page.wait_for_selector(f"[data-koc='{person}'] [role=status].ok")
        roster = page.request.get(f"{console.url}/koc/roster").json()["members"]
        assert {"person_id": person, "state": "active"} in roster
        last = page.request.get(f"{console.url}/koc/{person}/history").json()["history"][-1]
        assert (last["to"], last["reason"], last["user"]) == ("active", "quiz passed, writes well", "operator")
        assert errors == []


@pytest.mark.parametrize("name", ["tasks", "journeys", "guides", "guide", "koc"])
def test_phone_width_has_no_sideways_scroll_and_every_input_a_label(browser: Any, console: Console,
                                                                    name: str) -> None:
    with logged_in(browser, console, "admin", "zh", width=390) as (page, _):
        page.goto(console.url + pages(console)[name][0])
        page.wait_for_load_state("networkidle")
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"{name} is {overflow}px wider than a phone"
        unlabelled = page.evaluate("""() => [...document.querySelectorAll('input, select, textarea')]
            .filter(e => e.type !== 'hidden')
            .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
            .map(e => e.name || e.id)""")
        assert unlabelled == [], f"{name}: {unlabelled}"
        assert page.locator("input, select").count() >= (0 if name == "journeys" else 1)  # the check saw some
        shoot(page, console, f"{name}-phone-zh")
