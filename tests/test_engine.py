"""The Engine contract, on both engines: what steps and importers rely on."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pyarrow as pa
import pytest

from siyu.engine import Engine, EngineError

SCHEMA = pa.schema(
    [("k", pa.string()), ("n", pa.int64()), ("amount", pa.decimal128(18, 2)), ("ts", pa.timestamp("us"))]
)


def rows(*keys: str) -> pa.Table:
    return pa.table({"k": list(keys), "n": list(range(len(keys)))}).cast(
        pa.schema([("k", pa.string()), ("n", pa.int64())])
    )


def test_append_new_is_idempotent(any_engine: Engine) -> None:
    any_engine.ensure_table("t", SCHEMA)
    assert any_engine.append_new("t", rows("a", "b", "a"), key="k") == 2  # repeats within a batch count once
    assert any_engine.append_new("t", rows("a", "b", "c"), key="k") == 1
    assert any_engine.append_new("t", rows("a", "b", "c"), key="k") == 0
    assert sorted(any_engine.read_arrow("t", ["k"]).column("k").to_pylist()) == ["a", "b", "c"]


def test_transaction_rolls_back_every_write(any_engine: Engine) -> None:
    any_engine.ensure_table("t", SCHEMA)
    any_engine.ensure_table("u", SCHEMA)
    any_engine.write_arrow("t", rows("kept"))
    with pytest.raises(RuntimeError), any_engine.transaction():
        any_engine.write_arrow("t", rows("x"))
        any_engine.append_new("u", rows("y"), key="k")
        raise RuntimeError("crash half-way")
    assert any_engine.row_count("t") == 1 and any_engine.row_count("u") == 0
    with any_engine.transaction():
        any_engine.write_arrow("t", rows("x"))
        any_engine.append_new("u", rows("y"), key="k")
    assert any_engine.row_count("t") == 2 and any_engine.row_count("u") == 1


def test_types_round_trip(any_engine: Engine) -> None:
    any_engine.ensure_table("t", SCHEMA)
    at = dt.datetime(2026, 3, 1, 12, 30, 15)
    data = pa.Table.from_pylist([{"k": "a", "n": 1, "amount": Decimal("1234.50"), "ts": at}], schema=SCHEMA)
    any_engine.write_arrow("t", data)
    got = any_engine.query("SELECT k, n, amount, ts FROM t").to_pylist()
    assert got == [{"k": "a", "n": 1, "amount": Decimal("1234.50"), "ts": at}]


def test_create_table_as_can_rewrite_its_own_input(any_engine: Engine) -> None:
    any_engine.ensure_table("t", SCHEMA)
    any_engine.write_arrow("t", rows("a", "b"))
    assert any_engine.create_table_as("t", "SELECT k, n + 10 AS n FROM t") == 2
    assert sorted(any_engine.read_arrow("t", ["n"]).column("n").to_pylist()) == [10, 11]


def test_ensure_table_adds_new_columns_keeping_rows(any_engine: Engine) -> None:
    any_engine.ensure_table("t", SCHEMA)
    any_engine.write_arrow("t", rows("a"))
    any_engine.ensure_table("t", SCHEMA.append(pa.field("extra", pa.string())))
    assert "extra" in any_engine.table_schema("t").names
    assert any_engine.row_count("t") == 1


def test_errors_name_what_failed_and_carry_the_sql(any_engine: Engine) -> None:
    with pytest.raises(EngineError) as info:
        any_engine.create_table_as("broken", "SELECT no_such_column FROM no_such_table")
    assert "building table broken" in str(info.value)
    assert "no_such_table" in str(info.value)


DOUBLED = pa.schema([("k", pa.string()), ("n2", pa.int64()), ("stamp", pa.timestamp("us"))])


def doubler(at: dt.datetime) -> Callable[[pa.RecordBatch], pa.RecordBatch]:
    """A batch function closing over plain data, as model scorers do (Spark ships it to its workers)."""

    def fn(batch: pa.RecordBatch) -> pa.RecordBatch:
        n = batch.column("n").to_numpy(zero_copy_only=False)
        return pa.RecordBatch.from_arrays(
            [batch.column("k"), pa.array(n * 2, pa.int64()), pa.array([at] * batch.num_rows, pa.timestamp("us"))],
            schema=DOUBLED,
        )

    return fn


def test_map_batches_writes_python_results_as_a_table(any_engine: Engine) -> None:
    any_engine.write_arrow("t", pa.table({"k": [f"k{i}" for i in range(250)], "n": list(range(250))}), "replace")
    at = dt.datetime(2026, 3, 1, 12, 0)
    assert any_engine.map_batches("SELECT k, n FROM t WHERE n >= 50", doubler(at), DOUBLED, "out") == 200
    got = any_engine.query("SELECT k, n2, stamp FROM out ORDER BY n2").to_pylist()
    assert got[0] == {"k": "k50", "n2": 100, "stamp": at} and len(got) == 200
    assert any_engine.table_schema("out").field("n2").type == pa.int64()
    # a failed transaction leaves the previous table in place
    with pytest.raises(RuntimeError), any_engine.transaction():
        any_engine.map_batches("SELECT k, n FROM t", doubler(at), DOUBLED, "out")
        raise RuntimeError("crash half-way")
    assert any_engine.row_count("out") == 200
    with any_engine.transaction():
        assert any_engine.map_batches("SELECT k, n FROM t", doubler(at), DOUBLED, "out") == 250
    assert any_engine.row_count("out") == 250
