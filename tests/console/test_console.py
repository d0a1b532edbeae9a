"""The web console in a real browser (Playwright driving Debian's Chromium) against a real `siyu serve`: log in,
every page with data and without console errors, the builder's count equal to the CLI's, a guide kept to their
customers, zh and en, phone width, labels, keyboard, contrast. Screenshots of every page go to the console
fixture's folder (SIYU_CONSOLE_SHOTS; docs/console/ holds a set)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlalchemy as sa

from console.conftest import SRC, TRACKED, Console
from siyu.config.settings import load_settings
from siyu.store import open_store, store_url
from siyu.store.tables import audit
from siyu.web.pages.home import HEADLINE, SLICES

PAGES = {  # name: (path, something the page must show when it has data)
    "home": ("/console/", "[data-chart=gauge]"),
    "diagnose": ("/console/diagnose", "[data-chart=waterfall]"),
    "customers": ("/console/customers?q=P0000000002&kind=person_id", "table tbody tr a"),
    "segments": ("/console/segments", "#expr"),
    "identity": ("/console/identity", "[data-a]"),
    "runs": ("/console/runs", "details table tbody tr"),
    "imports": ("/console/imports", "#upload"),
}


@contextmanager
def logged_in(browser: Any, console: Console, role: str, lang: str = "en", width: int = 1280
              ) -> Iterator[tuple[Any, list[str]]]:
    """A fresh browser context whose language is `lang`, logged in as `role`; yields (page, console errors)."""
    accept = "zh-CN,zh;q=0.9,en;q=0.5" if lang == "zh" else "en-GB,en;q=0.9"
    ctx = browser.new_context(viewport={"width": width, "height": 900}, extra_http_headers={"Accept-Language": accept})
    page = ctx.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"{page.url}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"{page.url}: {e}"))
    page.goto(console.url + "/console/")
    page.fill("#name", role)
    page.fill("#password", console.password(role))
    page.click("form button[type=submit]")
    page.wait_for_load_state("networkidle")
    try:
        yield page, errors
    finally:
        ctx.close()


def shoot(page: Any, console: Console, name: str) -> None:
    page.screenshot(path=str(console.shots / f"{name}.png"), full_page=True)


def cli_count(console: Console, expression: str) -> int:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    out = subprocess.run([sys.executable, "-m", "siyu", "segment", "count", expression, "-w", str(console.warehouse)],
                         capture_output=True, text=True, env=env, check=True)
    return int(out.stdout.strip().splitlines()[-1].replace(",", ""))


def test_wrong_password_is_refused_on_the_form(browser: Any, console: Console) -> None:
    ctx = browser.new_context(extra_http_headers={"Accept-Language": "en"})
    page = ctx.new_page()
    page.goto(console.url + "/console/customers")
    assert "/console/login" in page.url
    page.fill("#name", "admin")
    page.fill("#password", "not-it")
    page.click("form button[type=submit]")
    assert page.text_content("[role=alert]") == "Wrong name or password."
    ctx.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_page_renders_with_data_and_no_console_errors(browser: Any, console: Console, lang: str) -> None:
    with logged_in(browser, console, "admin", lang) as (page, errors):
        assert page.get_attribute("html", "lang") == ("zh-CN" if lang == "zh" else "en")
        for name, (path, shows) in PAGES.items():
            response = page.goto(console.url + path)
            page.wait_for_load_state("networkidle")
            assert response.status == 200, name
            assert page.locator(shows).count() > 0, f"{name}: nothing matches {shows}"
            nav = page.locator("nav a[aria-current=page]").first.text_content()
            assert nav == {"en": {"home": "Home", "diagnose": "Diagnose", "customers": "Customers",
                                  "segments": "Segments", "identity": "Identity review", "runs": "Runs",
                                  "imports": "Imports"},
                           "zh": {"home": "首页", "diagnose": "诊断", "customers": "客户", "segments": "人群",
                                  "identity": "身份审核", "runs": "运行", "imports": "导入"}}[lang][name]
            assert page.title() == f"{nav} · siyu", name  # the tab's words: the page's name, no markup
            shoot(page, console, f"{name}-{lang}")
        assert errors == []


def test_home_names_the_worst_health_components_and_switches_language(browser: Any, console: Console) -> None:
    with logged_in(browser, console, "analyst", "zh") as (page, errors):
        summary = page.text_content("[data-testid=health-summary]") or ""
        assert summary.startswith("健康度")
        shown = {k.get_attribute("data-metric"): k.locator(".v").text_content()
                 for k in page.locator(".kpi[data-metric]").all()}
        assert list(shown) == list(HEADLINE) and "–" not in shown.values()  # size … contribution, each with a figure
        assert page.locator("#slice option").evaluate_all("os => os.map(o => o.value)") == list(SLICES)
        page.click("a.lang")  # 中文 → English, kept for the next pages
        assert page.text_content("h1") == "Home"
        page.goto(console.url + "/console/diagnose")
        assert page.text_content("h1") == "Diagnose"
        page.goto(console.url + "/console/?slice=channel&metric=acquisition_rate")
        assert page.locator(".chart [data-chart=bars]").count() == 1
        for by in ("staff", "store", "add_source", "group"):  # every slice draws its values, and offers them
            page.goto(f"{console.url}/console/?slice={by}&metric=private_domain_size")
            assert page.locator(".chart [data-chart=bars] rect title").count() > 0, by
            assert page.locator("#value option").count() > 0, by
        page.goto(console.url + "/console/?grain=week")  # the data stop on a Saturday: that week is unfinished
        note = page.text_content("[data-testid=unfinished]") or ""
        assert note.startswith("The period from 2026-10-26 is not shown")
        assert errors == []


def test_diagnose_drills_from_factor_to_staff_to_script_lines(browser: Any, console: Console) -> None:
    with logged_in(browser, console, "operator") as (page, errors):
        page.goto(console.url + "/console/diagnose")
        page.click("a[href$='factor=first_order_conversion']")
        assert page.locator("[data-chart=intervals]").count() == 1
        first = page.locator("#h-staff ~ .scroll tbody tr a").first
        staff_id = (first.get_attribute("href") or "").rsplit("staff=", 1)[1]
        first.click()
        assert page.text_content("#h-script") == f"Reply rate after each script line · {staff_id}"
        rows = page.locator("#h-script ~ .scroll tbody tr")
        assert rows.count() >= 1 and page.locator("#h-script ~ .row [data-chart=bars]").count() == 2
        shoot(page, console, "diagnose-drill-en")
        assert errors == []


def test_segment_typed_in_the_builder_counts_as_the_cli(browser: Any, console: Console) -> None:
    from playwright.sync_api import expect

    expression = "orders >= 2 and is_friend"
    with logged_in(browser, console, "analyst") as (page, errors):
        page.goto(console.url + "/console/segments")
        page.fill("#expr", "")
        page.type("#expr", expression, delay=5)  # typed: the debounced count follows the keys
        expected = cli_count(console, expression)
        # polled from the driver: a string predicate in the page (wait_for_function) is an eval, which the
        # console's Content-Security-Policy refuses once the count is not there at the first look
        shown = page.evaluate("n => Number(n).toLocaleString()", expected)
        expect(page.locator("#count")).to_have_text(shown, timeout=10_000)
        assert expected > 0
        page.click("#preview")
        page.wait_for_selector("#preview-out table tbody tr")
        page.fill("#seg-name", "friends_twice")
        page.click("#save button[type=submit]")
        page.wait_for_selector("#save-out.ok")
        page.reload()
        assert page.locator("a[href='/console/segments/friends_twice']").count() == 1
        shoot(page, console, "segments-builder-en")
        assert errors == []


def test_the_builder_marks_the_offending_token(browser: Any, console: Console) -> None:
    with logged_in(browser, console, "analyst") as (page, _):
        page.goto(console.url + "/console/segments")
        page.fill("#expr", "orders >= 2 and netspend > 100")
        page.wait_for_selector("[data-testid=error-token]")
        assert page.text_content("[data-testid=error-token]") == "netspend"
        assert "net_spend" in (page.text_content("#expr-error") or "")
        assert page.get_attribute("#expr", "aria-invalid") == "true"
        assert page.text_content("#count") == "–"
        shoot(page, console, "segments-error-en")


def test_the_builder_is_usable_with_the_keyboard(browser: Any, console: Console) -> None:
    with logged_in(browser, console, "analyst") as (page, _):
        page.goto(console.url + "/console/segments")
        page.fill("#expr", "")
        page.focus("#expr")
        page.keyboard.type("orders >= 1 and ")
        page.keyboard.press("Tab")  # from the expression to the first field button
        focused = page.evaluate("document.activeElement.dataset.insert")
        assert focused == page.locator(".palette button").first.get_attribute("data-insert")
        page.keyboard.press("Tab")
        second = page.evaluate("document.activeElement.dataset.insert")
        page.keyboard.press("Enter")  # inserts the field where the caret was, and gives the focus back
        assert page.evaluate("document.activeElement.id") == "expr"
        assert page.input_value("#expr") == f"orders >= 1 and {second} "


def _linked_by_phone(warehouse: Path) -> str:
    """A person with a phone whose identities a shared phone or unionid joined (a hard key, not the model)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        found = con.execute(
            "SELECT min(m.person_id) FROM identity_edge e JOIN person_map m ON e.a = m.channel || ':' || m.channel_uid "
            "JOIN person_profile p ON p.person_id = m.person_id "
            "WHERE e.kind = 'key' AND e.key_name IN ('phone', 'unionid') AND p.phone IS NOT NULL").fetchone()
    assert found is not None and found[0] is not None, "the demo has no person joined by a shared phone or unionid"
    return str(found[0])


def test_unmasking_asks_for_a_reason_and_shows_the_phone(browser: Any, console: Console) -> None:
    person = _linked_by_phone(console.warehouse)
    with duckdb.connect(str(console.warehouse), read_only=True) as con:
        phone, channel, uid = con.execute(
            "SELECT p.phone, m.channel, m.channel_uid FROM person_profile p JOIN person_map m USING (person_id) "
            "WHERE person_id = $p ORDER BY 2 LIMIT 1", {"p": person}).fetchone()  # type: ignore[misc]
    with logged_in(browser, console, "operator") as (page, errors):
        for kind, q, where in (("phone", phone, ""), ("phone", f"{phone[:3]}****{phone[-4:]}", ""),
                               ("channel_uid", uid, channel)):  # search as the operator types it
            page.goto(console.url + "/console/customers")
            page.select_option("#kind", kind)
            page.fill("#q", q)
            page.fill("#channel", where)
            page.click("form[role=search] button[type=submit]")
            found = page.locator("table tbody tr td:first-child a").all_text_contents()
            assert person in found, (kind, q)
        page.goto(console.url + f"/console/customers/{person}")
        assert "****" in (page.text_content("[data-testid=phone]") or "")
        held = page.request.get(console.url + f"/loyalty/persons/{person}").json()["points"]  # the session's
        assert page.text_content("[data-testid=points]") == f"{held} points"
        because = page.locator("table[aria-labelledby=h-links] tbody td:nth-child(3)").all_text_contents()
        assert "the same phone" in because or "the same unionid" in because  # why the identities are one
        page.click("details summary")
        page.click("details button[type=submit]")  # no reason: the browser refuses the form
        assert "unmask=true" not in page.url
        page.fill("#reason", "customer called back")
        page.click("details button[type=submit]")
        assert re.fullmatch(r"1\d{10}", page.text_content("[data-testid=phone]") or "")
        assert errors == []
    store = open_store(store_url(load_settings(None), console.warehouse))
    with store.connect() as con:
        rows = con.execute(sa.select(audit.c.user_name, audit.c.target, audit.c.reason)
                           .where(audit.c.action == "unmask")).all()
    store.dispose()
    assert ("operator", person, "customer called back") in [tuple(r) for r in rows]


def test_a_guide_cannot_open_another_stores_customer(browser: Any, console: Console) -> None:
    with duckdb.connect(str(console.warehouse), read_only=True) as con:
        own_store = con.execute("SELECT store_id FROM staff WHERE staff_id = $s", {"s": console.guide_staff}
                                ).fetchone()[0]  # type: ignore[index]
        mine = con.execute("SELECT person_id FROM person_profile WHERE owner_staff_id = $s ORDER BY 1 LIMIT 1",
                           {"s": console.guide_staff}).fetchone()[0]  # type: ignore[index]
        other = con.execute("SELECT person_id FROM person_profile WHERE owner_staff_id <> $s AND "
                            "coalesce(owner_store_id, '') <> $st ORDER BY 1 LIMIT 1",
                            {"s": console.guide_staff, "st": own_store or ""}).fetchone()[0]  # type: ignore[index]
    with logged_in(browser, console, "guide", "zh", width=390) as (page, _):
        assert page.url.endswith("/console/customers")  # a guide lands on their customers
        assert [a.text_content() for a in page.locator("nav a").all()] == ["客户", "任务", "我的看板"]
        ok = page.goto(f"{console.url}/console/customers/{mine}")
        assert ok.status == 200 and page.text_content("h1 .muted") == mine
        shoot(page, console, "customer-guide-phone-zh")
        refused = page.goto(f"{console.url}/console/customers/{other}")
        assert refused.status == 404
        assert page.get_attribute("[data-status]", "data-status") == "404"
        assert page.locator("[data-testid=phone]").count() == 0
        shoot(page, console, "customer-404-zh")
        assert page.goto(console.url + "/console/segments").status == 403


def test_identity_merge_then_undo(browser: Any, console: Console) -> None:
    with logged_in(browser, console, "operator") as (page, errors):
        page.goto(console.url + "/console/identity")
        pair = page.locator("[data-a]").first
        pair.locator("[data-decide=merge]").click()
        status = pair.locator("[role=status]")
        status.filter(has_text="merged").wait_for()
        pair.locator("[data-undo]").click()
        status.filter(has_text="withdrawn").wait_for()
        page.reload()
        assert page.locator("#h-dec ~ .scroll tbody td", has_text=pair.get_attribute("data-a") or "?").count() == 0
        assert errors == []


def test_phone_width_has_no_sideways_scroll(browser: Any, console: Console) -> None:
    """Every page of the menu, and the pages under them (a customer, the diagnosis drilled to a staff member's
    script lines, a saved segment's members, a segment's size over time), at a phone's 390 px."""
    wide: list[str] = []
    with logged_in(browser, console, "admin", "zh", width=390) as (page, _):
        staff = page.request.get(console.url + "/funnel/staff").json()["items"][0]["staff_id"]
        csrf = page.get_attribute("meta[name=csrf-token]", "content") or ""
        saved = page.request.put(console.url + "/segments/phone_check", data={"expression": "orders >= 2"},
                                 headers={"X-CSRF-Token": csrf})
        assert saved.ok, saved.text()
        under = {"customer": "/console/customers/P0000000002",
                 "diagnose-staff": f"/console/diagnose?factor=first_order_conversion&staff={staff}",
                 "segment-members": "/console/segments/phone_check",
                 "segment-size": f"/console/segments/tracked/{TRACKED[0]}"}
        for name, path in [*((n, p) for n, (p, _) in PAGES.items()), *under.items()]:
            assert page.goto(console.url + path).status == 200, name
            page.wait_for_load_state("networkidle")
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            if overflow > 1:
                wide.append(f"{name} is {overflow}px wider than a phone")
            shoot(page, console, f"{name}-phone-zh")
    assert wide == []


def test_every_input_has_a_label(browser: Any, console: Console) -> None:
    with logged_in(browser, console, "admin") as (page, _):
        for name, (path, _) in PAGES.items():
            page.goto(console.url + path)
            unlabelled = page.evaluate("""() => [...document.querySelectorAll('input, select, textarea')]
                .filter(e => e.type !== 'hidden')
                .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
                .map(e => e.name || e.id)""")
            assert unlabelled == [], f"{name}: {unlabelled}"


def _luminance(rgb: tuple[float, ...]) -> float:
    def channel(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(fg: tuple[float, ...], bg: tuple[float, ...]) -> float:
    hi, lo = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_contrast_helper_knows_black_on_white() -> None:
    assert round(contrast((0, 0, 0), (255, 255, 255)), 1) == 21.0
    assert round(contrast((119, 119, 119), (255, 255, 255)), 2) == 4.48  # #777 on white: just too light


def test_palette_contrast_is_at_least_4_5(browser: Any, console: Console) -> None:
    """Every text element's colour against the background it is drawn on (the nearest ancestor with one)."""
    with logged_in(browser, console, "admin") as (page, _):
        low: list[str] = []
        for path in ("/console/", "/console/segments", "/console/customers/P0000000002", "/console/identity"):
            page.goto(console.url + path)
            if path.endswith("segments"):  # the error colours and the marked token too
                page.fill("#expr", "orders >= 2 and netspend > 1")
                page.wait_for_selector("[data-testid=error-token]")
            pairs = page.evaluate("""() => {
                const rgb = s => s.match(/[\\d.]+/g).map(Number);
                const bg = e => { for (; e; e = e.parentElement) { const c = getComputedStyle(e).backgroundColor;
                    if (c !== 'rgba(0, 0, 0, 0)' && c !== 'transparent') return rgb(c); } return [255, 255, 255]; };
                return [...document.querySelectorAll('body *:not(svg *):not(script):not(style)')]
                  .filter(e => [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()))
                  .filter(e => e.offsetParent !== null || e.tagName === 'MARK')
                  .map(e => [e.tagName + '.' + e.className, rgb(getComputedStyle(e).color), bg(e)]);
            }""")
            assert len(pairs) > 20
            low += [f"{path} {tag}: {contrast(fg, bg):.2f}" for tag, fg, bg in pairs if contrast(fg, bg) < 4.5]
        assert low == []


def test_a_saved_segment_exports_its_members(browser: Any, console: Console) -> None:
    expression = "orders >= 3"
    with logged_in(browser, console, "analyst") as (page, errors):
        page.goto(f"{console.url}/console/segments?expression={expression}&name=three_orders")
        page.click("#save button[type=submit]")
        page.wait_for_selector("#save-out.ok")
        page.goto(console.url + "/console/segments/three_orders")
        members = cli_count(console, expression)
        assert page.text_content("[data-testid=total]") == f"{members} members now"
        page.click("#export-start")
        link = page.locator("#export-out a")
        link.wait_for()
        assert link.text_content() == f"download ({members})"
        with page.expect_download() as got:
            link.click()
        lines = (got.value.path().read_text(encoding="utf-8-sig")).strip().splitlines()
        assert len(lines) == members + 1  # a header and one row per member
        assert errors == []


def test_an_upload_shows_which_column_each_field_reads_then_imports_it(browser: Any, console: Console,
                                                                      tmp_path: Any) -> None:
    export = tmp_path / "staff.csv"
    export.write_text("员工ID,姓名,门店编号,备注\nKF900,王芳,MD0001,新人\n,李雷,MD0001,没有工号\n", encoding="utf-8")
    with logged_in(browser, console, "operator", "zh") as (page, errors):
        page.goto(console.url + "/console/imports")
        page.select_option("#up-source", "staff")
        page.set_input_files("#up-file", str(export))
        page.click("#upload button[type=submit]")
        page.wait_for_selector("#upload-out table")
        text = page.text_content("#upload-out") or ""
        assert "员工ID" in text  # the column staff_id reads
        assert page.text_content("[data-testid=unused]") == "未被读取的列： 备注"
        assert page.text_content("[data-testid=missing]") == "缺少的必填字段： 无"
        assert "王芳" not in text  # no row values: they may be personal data
        shoot(page, console, "imports-upload-zh")
        page.click("#import-start")  # the upload imported as a job, followed to its end
        page.wait_for_selector("[data-testid=imported]", timeout=60_000)
        done = page.text_content("[data-testid=imported]") or ""
        assert done.startswith("已导入：读取 2 行，新增 1 行，已有 0 行，隔离 1 行")
        held = page.locator("[data-testid=set-aside] tbody tr td").all_text_contents()
        assert held[:2] == ["3", "员工ID"] and held[2]  # the row, the header as the operator knows it, why
        assert "李雷" not in (page.text_content("#upload-out") or "")
        shoot(page, console, "imports-done-zh")
        page.goto(console.url + "/console/imports?source=staff")  # the quarantine table lists it with the reason
        rows = page.locator("#h-q ~ .scroll tbody tr")
        assert [rows.nth(i).locator("td").all_text_contents()[2:] for i in range(rows.count())] == [held]
        assert errors == []


def test_a_segment_every_run_evaluates_shows_its_size_over_time(browser: Any, console: Console) -> None:
    name, expression = TRACKED
    with logged_in(browser, console, "analyst") as (page, errors):
        page.goto(console.url + "/console/segments")
        page.click(f"#h-tracked ~ .scroll a[href$='/tracked/{name}']")
        assert page.locator(".chart [data-chart=line]").count() == 1
        rows = page.locator("#h-size ~ .scroll tbody tr")
        assert [rows.nth(i).locator("td").first.text_content() for i in range(rows.count())] == ["run-one", "run-two"]
        assert rows.nth(1).locator("td").nth(2).text_content() == str(cli_count(console, expression))
        shoot(page, console, "segment-size-en")
        assert errors == []


def test_a_slice_value_shows_its_trend_beside_the_whole_brand(browser: Any, console: Console) -> None:
    from siyu.web.charts import fmt

    home = console.url + "/console/?slice=channel&metric=acquisition_rate"
    with logged_in(browser, console, "analyst") as (page, errors):
        page.goto(home)
        api = page.request.get(console.url + "/metrics?metric=acquisition_rate&grain=month&slice=channel&limit=500")
        rows = api.json()["items"]
        latest = max(r["period"] for r in rows)
        last = {r["slice_value"]: r for r in rows if r["period"] == latest}
        largest = max(last, key=lambda v: last[v]["denominator"])
        assert page.locator("[data-testid=unfinished]").count() == 0  # October is finished: the API's last month
        assert page.input_value("#value") == largest  # the biggest channel by the people the rate is over
        assert set(page.locator("#value option").all_inner_texts()) == {r["slice_value"] for r in rows}
        other = next(v for v in last if v != largest)
        page.focus("#value")
        page.select_option("#value", other)
        page.focus(".pickers button[type=submit]")
        page.keyboard.press("Enter")  # the pickers work from the keyboard
        page.wait_for_load_state("networkidle")
        assert page.input_value("#value") == other and page.input_value("#slice") == "channel"
        points = page.locator("[data-testid=value-trend] circle[data-series=value]")
        periods = [points.nth(i).get_attribute("data-period") for i in range(points.count())]
        assert periods == sorted(r["period"] for r in rows if r["slice_value"] == other)
        shown = float(points.last.get_attribute("data-value") or "nan")
        figure = last[other]["value"]
        assert shown == pytest.approx(figure)  # the chart's last finished month is the API's /metrics figure
        bar = page.locator(".chart [data-chart=bars] rect title", has_text=f"{other}: ").first.text_content()
        assert bar == f"{other}: {fmt(figure, 'rate')}"  # … and the bar's
        assert (points.last.text_content() or "").endswith(f": {fmt(figure, 'rate')}")
        team = page.request.get(console.url + "/metrics?metric=acquisition_rate&grain=month&slice=all").json()
        brand = next(r["value"] for r in team["items"] if r["period"] == latest)
        whole = page.locator("[data-testid=value-trend] circle[data-series=team]").last
        assert float(whole.get_attribute("data-value") or "nan") == pytest.approx(brand)
        shoot(page, console, "home-slice-value-en")
        assert errors == []
    with logged_in(browser, console, "analyst", "zh", width=390) as (page, errors):
        page.goto(home + f"&value={other}")
        assert page.text_content("#h-value") == f"{other} 与全品牌对比（按月）"
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1
        shoot(page, console, "home-slice-value-phone-zh")
        assert errors == []
