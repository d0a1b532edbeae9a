"""Attribution, statements, the leaderboard and KOC candidates give the same answers on Spark as on DuckDB."""

from __future__ import annotations

from typing import Any

from siyu.engine import Engine
from siyu.guides.attribution import attribute
from siyu.guides.commission import statements
from siyu.guides.leaderboard import leaderboard

from .brand import build
from .test_guides import CFG, MARCH


def _answers(engine: Engine) -> dict[str, Any]:
    build(engine)
    attribute(engine, CFG, *MARCH)
    rows = engine.query("SELECT order_id, guide_id, guide_store_id, rule, kind, reason, net_amount "
                        "FROM guide_attribution ORDER BY order_id").to_pylist()
    return {"attribution": rows,
            "statements": {g: [(ln.order_id, ln.kind, ln.commission_fen) for ln in s.lines]
                           for g, s in statements(engine, CFG, "2026-03").items()},
            "leaderboard": leaderboard(engine, CFG, *MARCH)}


def test_attribution_parity_duckdb_spark(duck: Engine, spark: Engine) -> None:
    expected = _answers(duck)
    assert [r["order_id"] for r in expected["attribution"]] == ["O1", "O2", "O4", "O5"]
    assert _answers(spark) == expected
