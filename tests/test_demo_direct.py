"""Direct mode: the demo written straight into raw tables, idempotent, the same on both write paths and engines."""

from __future__ import annotations

from pathlib import Path

import pytest

from siyu.demo.brand import DemoBrand, generate
from siyu.demo.config import DemoConfig
from siyu.demo.direct import write_direct
from siyu.engine import Engine
from siyu.engine.duckdb_engine import DuckDBEngine
from siyu.schema import migrate
from siyu.schema.tables import RAW_TABLES


@pytest.fixture(scope="module")
def tiny() -> DemoBrand:
    return generate(DemoConfig(persons=150, seed=21))


def _hashes(engine: Engine) -> dict[str, set[str]]:
    return {t: set(engine.query(f"SELECT _row_hash FROM {t}").column(0).to_pylist()) for t in RAW_TABLES}


def test_writing_twice_adds_nothing(duck: Engine, tiny: DemoBrand) -> None:
    first = write_direct(duck, tiny.exports.items())
    assert first["raw_order"] > 0 and first["raw_identity"] > 0
    assert first == {t: duck.row_count(t) for t in first}  # the counts reported are the rows stored
    again = write_direct(duck, tiny.exports.items())
    assert sum(again.values()) == 0


def test_streamed_exports_store_the_same_rows(duck: Engine, tiny: DemoBrand, tmp_path: Path) -> None:
    """Exports shaped one at a time (how large demos run) store exactly the rows of the kept exports."""
    write_direct(duck, tiny.exports.items())
    other = DuckDBEngine(tmp_path / "streamed.duckdb")
    migrate(other)
    try:
        write_direct(other, generate(DemoConfig(persons=150, seed=21)).iter_exports())
        assert _hashes(other) == _hashes(duck)
    finally:
        other.close()


def test_statuses_are_mapped_and_douyin_after_sale_overrides(duck: Engine, tiny: DemoBrand) -> None:
    write_direct(duck, tiny.exports.items())
    statuses = set(duck.query("SELECT DISTINCT status FROM raw_order").column(0).to_pylist())
    assert statuses <= {"paid", "pending", "closed", "refunded", "partially_refunded"}
    refunded = duck.scalar(
        "SELECT count(*) FROM raw_order WHERE channel = 'douyin' AND status_raw = '已完成' AND status = 'refunded'"
    )
    assert refunded > 0
    walk_ins = duck.scalar("SELECT count(*) FROM raw_order WHERE channel = 'store' AND channel_uid NOT LIKE '8800%'")
    assert walk_ins > 0  # no member card: the phone typed at the till stands in


@pytest.mark.spark
def test_direct_write_on_spark_matches_duckdb(spark: Engine, duck: Engine, tiny: DemoBrand) -> None:
    """`siyu demo --engine spark` writes the lake with the same rows as DuckDB's warehouse."""
    some = [(s, t) for s, t in tiny.exports.items() if s in ("jd", "wecom-contacts")]  # keep Spark quick
    write_direct(duck, some)
    write_direct(spark, some)
    for table in ("raw_order", "raw_order_item", "raw_identity", "raw_contact"):
        assert spark.row_count(table) == duck.row_count(table), table
    hashes = "SELECT count(DISTINCT _row_hash) FROM raw_identity"
    assert spark.scalar(hashes) == duck.scalar(hashes)

