"""Built-in tags, user rules, manual tags and tag history on the hand-made persons (test_profile_world.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_profile_columns import open_world

from siyu.config import ConfigError, Settings
from siyu.engine import Engine
from siyu.profile import run_profile
from siyu.segment import run_tags
from siyu.segment.manual import import_tags


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = open_world(tmp_path_factory.mktemp("tags") / "w.duckdb")
    run_profile(engine, Settings())
    run_tags(engine, Settings())
    yield engine
    engine.close()


def tags(engine: Engine, family: str | None = None) -> dict[str, set[str]]:
    where = f"WHERE family = '{family}'" if family else ""
    out: dict[str, set[str]] = {}
    for r in engine.query(f"SELECT person_id, tag FROM person_tag {where}").to_pylist():
        out.setdefault(r["person_id"], set()).add(r["tag"])
    return out


def holders(engine: Engine, tag: str) -> set[str]:
    return {p for p, t in tags(engine).items() if tag in t}


def test_rfm_eight_classes_by_median(world: Engine) -> None:
    # medians over buyers: recency 60, orders 2, spend 300; "high" is strictly better than the median
    assert tags(world, "rfm") == {"alice": {"重要保持"}, "bob": {"一般发展"}, "carol": {"一般挽留"},
                                  "dave": {"一般挽留"}, "frank": {"重要价值"}}


def test_rfm_fixed_thresholds(tmp_path: Path) -> None:
    engine = open_world(tmp_path / "w.duckdb")
    run_profile(engine, Settings())
    fixed = {"rfm": {"method": "fixed", "recency_days": 60, "orders": 2, "spend": 500}}
    run_tags(engine, Settings(sections={"tags": fixed}))
    assert tags(engine, "rfm")["alice"] == {"重要价值"}  # 60 days, 3 orders, ¥900: all at least the thresholds
    assert tags(engine, "rfm")["dave"] == {"一般保持"}  # 2 orders, but ¥300 < 500 and 90 days ago
    engine.close()


def test_lifecycle_against_own_interval(world: Engine) -> None:
    stage = {p: t.pop() for p, t in tags(world, "lifecycle").items()}
    assert stage == {"alice": "active", "bob": "new", "carol": "lost", "dave": "sleeping", "eve": "prospect",
                     "frank": "active"}


def test_lifecycle_factors_and_p_alive_are_configurable(tmp_path: Path) -> None:
    engine = open_world(tmp_path / "w.duckdb")
    import pyarrow as pa

    engine.write_arrow("clv_score", pa.table({"person_id": ["frank"], "p_alive": [0.1],
                                              "expected_orders_90d": [0.1], "clv": [10.0]}), mode="replace")
    run_profile(engine, Settings())
    run_tags(engine, Settings(sections={"tags": {"lifecycle": {"sleeping_factor": 3.5, "lost_factor": 4.0}}}))
    assert holders(engine, "sleeping") == set() and "dave" not in holders(engine, "lost")
    assert "frank" in holders(engine, "lost")  # P(alive) 0.1 < 0.2
    engine.close()


def test_preference_tags_need_half_the_items(world: Engine) -> None:
    assert tags(world, "preference") == {
        "alice": {"material:冰丝", "category:bra", "style:基础款"},
        "dave": {"material:棉", "category:bra", "style:基础款"},
    }


def test_value_activity_and_care_tags(world: Engine) -> None:
    assert holders(world, "high_net_worth") == {"frank"}  # top 5% by spend
    assert holders(world, "high_activity_low_repurchase") == {"eve"}
    assert holders(world, "stored_value_member") == {"alice"}
    assert holders(world, "birthday_this_month") == {"alice"}  # June birthday, as of June 30
    assert holders(world, "coupon_expiring") == {"alice"}  # C1 expires July 2
    assert holders(world, "koc_candidate") == {"frank"}  # 6 orders, ¥12,000 in a year, group messages


def test_high_net_worth_fixed_threshold(tmp_path: Path) -> None:
    engine = open_world(tmp_path / "w.duckdb")
    run_profile(engine, Settings())
    run_tags(engine, Settings(sections={"tags": {"high_net_worth_spend": 500}}))
    assert holders(engine, "high_net_worth") == {"alice", "frank"}
    engine.close()


def test_history_across_two_runs(tmp_path: Path) -> None:
    engine = open_world(tmp_path / "w.duckdb")
    may = Settings(sections={"profile": {"as_of": "2026-05-15"}})
    run_profile(engine, may)
    run_tags(engine, may)
    assert "dave" in holders(engine, "active") and "bob" in holders(engine, "prospect")
    run_profile(engine, Settings())
    _, _, message = run_tags(engine, Settings())
    started, ended = (engine.scalar(f"SELECT count(*) FROM person_tag_history WHERE {c} = DATE '2026-06-30'")
                      for c in ("started_on", "ended_on"))
    assert message.endswith(f"{started:,} tags started, {ended:,} ended") and started > 0 and ended > 0
    rows = engine.query("SELECT person_id, tag, started_on, ended_on FROM person_tag_history "
                        "WHERE person_id IN ('dave', 'bob') AND family = 'lifecycle' ORDER BY person_id, started_on")
    got = [(r["person_id"], r["tag"], r["started_on"], r["ended_on"]) for r in rows.to_pylist()]
    may15, jun30 = dt.date(2026, 5, 15), dt.date(2026, 6, 30)
    assert got == [("bob", "prospect", may15, jun30), ("bob", "new", jun30, None),
                   ("dave", "active", may15, jun30), ("dave", "sleeping", jun30, None)]
    # "who became sleeping this week" is one query
    week = engine.query("SELECT person_id FROM person_tag_history WHERE tag = 'sleeping' "
                        "AND started_on > DATE '2026-06-23'").column(0).to_pylist()
    assert week == ["dave"]
    # re-running the same day changes nothing
    before = engine.row_count("person_tag_history")
    assert run_tags(engine, Settings())[2].endswith("0 tags started, 0 ended")
    assert engine.row_count("person_tag_history") == before
    engine.close()


def test_rules_file_tags(tmp_path: Path) -> None:
    engine = open_world(tmp_path / "w.duckdb")
    (tmp_path / "tags.toml").write_text(
        '[[tag]]\nname = "ice_silk_fan"\ndescription = "冰丝 lovers"\n'
        "predicate = \"preferred_material = '冰丝' and orders >= 2\"\n\n"
        '[[tag]]\nname = "sleeping_bra_buyer"\npredicate = "has_tag(\'sleeping\') and bought(category := \'bra\')"\n',
        encoding="utf-8")
    settings = Settings(root=tmp_path)
    run_profile(engine, settings)
    run_tags(engine, settings)
    assert holders(engine, "ice_silk_fan") == {"alice"}
    assert holders(engine, "sleeping_bra_buyer") == {"dave"}
    engine.close()


def test_bad_rule_names_file_and_tag(tmp_path: Path) -> None:
    engine = open_world(tmp_path / "w.duckdb")
    (tmp_path / "tags.toml").write_text('[[tag]]\nname = "x"\npredicate = "oders > 1"\n', encoding="utf-8")
    run_profile(engine, Settings())
    with pytest.raises(ConfigError, match=r"tags.toml: tag 'x': unknown column 'oders'[\s\S]*did you mean 'orders'"):
        run_tags(engine, Settings(root=tmp_path))
    engine.close()


def test_manual_tags_from_a_list(tmp_path: Path) -> None:
    engine = open_world(tmp_path / "w.duckdb")
    run_profile(engine, Settings())
    listing = tmp_path / "vip.csv"
    listing.write_text("phone\n13800000001\n13999999999\n", encoding="utf-8")
    added, unknown = import_tags(engine, listing, "vip")
    assert (added, unknown) == (1, ["13999999999"])
    assert import_tags(engine, listing, "vip")[0] == 0  # idempotent
    run_tags(engine, Settings())
    assert holders(engine, "vip") == {"alice"}
    bad = tmp_path / "bad.csv"
    bad.write_text("person_id,tag\nalice,\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.csv: row 2: field 'tag' is empty"):
        import_tags(engine, bad)
    engine.close()


def test_a_typo_in_tag_settings_is_an_error(world: Engine) -> None:
    with pytest.raises(ConfigError, match=r"tags\.koc_order"):
        run_tags(world, Settings(sections={"tags": {"koc_order": 3}}))
