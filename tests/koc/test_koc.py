"""The KOC programme on hand-built data (tests/koc/koc_brand.py): candidate thresholds, the roster's paths,
group assignment, monthly evaluation and rotation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pytest
import sqlalchemy as sa

from siyu.config import Settings
from siyu.config.sections import ConfigError
from siyu.engine import Engine
from siyu.errors import UserError
from siyu.journeys.tables import task
from siyu.journeys.tasks import act
from siyu.koc.candidates import candidates
from siyu.koc.evaluation import evaluate_month, rotation, top_of_year
from siyu.koc.groups import assign, assignments, below_minimum, suggest
from siyu.koc.roster import change, history_of, nominate, roster
from siyu.koc.settings import KocSettings, koc_settings
from siyu.persons.scope import EVERYONE

from .koc_brand import AS_OF, build

CFG = KocSettings(premium_group_types=["福利群"], normal_groups_max=3)


@pytest.fixture
def brand(duck: Engine) -> Engine:
    build(duck)
    return duck


def test_candidates_meet_every_threshold_with_evidence(brand: Engine) -> None:
    # K1: 5 purchases, exactly ¥10,000, speaks in groups; K2 ¥9,999.99; K3: 4 inside the window; K4: silent;
    # K5: 5 purchases (its refunded order is not one) and ¥10,000, a 1:1 message and group speech
    got = candidates(brand, CFG, AS_OF)
    assert [(r["person_id"], r["purchases"], r["spend"], r["chat_messages"], r["group_messages"], r["groups"])
            for r in got] == [("K1", 5, Decimal("10000.00"), 0, 3, 3), ("K5", 5, Decimal("10000.00"), 1, 5, 5)]
    assert {r["person_id"] for r in candidates(brand, KocSettings(min_messages=0), AS_OF)} == {"K1", "K4", "K5"}
    assert {r["person_id"] for r in candidates(brand, KocSettings(min_orders=4), AS_OF)} == {"K1", "K3", "K5"}


def _activate(store: sa.Engine, *people: str) -> None:
    for p in people:
        for state in ("candidate", "approved", "active"):
            change(store, p, state, "ops", f"to {state}")


def test_roster_paths_and_history(store: sa.Engine) -> None:
    assert nominate(store, ["K1", "K5"], "ops", "passed the rule") == ["K1", "K5"]
    assert nominate(store, ["K1"], "ops", "again") == []
    with pytest.raises(UserError, match="can become approved, retired, not active"):
        change(store, "K1", "active", "ops", "skip the quiz")
    change(store, "K1", "approved", "anna", "quiz passed")
    change(store, "K1", "active", "anna", "content style fits")
    change(store, "K1", "retired", "anna", "moved abroad")
    assert nominate(store, ["K1"], "ops", "back") == ["K1"]
    assert [(c.from_state, c.to_state, c.user_name, c.reason) for c in history_of(store, "K1")] == [
        (None, "candidate", "ops", "passed the rule"), ("candidate", "approved", "anna", "quiz passed"),
        ("approved", "active", "anna", "content style fits"), ("active", "retired", "anna", "moved abroad"),
        ("retired", "candidate", "ops", "back")]
    assert roster(store) == {"K1": "candidate", "K5": "candidate"}
    with pytest.raises(UserError, match="reason"):
        change(store, "K5", "approved", "ops", "")


def test_group_suggestion_and_limits(brand: Engine, store: sa.Engine) -> None:
    _activate(store, "K1", "K5")
    got = [(s.group_id, s.person_id, s.premium) for s in suggest(brand, store, CFG, AS_OF)]
    # GA (premium) to its most vocal KOC, K1, who then takes nothing else; K5 the three groups it speaks in most
    assert got == [("GA", "K1", True), ("GN1", "K5", False), ("GN2", "K5", False), ("GN3", "K5", False)]
    for g, p, _ in got:
        assign(brand, store, CFG, g, p, "ops")
    assert suggest(brand, store, CFG, AS_OF) == []  # GN4: K5 is full, K1 holds a premium group
    assert below_minimum(brand, store, CFG, []) == {}  # K5 holds 3 normal groups, K1 a premium one
    four = KocSettings(premium_group_types=["福利群"], normal_groups_min=4, normal_groups_max=5)
    assert below_minimum(brand, store, four, []) == {"K5": 3}
    with pytest.raises(UserError, match="premium"):
        assign(brand, store, CFG, "GN4", "K1", "ops")
    with pytest.raises(UserError, match="at most 3"):
        assign(brand, store, CFG, "GN4", "K5", "ops")
    change(store, "K2", "candidate", "ops", "manual")
    with pytest.raises(UserError, match="candidate"):
        assign(brand, store, CFG, "GN4", "K2", "ops")
    assert assignments(store)["GN3"] == "K5"


def test_group_suggestion_weighs_persona_against_activity(brand: Engine, store: sa.Engine) -> None:
    profiles = [("K1", "socks", "Shanghai"), ("K5", "bra", "Shanghai"), ("M1", "bra", "Shanghai"),
                ("M2", "socks", "Beijing")]
    brand.write_arrow("person_profile", pa.table({"person_id": [p[0] for p in profiles],
                                                  "preferred_category": [p[1] for p in profiles],
                                                  "city": [p[2] for p in profiles]}), mode="replace")
    _activate(store, "K1", "K5")

    def got(weight: int) -> list[tuple[str, str, bool, int, int]]:
        cfg = KocSettings(premium_group_types=["福利群"], normal_groups_max=3, persona_weight=weight)
        return [(s.group_id, s.person_id, s.premium, s.messages, s.persona) for s in suggest(brand, store, cfg,
                                                                                            AS_OF)]

    # GA's members on 31 March are K1 and K5 (M2 left): commonest category bra (a tie with socks, the smaller
    # wins), city Shanghai. K5 matches both: 1 message + 2 × 5 = 11 beats K1's 3 + 5 = 8, so K5 takes GA alone
    # and K1 its two other groups (GN1's and GN2's commonest city is K1's, their category is not)
    assert got(5) == [("GA", "K5", True, 1, 2), ("GN1", "K1", False, 0, 1), ("GN2", "K1", False, 0, 1)]
    cfg = KocSettings(premium_group_types=["福利群"], normal_groups_max=3)
    assert below_minimum(brand, store, cfg, suggest(brand, store, cfg, AS_OF)) == {"K1": 2}  # 2 of at least 3
    # a persona match worth one message: K1's 3 + 1 beats K5's 1 + 2, as by activity alone
    assert got(1)[0] == ("GA", "K1", True, 3, 1)
    assert [(g, p) for g, p, *_ in got(0)] == [("GA", "K1"), ("GN1", "K5"), ("GN2", "K5"), ("GN3", "K5")]


def test_monthly_evaluation_ranks_by_member_sales(brand: Engine, store: sa.Engine) -> None:
    _activate(store, "K1", "K5")
    for g, p in (("GA", "K1"), ("GN1", "K5"), ("GN2", "K5"), ("GN3", "K5")):
        assign(brand, store, CFG, g, p, "ops")
    rows = evaluate_month(brand, store, "2026-03")
    # K5: GN1–3 speakers K5 and M1, 2+1+1+4 messages, members K1 (¥2,000 on 1 March) and M1 (¥500)
    # K1: GA speakers K1 and K5, 3+1 messages, M2 left on 15 March, member K5 bought ¥2,000 on 5 March
    assert [(r["rank"], r["person_id"], r["speakers"], r["messages"], r["own_messages"], r["exits"],
             r["member_sales"]) for r in rows] == [(1, "K5", 2, 8, 4, 0, Decimal("2500.00")),
                                                   (2, "K1", 2, 4, 3, 1, Decimal("2000.00"))]
    assert [r["person_id"] for r in top_of_year(brand, store, 2026, n=1)] == ["K5"]


def test_a_koc_on_standby_gives_up_their_groups(brand: Engine, store: sa.Engine) -> None:
    _activate(store, "K1", "K5")
    for g, p in (("GA", "K1"), ("GN1", "K5"), ("GN2", "K5")):
        assign(brand, store, CFG, g, p, "ops")
    moved = change(store, "K5", "standby", "ops", "silent two months")
    assert moved.released == ("GN1", "GN2") and assignments(store) == {"GA": "K1"}
    assert [r["person_id"] for r in evaluate_month(brand, store, "2026-03")] == ["K1"]  # a resting KOC is not ranked
    change(store, "K5", "active", "ops", "back from the pool")
    # the freed groups go to a KOC at work at the next suggestion (K5 again: nobody else speaks there)
    assert [(s.group_id, s.person_id) for s in suggest(brand, store, CFG, AS_OF)] == [
        ("GN1", "K5"), ("GN2", "K5"), ("GN3", "K5")]
    assert change(store, "K1", "retired", "ops", "moved abroad").released == ("GA",) and assignments(store) == {}
    assert change(store, "K5", "retired", "ops", "left").released == ()


def _task(store: sa.Engine, journey: str, person: str, step: str, due: str) -> int:
    at = dt.datetime.fromisoformat(due).replace(tzinfo=dt.UTC)
    with store.begin() as conn:
        return int(conn.execute(task.insert().returning(task.c.id).values(
            key=f"{journey}:{person}:e:{step}", journey=journey, person_id=person, entry_key="e", step=step,
            kind="task", owner_staff_id="G1", title=step, draft="", created_at=at - dt.timedelta(days=1),
            due_at=at, status="open", revenue_fen=0)).scalar_one())


def test_monthly_evaluation_counts_content_tasks_executed(brand: Engine, store: sa.Engine) -> None:
    _activate(store, "K1", "K5")
    for g, p in (("GA", "K1"), ("GN1", "K5")):
        assign(brand, store, CFG, g, p, "ops")
    march = dt.datetime(2026, 3, 20, 10, tzinfo=dt.UTC)
    post, topic, _live = (_task(store, "koc_content", "K5", s, d) for s, d in
                         (("post", "2026-03-05"), ("topic", "2026-03-12"), ("live", "2026-03-26")))
    act(store, post, EVERYONE, "done", "G1", now=march)
    act(store, topic, EVERYONE, "skipped", "G1", "KOC on holiday", now=march)
    act(store, _task(store, "seed", "K5", "confirm_address", "2026-03-06"), EVERYONE, "done", "G1", now=march)
    late = _task(store, "koc_content", "K1", "post", "2026-02-25")  # due in February, done in March
    act(store, late, EVERYONE, "done", "G1", now=dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC))
    act(store, _task(store, "koc_content", "K1", "topic", "2026-04-02"), EVERYONE, "done", "G1",
        now=dt.datetime(2026, 4, 1, 9, tzinfo=dt.UTC))  # done in April
    # K5: three content tasks due in March (post done, topic skipped, live open), the seed task is no content one;
    # K1: February's post done on 2 March counts as executed in March, not as due
    got = {r["person_id"]: (r["content_tasks"], r["content_done"]) for r in evaluate_month(brand, store, "2026-03",
                                                                                         CFG)}
    assert got == {"K5": (3, 1), "K1": (0, 1)}
    other = KocSettings(content_journeys=["seed"])
    assert {r["person_id"]: (r["content_tasks"], r["content_done"])
            for r in evaluate_month(brand, store, "2026-03", other)} == {"K5": (1, 1), "K1": (0, 0)}


def test_rotation_moves_the_silent_to_standby_and_promotes_the_vocal(brand: Engine, store: sa.Engine) -> None:
    _activate(store, "K1", "K2", "K3", "K4")
    for p in ("K2", "K3"):
        change(store, p, "standby", "ops", "resting")
    got = [(r.person_id, r.action) for r in rotation(brand, store, CFG, "2026-03")]
    # K4 said nothing in February or March; K3 spoke in March (K2 only in February): K3 comes back
    assert got == [("K4", "standby"), ("K3", "promote")]
    assert [(r.person_id, r.action) for r in rotation(brand, store, CFG, "2026-02")] == [
        ("K1", "standby"), ("K4", "standby"), ("K2", "promote")]


def test_koc_section_is_validated() -> None:
    with pytest.raises(ConfigError, match="normal_groups_min"):
        koc_settings(Settings(sections={"koc": {"normal_groups_min": 6}}))
    with pytest.raises(ConfigError, match="min_order"):
        koc_settings(Settings(sections={"koc": {"min_order": 3}}))
