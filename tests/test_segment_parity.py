"""Parity: profile, tags, segment counts and snapshots give the same answers on DuckDB and Spark."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from test_profile_columns import open_world

from siyu.config import Settings
from siyu.engine import Engine
from siyu.profile import run_profile
from siyu.profile.facts import INPUTS
from siyu.segment import run_segments, run_tags, segment_sql
from siyu.segment.store import save_segment
from siyu.segment.vocabulary import vocabulary

EXPRESSIONS = [
    "orders >= 2 and preferred_material = '冰丝'",
    "has_tag('sleeping') or has_tag('lost')",
    "last_order_date < today() - 90",
    "bought(category := 'bra', within_days := 90) or in_group('白领群')",
    "friend_of(staff := 'S2', ever := true) and not has_tag('koc_candidate')",
    "city in ('杭州市') or birthday_month = month(today())",
    "coalesce(preferred_channel, 'none') <> 'jd' and net_spend between 100 and 1000",
]


def _rows(engine: Engine, sql: str) -> list[dict[str, Any]]:
    rows = engine.query(sql).to_pylist()
    # Spark widens DECIMAL sums; compare money as Decimal values, not types
    return [{k: Decimal(str(v)) if isinstance(v, Decimal) else v for k, v in r.items()} for r in rows]


@pytest.mark.spark
def test_profile_tags_and_segments_same_on_both_engines(spark: Engine, tmp_path: Path) -> None:
    duck = open_world(tmp_path / "w.duckdb")
    for name in [*INPUTS, "person_map"]:
        spark.write_arrow(name, duck.read_arrow(name), mode="replace")
    for engine in (duck, spark):
        run_profile(engine, Settings())
        run_tags(engine, Settings())
        save_segment(engine, "sleepers", "has_tag('sleeping')")
        run_segments(engine, Settings(), run_id="r1")
    assert _rows(duck, "SELECT * FROM person_profile ORDER BY person_id") == _rows(
        spark, "SELECT * FROM person_profile ORDER BY person_id")
    tag_sql = "SELECT person_id, tag, family, source FROM person_tag ORDER BY person_id, tag"
    assert _rows(duck, tag_sql) == _rows(spark, tag_sql)
    # every expression in one query: each Spark query costs seconds, the data is tiny
    members = [_rows(e, " UNION ALL ".join(
        f"SELECT {i} AS expression, person_id FROM ({segment_sql(x, vocabulary(e))}) AS s{i}"
        for i, x in enumerate(EXPRESSIONS)) + " ORDER BY expression, person_id") for e in (duck, spark)]
    assert members[0] == members[1]
    assert {r["expression"] for r in members[0]} == set(range(len(EXPRESSIONS)))  # none is empty
    snap = "SELECT segment, person_id FROM segment_member ORDER BY person_id"
    assert _rows(duck, snap) == _rows(spark, snap) == [{"segment": "sleepers", "person_id": "dave"}]
    duck.close()
