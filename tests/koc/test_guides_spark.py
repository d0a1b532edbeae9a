"""Attribution, statements, the leaderboard and the KOC programme (candidates, group suggestions with persona,
the monthly evaluation) give the same answers on Spark as on DuckDB."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
from loyalty.loyalty_stores import store as open_test_store

from siyu.engine import Engine
from siyu.guides.attribution import attribute
from siyu.guides.commission import statements
from siyu.guides.leaderboard import leaderboard
from siyu.koc.candidates import candidates
from siyu.koc.evaluation import evaluate_month
from siyu.koc.groups import assign, suggest
from siyu.koc.roster import change

from .brand import build
from .koc_brand import AS_OF
from .koc_brand import build as build_koc
from .test_guides import CFG, MARCH
from .test_koc import CFG as KOC_CFG


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


def _koc_answers(engine: Engine, folder: Path) -> dict[str, Any]:
    build_koc(engine)
    engine.write_arrow("person_profile", pa.table({
        "person_id": ["K1", "K5", "M1", "M2"], "preferred_category": ["socks", "bra", "bra", "socks"],
        "city": ["Shanghai", "Shanghai", "Shanghai", "Beijing"]}), mode="replace")
    folder.mkdir()
    with open_test_store("sqlite", folder) as store:
        for p in ("K1", "K5"):
            for state in ("candidate", "approved", "active"):
                change(store, p, state, "ops", state)
        found = suggest(engine, store, KOC_CFG, AS_OF)
        for s in found:
            assign(engine, store, KOC_CFG, s.group_id, s.person_id, "ops")
        return {"candidates": candidates(engine, KOC_CFG, AS_OF), "suggestions": found,
                "evaluation": evaluate_month(engine, store, "2026-03", KOC_CFG)}


def test_koc_parity_duckdb_spark(duck: Engine, spark: Engine, tmp_path: Path) -> None:
    expected = _koc_answers(duck, tmp_path / "duck")
    assert [(s.group_id, s.person_id) for s in expected["suggestions"]] == [("GA", "K5"), ("GN1", "K1"),
                                                                            ("GN2", "K1")]
    assert _koc_answers(spark, tmp_path / "spark") == expected
