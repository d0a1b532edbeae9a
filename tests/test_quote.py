"""engine/quote.py: any text becomes exactly that name or value on both engines, or a clear refusal."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import sqlglot
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlglot import exp

from siyu.engine.dialect import transpile
from siyu.engine.quote import MAX_NAME, QuoteError, ident, literal, literal_list

HOSTILE = ["a'b", 'a"b', "a`b", "a;b", "x -- y", "/* c */", "line\nbreak", "tab\tcr\r", "back\\slash", "\\'",
           "${HOME}", "${spark.sql.warehouse.dir}", "$1", ":name", "?", "王丽华", "冰丝🩱✨", "'; DROP TABLE t; --",
           " lead and trail ", "\u200b", "x" * 1000]

# any text but NUL (which SQL text cannot hold; refused below)
texts = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=60)


def _duck(sql: str) -> tuple[object, str]:
    relation = duckdb.sql(sql)
    return relation.fetchall()[0][0], relation.columns[0]


def _spark_reads(sql: str) -> tuple[object, str]:
    """What Spark SQL text says, read back by sqlglot's Spark parser: the first column's value and name."""
    select = sqlglot.parse_one(sql, read="spark")
    assert isinstance(select, exp.Select)
    column = select.expressions[0]
    assert isinstance(column, exp.Alias) and isinstance(column.this, exp.Literal)
    return column.this.this, column.alias


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_is_read_back_exactly_by_duckdb_and_spark_sql(text: str) -> None:
    sql = f"SELECT {literal(text)} AS {ident(text)}"
    assert _duck(sql) == (text, text)
    assert _spark_reads(transpile(sql, "spark")) == (text, text)


@settings(max_examples=300, deadline=None)
@given(texts.filter(bool))
def test_any_text_round_trips(text: str) -> None:
    sql = f"SELECT {literal(text)} AS {ident(text)}"
    assert _duck(sql) == (text, text)
    assert _spark_reads(transpile(sql, "spark")) == (text, text)


def test_literals_keep_their_type() -> None:
    values = [None, True, False, 0, -7, 2**62, 1.5, -0.25, Decimal("12.30"), Decimal("-0.01"),
              dt.date(2026, 2, 28), dt.datetime(2026, 2, 28, 9, 30, 1, 5), "", "0"]
    row = duckdb.sql("SELECT " + ", ".join(literal(v) for v in values)).fetchall()[0]
    assert list(row) == values
    assert duckdb.sql(f"SELECT 'b' IN {literal_list(['a', 'b'])}, 1 IN {literal_list([])}").fetchall() == [
        (True, None)]


@pytest.mark.parametrize(("call", "message"), [
    (lambda: ident(""), "non-empty"),
    (lambda: ident("a\x00b"), "NUL"),
    (lambda: ident("n" * (MAX_NAME + 1)), "the limit is 1,024"),
    (lambda: literal("a\x00b"), "NUL"),
    (lambda: literal(float("nan")), "not a number"),
    (lambda: literal(float("inf")), "not a number"),
    (lambda: literal(Decimal("NaN")), "not a number"),
    (lambda: literal(b"bytes"), "cannot write a bytes"),  # type: ignore[arg-type]
])
def test_what_cannot_be_written_is_refused_with_a_reason(call: object, message: str) -> None:
    with pytest.raises(QuoteError, match=message):
        call()  # type: ignore[operator]
    assert issubclass(QuoteError, ValueError)


def test_bound_parameters_on_duckdb(tmp_path: Path) -> None:
    from siyu.engine.duckdb_engine import DuckDBEngine

    with DuckDBEngine(tmp_path / "w.duckdb") as engine:
        for text in HOSTILE:
            assert engine.scalar("SELECT $v AS v", {"v": text}) == text
        assert engine.scalar("SELECT $d + 1", {"d": dt.date(2026, 2, 28)}) == dt.date(2026, 3, 1)


@pytest.mark.spark
def test_spark_reads_back_quoted_and_bound_text(tmp_path: Path) -> None:
    from siyu.engine.spark_engine import SparkEngine

    engine = SparkEngine(tmp_path / "lake")
    try:
        quoted = ", ".join(f"{literal(t)} AS {ident(f'c{i}_{t}')}" for i, t in enumerate(HOSTILE))
        table = engine.query(f"SELECT {quoted}")
        assert table.column_names == [f"c{i}_{t}" for i, t in enumerate(HOSTILE)]
        assert [table.column(i)[0].as_py() for i in range(len(HOSTILE))] == HOSTILE
        bound = engine.query("SELECT " + ", ".join(f"$v{i} AS v{i}" for i in range(len(HOSTILE))),
                             {f"v{i}": t for i, t in enumerate(HOSTILE)})
        assert [bound.column(i)[0].as_py() for i in range(len(HOSTILE))] == HOSTILE
    finally:
        engine.close()


@given(st.text(alphabet="abcXYZ019_.:@ -'\\\"\n中", max_size=30))
def test_plain_text_fast_path_writes_what_sqlglot_writes(text: str) -> None:
    """Ids and keys skip sqlglot (IN lists of thousands of person ids); the SQL must not change by it."""
    assert literal(text) == exp.Literal.string(text).sql(dialect="duckdb")


@given(st.text(alphabet="abcXYZ019_.:@ -'\"`\n中", min_size=1, max_size=30))
def test_plain_name_fast_path_writes_what_sqlglot_writes(name: str) -> None:
    """siyu's own names skip importing sqlglot (a tenth of a second of `siyu segment count`); same SQL."""
    assert ident(name) == exp.to_identifier(name, quoted=True).sql(dialect="duckdb")
