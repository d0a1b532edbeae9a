"""The segment language: what it accepts, what it means, and that everything else is refused clearly."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from test_profile_columns import open_world

from siyu.config import Settings
from siyu.engine import Engine
from siyu.profile import run_profile
from siyu.segment import SegmentError, run_tags
from siyu.segment.language import Vocabulary, compile_predicate
from siyu.segment.store import count
from siyu.segment.vocabulary import vocabulary


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = open_world(tmp_path_factory.mktemp("seg") / "w.duckdb")
    run_profile(engine, Settings())
    run_tags(engine, Settings())
    yield engine
    engine.close()


def members(engine: Engine, expression: str) -> set[str]:
    from siyu.segment import segment_sql

    return set(engine.query(segment_sql(expression, vocabulary(engine))).column(0).to_pylist())


@pytest.mark.parametrize(("expression", "expected"), [
    ("orders >= 2", {"alice", "carol", "dave", "frank"}),
    ("orders >= 2 and preferred_material = '冰丝'", {"alice"}),
    ("has_tag('sleeping') or has_tag('lost')", {"carol", "dave"}),
    ("has_tag('sleeping', 'lost')", {"carol", "dave"}),
    ("last_order_date < today() - 90", {"carol"}),
    ("last_order_date < today() - interval 13 week", {"carol"}),
    ("last_order_date >= DATE '2026-06-01'", {"bob", "frank"}),
    ("bought(category := 'bra', within_days := 90)", {"alice"}),
    ("bought('bra')", {"alice", "dave"}),
    ("bought(material := '冰丝', channel := 'tmall')", {"alice"}),
    ("bought(channel := 'jd')", {"bob"}),
    ("bought(product := '冰丝')", {"alice"}),
    ("in_group('白领群')", {"alice"}),
    ("in_group('白领群', ever := true)", {"alice", "eve"}),
    ("in_group('G2')", {"eve", "frank"}),
    ("friend_of(staff := 'S2')", {"frank"}),
    ("friend_of('S2', ever := true)", {"eve", "frank"}),
    ("friend_of()", {"alice", "frank"}),
    ("is_friend and not has_tag('koc_candidate')", {"alice"}),
    ("city in ('杭州市', '上海市') or lower(preferred_channel) = 'jd'", {"alice", "bob"}),
    ("coalesce(preferred_material, 'none') = 'none' and orders between 1 and 2", {"bob", "carol"}),
    ("birthday_month = month(today())", {"alice"}),
    ("name like '王%' and phone is not null", {"alice"}),
    ("net_spend >= 10000 or (orders = 1 and recency_days <= 30)", {"bob", "frank"}),
])
def test_expressions_select_the_right_persons(world: Engine, expression: str, expected: set[str]) -> None:
    assert members(world, expression) == expected


def test_count_matches_members(world: Engine) -> None:
    assert count(world, "orders >= 2") == 4


VOCAB = Vocabulary(frozenset({"orders", "net_spend", "city", "is_friend"}), dt.date(2026, 6, 30),
                   frozenset({"is_friend"}), frozenset({"city"}), frozenset({"orders", "net_spend"}))


@pytest.mark.parametrize(("expression", "message"), [
    ("1; drop table x", "not several statements"),
    ("orders > 1; DELETE FROM person_profile", "not several statements"),
    ("drop table person_profile", "not a statement"),
    ("orders >= 2 union select 1", "not a statement"),
    ("(select count(*) from orders) > 1", "subqueries and table references are not allowed"),
    ("orders in (select orders from person_profile)", "subqueries and table references are not allowed"),
    ("exists(select 1 from identities)", "must be a condition"),
    ("person_profile.orders > 1", "without a table name"),
    ("raw_identity.phone is not null", "without a table name"),
    ("read_csv('/etc/passwd') is not null", "not allowed"),
    ("read_parquet('x.parquet') is not null", "not allowed"),
    ("pg_sleep(10) > 1", "unknown function 'pg_sleep'"),
    ("system('rm -rf /') = 0", "unknown function 'system'"),
    ("getenv('HOME') = 'x'", "unknown function 'getenv'"),
    ("oders >= 2", "unknown column 'oders'"),
    ("orders >= ", "cannot read"),
    ("orders >= 2 and (", "never closed"),
    ("net_spend + 1", "must be a condition"),
    ("orders", "must be a condition"),
    ("", "empty"),
    ("x" * 5000, "limit"),
    ("bought(colour := 'red')", r"bought\(\) has no parameter 'colour'"),
    ("bought(within_days := '90')", "takes a whole number"),
    ("bought(category := city)", "takes a quoted text"),
    ("has_tag()", "needs a tag name"),
    ("today(1) > 0", "takes no arguments"),
    ("CAST(orders AS VARCHAR) = '1'", "only DATE"),
    ("orders > ?", "not part of the language"),
    ("* > 1", "not allowed"),
    ("orders >= 'two'", "orders is a number"),
    ("city in ('杭州', 5)", "city is text"),
])
def test_malicious_and_malformed_are_rejected(expression: str, message: str) -> None:
    with pytest.raises(SegmentError, match=message):
        compile_predicate(expression, VOCAB)


def test_errors_point_at_the_token_and_suggest_a_column() -> None:
    with pytest.raises(SegmentError) as info:
        compile_predicate("orders >= 2 and net_spnd > 100", VOCAB)
    lines = str(info.value).splitlines()
    assert lines[0] == "unknown column 'net_spnd'"
    assert lines[1] == "  orders >= 2 and net_spnd > 100"
    assert lines[2] == "  " + " " * 16 + "^" * 8
    assert lines[3] == "did you mean 'net_spend'?"


def test_unknown_function_suggests_a_helper() -> None:
    with pytest.raises(SegmentError, match=r"unknown function 'boughts'[\s\S]*did you mean 'bought'"):
        compile_predicate("boughts('bra')", VOCAB)


def test_literals_are_quoted_by_the_compiler() -> None:
    sql = compile_predicate("city = 'x'' or 1=1 --' and has_tag('a''b')", VOCAB)
    assert "'x'' or 1=1 --'" in sql and "'a''b'" in sql


def test_every_example_in_the_docs_compiles(world: Engine) -> None:
    import re
    from pathlib import Path

    text = (Path(__file__).parent.parent / "docs" / "segments.md").read_text(encoding="utf-8")
    examples = re.findall(r"```sql\n(.+?)\n```", text.split("## Examples", 1)[1], flags=re.S)
    assert len(examples) == 20
    for example in examples:
        count(world, example)  # compiles and runs on the profile


DATED = Vocabulary(VOCAB.columns | {"last_order_date"}, VOCAB.as_of, VOCAB.booleans, VOCAB.texts, VOCAB.numbers)


# --- the grammar's edges (issue 18): refused at the position, never a RecursionError or OverflowError ----------
@pytest.mark.parametrize(("expression", "message", "at"), [
    ("orders > 1 -- and drop", "comments are not part", 11),
    ("orders > 1 /* hidden */", "comments are not part", 11),
    ("/**/orders > 1", "comments are not part", 0),
    ("orders > 1;", "not several statements", 10),
    ('"orders" > 1', "double quotes", 0),
    ("`orders` > 1", "backticks", 0),
    ("orders > $1", "'\\$' is not part", 9),
    ("city = 'a' || e'\\x41'", "'bytestring' is not allowed", None),
    ("city = 'a' \\ 'b'", "'\\\\' is not part", 11),
    ("orders in [1, 2]", "lists are written in parentheses", 10),
    ("orders > :x", "parameters are not part", None),
    ("last_order_date > DATE '2026-02-30'", "'2026-02-30' is not a real date", 23),
    ("last_order_date > DATE '2026-2-3'", "is not a real date", 23),
    ("last_order_date > DATE '0001-01-01'", "out of range", 23),
    ("last_order_date < today() - 999999999", "too far from today", 28),
    ("last_order_date < today() + interval 99999999 day", "too far from today", None),
    ("bought(within_days := 99999999)", "at most 36,525", 22),
    ("orders > 1e400", "too large", 9),
    ("net_spend > 99999999999999999999", "too large", 12),
    ("city = '" + "长" * 501 + "'", "at most 500 characters", 7),
    ("(" * 60 + "orders > 1" + ")" * 60, "nests too deeply", 20),
    ("not " * 990 + "is_friend", "nests too deeply", 80),
    ("abs(" * 600 + "orders" + ")" * 600 + " > 1", "nests too deeply", 83),
    ("- " * 30 + "orders > 1", "nests too deeply", 40),
    ("orders > 1)", "without a matching", 10),
    ("city = 'open", "never closed", 7),
])
def test_outside_the_grammar_is_refused_at_its_position(expression: str, message: str, at: int | None) -> None:
    with pytest.raises(SegmentError, match=message) as caught:
        compile_predicate(expression, DATED)
    if at is not None:
        assert caught.value.start == at


def test_depth_up_to_the_limit_compiles_on_both_dialects() -> None:
    from siyu.engine.dialect import transpile

    for expression in ["(" * 20 + "orders > 1" + ")" * 20, "not " * 19 + "is_friend",
                       "abs(" * 19 + "orders" + ")" * 19 + " > 1", " or ".join(["orders = 1"] * 280)]:
        where = compile_predicate(expression, VOCAB)
        spark_sql = transpile(f"SELECT 1 FROM person_profile AS p WHERE {where}", "spark")
        assert spark_sql.startswith("SELECT 1 FROM person_profile AS p WHERE")
        assert ("is_friend" if expression.startswith("not") else "orders") in spark_sql


def test_text_that_looks_like_a_comment_inside_quotes_is_text(world: Engine) -> None:
    assert members(world, "name = '-- /* ; \"x\" `y` $1 ?'") == set()
    assert "'-- /* ; \"x\" `y` $1 ?'" in compile_predicate("city = '-- /* ; \"x\" `y` $1 ?'", VOCAB)


def test_division_by_zero_matches_nobody(world: Engine) -> None:
    assert members(world, "orders / 0 > 1") == set()
    assert members(world, "orders % 0 = 0") == set()
    assert members(world, "not (orders / 0 > 1)") == set()
    assert members(world, "orders / 2 >= 1") == members(world, "orders >= 2")
