"""The guard rails hold in every journey, whatever its exits: no staff task for a person on the do-not-contact
list (siyu.toml's or the store's) or for a removed friend, while a coupon step still issues. The default seed
journey is for WeCom friends: a first order of someone nobody can message in chat leaves it before any task. An
invite task names its group."""

from __future__ import annotations

import dataclasses
import datetime as dt
import zoneinfo
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import select

from siyu.engine.duckdb_engine import DuckDBEngine
from siyu.journeys.definition import load_journeys, parse_journeys
from siyu.journeys.evaluate import evaluate
from siyu.journeys.optouts import opt_out
from siyu.journeys.settings import JourneySettings
from siyu.journeys.tables import state, task
from siyu.segment.tables import PERSON_TAG

DAY = dt.date(2026, 5, 1)
NOW = dt.datetime.combine(DAY, dt.time(10), zoneinfo.ZoneInfo("Asia/Shanghai"))
KEEPS_EVERYONE = parse_journeys("""
[journeys.thanks]
trigger = { kind = "first_order" }
holdout = 0
exits = ["bought"]
[[journeys.thanks.steps]]
name = "note"
action = { kind = "task", title = "感谢首单", template = "{name}，谢谢" }
[[journeys.thanks.steps]]
name = "coupon"
action = { kind = "coupon", value = 5, valid_days = 10 }
""", "test")


def _brand(engine: DuckDBEngine) -> None:
    """Five first orders on May 1st. P1, P2, P4 are WeCom friends of S01; P3 was one until April; P5 never was."""
    people = [("P1", True), ("P2", True), ("P3", False), ("P4", True), ("P5", False)]
    engine.create_table_as("person_map", "SELECT * FROM (VALUES " + ", ".join(
        f"('wecom', 'wx{p}', '{p}'), ('tmall', 'tb{p}', '{p}')" for p, _ in people)
        + ") AS t(channel, channel_uid, person_id)")
    engine.create_table_as("contacts", """SELECT * FROM (VALUES
        ('S01', 'wxP1', TIMESTAMP '2026-03-01 10:00', NULL::TIMESTAMP),
        ('S01', 'wxP2', TIMESTAMP '2026-03-01 10:00', NULL::TIMESTAMP),
        ('S01', 'wxP3', TIMESTAMP '2026-03-01 10:00', TIMESTAMP '2026-04-20 12:00'),
        ('S01', 'wxP4', TIMESTAMP '2026-03-01 10:00', NULL::TIMESTAMP)) AS t(staff_id, external_userid, added_at,
        removed_at)""")
    engine.create_table_as("orders", "SELECT * FROM (VALUES " + ", ".join(
        f"('tmall', 'o{p}', 'tb{p}', DATE '2026-05-01', 'paid', 88.00)" for p, _ in people)
        + ") AS t(channel, order_id, channel_uid, order_date, status, net_amount)")
    owner = {True: "'S01'", False: "NULL::VARCHAR"}
    engine.create_table_as("person_profile", "SELECT * FROM (VALUES " + ", ".join(
        f"('{p}', {i}, DATE '2026-05-01', '顾客{p}', {owner[friend]}, NULL::VARCHAR, DATE '2026-03-01', "
        f"{str(friend).lower()}, 1, DATE '2026-05-01', NULL::BIGINT)" for i, (p, friend) in enumerate(people))
        + ") AS t(person_id, person_key, as_of, name, owner_staff_id, owner_store_id, private_since, is_friend, "
        "orders, first_order_date, birthday_month)")
    engine.ensure_table("person_tag", PERSON_TAG)


def _tasks(store: sa.Engine, journey: str) -> dict[str, set[str]]:
    with store.connect() as conn:
        rows = conn.execute(select(task.c.person_id, task.c.kind).where(task.c.journey == journey)).all()
    out: dict[str, set[str]] = {}
    for person, kind in rows:
        out.setdefault(kind, set()).add(person)
    return out


def test_no_task_for_the_do_not_contact_list_or_a_removed_friend_in_any_journey(store: sa.Engine,
                                                                                 tmp_path: Path) -> None:
    engine = DuckDBEngine(tmp_path / "w.duckdb")
    _brand(engine)
    opt_out(store, "P4", "asked on the phone")
    out = evaluate(engine, store, KEEPS_EVERYONE, JourneySettings(do_not_contact=["P2"]), "Asia/Shanghai", DAY, NOW)
    engine.close()
    made = _tasks(store, "thanks")
    assert made["task"] == {"P1", "P5"}  # P2 and P4 asked not to be contacted, P3 removed S01
    assert made["coupon"] == {"P1", "P2", "P3", "P4", "P5"}  # the journey keeps them: a coupon contacts nobody
    assert out.barred == 3 and "barred by the rails 3" in out.detail()


def test_the_seed_journey_is_for_wecom_friends(store: sa.Engine, tmp_path: Path) -> None:
    engine = DuckDBEngine(tmp_path / "w.duckdb")
    _brand(engine)
    seed = [j for j in load_journeys() if j.name == "seed"]
    evaluate(engine, store, [*seed], JourneySettings(), "Asia/Shanghai", DAY, NOW)
    engine.close()
    with store.connect() as conn:
        left = dict(conn.execute(select(state.c.person_id, state.c.exit_reason)).all())
        asked = {r[0] for r in conn.execute(select(task.c.person_id).where(task.c.step == "confirm_address"))}
    assert left == {"P1": None, "P2": None, "P3": "friend_removed", "P4": None, "P5": "condition"}
    assert asked == {"P1", "P2", "P4"}  # a task, or a holdout row in its place: never for P3 or P5


def test_an_invite_task_names_its_group(store: sa.Engine, tmp_path: Path) -> None:
    """The group an invite step names (a profile field may pick it) is in the task staff see."""
    invite = parse_journeys("""
[journeys.club]
trigger = { kind = "first_order" }
holdout = 0
[[journeys.club.steps]]
action = { kind = "invite", group = "{owner_staff_id} 白领群", title = "邀请入群", template = "{name}，欢迎入群" }
""", "test")
    engine = DuckDBEngine(tmp_path / "w.duckdb")
    _brand(engine)
    evaluate(engine, store, invite, JourneySettings(), "Asia/Shanghai", DAY, NOW)
    engine.close()
    with store.connect() as conn:
        titles = dict(conn.execute(select(task.c.person_id, task.c.title).where(task.c.kind == "invite")).all())
    assert titles == {"P1": "邀请入群 → S01 白领群", "P2": "邀请入群 → S01 白领群", "P4": "邀请入群 → S01 白领群",
                      "P5": "邀请入群 →  白领群"}  # P3 removed S01: no task


def test_the_weekly_cap_tightens_once_the_relationship_is_older_than_early_days(store: sa.Engine,
                                                                                tmp_path: Path) -> None:
    """A journey with two tasks due the same day, for friends in the private domain since March 1st (61 days on
    May 1st): past `early_days` = 60 the cap is 1, one task each and the other put off; then a second such journey
    within `early_days` = 90 (cap 2) gets one task each: the cap counts every journey's tasks."""
    two = parse_journeys("""
[journeys.two]
trigger = { kind = "first_order" }
holdout = 0
[[journeys.two.steps]]
name = "first"
action = { kind = "task", title = "一", template = "{name}" }
[[journeys.two.steps]]
name = "second"
action = { kind = "task", title = "二", template = "{name}" }
""", "test")
    made = {}
    for early in (60, 90):
        engine = DuckDBEngine(tmp_path / f"w{early}.duckdb")
        _brand(engine)
        renamed = [dataclasses.replace(two[0], name=f"two{early}")]
        out = evaluate(engine, store, renamed, JourneySettings(early_days=early), "Asia/Shanghai", DAY, NOW)
        engine.close()
        made[early] = (out.tasks, out.deferred)
    assert made == {60: (4, 4), 90: (4, 4)}  # P1, P2, P4, P5 (P3 removed S01)


def test_a_draft_shows_profile_fields_masked_as_staff_may_see_them(store: sa.Engine, tmp_path: Path) -> None:
    """Staff read drafts: a template naming the name, phone or date of birth gets them masked (王**, 138****5678,
    nothing), as the 360 view shows them to a role that does not unmask; other fields as they are."""
    note = parse_journeys("""
[journeys.note]
trigger = { kind = "first_order" }
holdout = 0
[[journeys.note.steps]]
action = { kind = "task", title = "回访", template = "{name}|{phone}|{birthday}|{birthday_month}|{owner_staff_id}" }
""", "test")
    engine = DuckDBEngine(tmp_path / "w.duckdb")
    _brand(engine)
    engine.execute("ALTER TABLE person_profile ADD COLUMN phone VARCHAR")
    engine.execute("ALTER TABLE person_profile ADD COLUMN birthday DATE")
    engine.execute("UPDATE person_profile SET name = '王丽华', phone = '13812345678', birthday = DATE '1990-05-12', "
                   "birthday_month = 5")
    evaluate(engine, store, note, JourneySettings(), "Asia/Shanghai", DAY, NOW)
    engine.close()
    with store.connect() as conn:
        drafts = dict(conn.execute(select(task.c.person_id, task.c.draft).where(task.c.journey == "note")).all())
    assert drafts["P1"] == "王**|138****5678||5|S01"
    assert not [d for d in drafts.values() if "12345678" in d or "丽华" in d or "1990" in d]
