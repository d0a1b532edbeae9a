"""Journey definitions: the shipped defaults load; every mistake is one line naming the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from siyu.errors import UserError
from siyu.journeys.definition import load_journeys, parse_journeys


def test_the_defaults_hold_the_seed_journey() -> None:
    journeys = {j.name: j for j in load_journeys()}
    seed = journeys["seed"]
    assert seed.trigger == "first_order" and seed.holdout == 0.1
    assert [s.name for s in seed.steps] == ["confirm_address", "coupon", "personal_wechat", "group_invite",
                                            "coupon_reminder"]
    coupon = seed.steps[1].action
    assert coupon is not None and (coupon.value_fen, coupon.valid_days) == (1000, 30)
    # 3 days before the 30-day coupon ends: 1 + 2 + 24 days after the coupon was issued on day 1
    assert sum(s.wait_days for s in seed.steps[2:]) + 1 == 27
    assert {"product_follow_up", "recipe_guide", "birthday_care"} <= set(journeys)


@pytest.mark.parametrize(("text", "message"), [
    ("[journeys.a]\ntrigger = { kind = 'moon' }\nsteps = [{}]",
     "j.toml: journeys.a.trigger.kind: must be one of friend_added, first_order"),
    ("[journeys.a]\ntrigger = { kind = 'first_order' }\nsteps = [{ wait_days = -1 }]",
     "j.toml: journeys.a.steps[0].wait_days: must be a whole number from 0 to 3650, not -1"),
    ("[journeys.a]\ntrigger = { kind = 'first_order' }\nsteps = [{ until = 'rain' }]",
     "j.toml: journeys.a.steps[0].until: must be one of replied, bought, joined_group, not 'rain'"),
    ("[journeys.a]\ntrigger = { kind = 'first_order' }\nholdout = 1.5\nsteps = [{}]",
     "j.toml: journeys.a.holdout: must be a share from 0 to below 1, not 1.5"),
    ("[journeys.a]\ntrigger = { kind = 'tag_entered' }\nsteps = [{}]",
     "j.toml: journeys.a.trigger.tag: must be non-empty text, not None"),
    ("[journeys.a]\ntrigger = { kind = 'first_order' }\nsteps = [{ action = { kind = 'coupon', value = 0 } }]",
     "j.toml: journeys.a.steps[0].action.value: must be yuan above 0, not 0"),
    ("[journeys.a]\ntrigger = { kind = 'first_order' }\nsteps = [{ action = { kind = 'task', title = 't', "
     "template = '{name' } }]", "j.toml: journeys.a.steps[0].action.template: bad template"),
    ("[journeys.a]\ntrigger = { kind = 'first_order' }\nstep = []",
     "j.toml: journeys.a.step: unknown key; known: description, enabled"),
    ("[journeys.a]\ntrigger = { kind = 'first_order' }\nexits = ['bored']\nsteps = [{}]",
     "j.toml: journeys.a.exits: must be a list of bought, friend_removed, opted_out"),
    ("[journeys\n", "j.toml: not valid TOML"),
])
def test_mistakes_name_the_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "j.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UserError) as err:
        load_journeys(path)
    shown = str(err.value).replace(str(tmp_path) + "/", "")
    assert shown.startswith(message) and "\n" not in shown


def test_a_valid_file_parses() -> None:
    [j] = parse_journeys("[journeys.w]\ntrigger = { kind = 'past_interval', factor = 1.5 }\n"
                         "[[journeys.w.steps]]\ncondition = 'is_friend'\notherwise = 'exit'\n"
                         "action = { kind = 'invite', group = '白领群', title = 't', template = '{name}' }", "x")
    assert j.params == {"factor": 1.5} and j.steps[0].action is not None and j.steps[0].action.group == "白领群"


def test_a_bad_condition_stops_the_evaluation_naming_its_key(tmp_path: Path) -> None:
    import datetime as dt

    import sqlalchemy as sa

    from siyu.engine.duckdb_engine import DuckDBEngine
    from siyu.journeys.evaluate import evaluate
    from siyu.journeys.settings import JourneySettings
    from siyu.journeys.tables import state
    from siyu.store import open_store

    [j] = parse_journeys("[journeys.w]\ntrigger = { kind = 'first_order' }\n"
                         "[[journeys.w.steps]]\ncondition = 'ordrs > 1'\n"
                         "action = { kind = 'task', title = 't', template = 'hi' }", "x")
    store = open_store(f"sqlite:///{tmp_path / 's.sqlite'}")
    with DuckDBEngine(tmp_path / "w.duckdb") as engine:
        engine.query("CREATE TABLE person_profile AS SELECT 'P1' AS person_id, DATE '2026-05-01' AS as_of, "
                     "1 AS orders")
        engine.query("CREATE TABLE person_map AS SELECT 'miniprogram' AS channel, 'u1' AS channel_uid, "
                     "'P1' AS person_id")
        engine.query("CREATE TABLE orders AS SELECT 'miniprogram' AS channel, 'o1' AS order_id, 'u1' AS channel_uid, "
                     "DATE '2026-05-01' AS order_date, 'paid' AS status, 88.0 AS net_amount")
        with pytest.raises(UserError, match=r"^journeys\.w\.steps\[0\]\.condition: .*ordrs"):
            evaluate(engine, store, [j], JourneySettings(), "Asia/Shanghai", dt.date(2026, 5, 1))
    with store.connect() as conn:  # stopped before anyone entered: a fixed definition finds the day untouched
        assert conn.execute(sa.select(sa.func.count()).select_from(state)).scalar_one() == 0
    store.dispose()
