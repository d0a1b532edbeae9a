"""The value rules (`siyu.ingest.values`): what they read exactly, and what they refuse instead of guessing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from siyu.engine.local import arrow_sql
from siyu.ingest.values import (
    EXCEL_EPOCH,
    amount_sql,
    datetime_sql,
    in_range,
    int_sql,
    latest_date,
    month_day_sql,
)


def run(expr: str, values: list[str]) -> list[Any]:
    """Evaluate a rule over a column `t` of texts."""
    out = arrow_sql(f"SELECT {expr} AS v FROM x", x=pa.table({"t": pa.array(values, pa.string())}))
    return out.column("v").to_pylist()


def dated(values: list[str], timezone: str = "Asia/Shanghai") -> list[Any]:
    sql = f"SELECT {in_range('v')} AS v FROM (SELECT {datetime_sql('t', timezone)} AS v FROM x)"
    return arrow_sql(sql, x=pa.table({"t": pa.array(values, pa.string())})).column("v").to_pylist()


def grouped(n: int) -> str:
    """`n` written with a thousands separator every three digits."""
    return f"{n:,}"


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=10**15), st.integers(min_value=0, max_value=99),
       st.sampled_from(["", "¥", "￥", "RMB "]), st.booleans(), st.booleans())
def test_well_formed_money_reads_exactly(units: int, cents: int, symbol: str, commas: bool, negative: bool) -> None:
    body = (grouped(units) if commas else str(units)) + f".{cents:02d}"
    text = f"-{symbol}{body}" if negative and not symbol else (f"({symbol}{body})" if negative else symbol + body)
    expected = Decimal(f"{units}.{cents:02d}") * (-1 if negative else 1)
    assert run(amount_sql("t"), [text]) == [expected]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=999), min_size=2, max_size=5),
       st.integers(min_value=0, max_value=3))
def test_separators_not_in_groups_of_three_are_refused(groups: list[int], bad_at: int) -> None:
    """`¥1,2,3` is not 123: a separator between groups that are not three digits long is a typo."""
    parts = [str(g) for g in groups]
    bad_index = 1 + bad_at % (len(parts) - 1)
    parts[bad_index] = parts[bad_index].zfill(3)[:2]  # a group of two digits after the first
    assert run(amount_sql("t"), ["¥" + ",".join(parts)]) == [None]
    assert run(int_sql("t"), [",".join(parts)]) == [None]


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=1, max_value=9))
def test_money_with_more_than_two_decimals_is_refused_not_rounded(units: int, third: int) -> None:
    assert run(amount_sql("t"), [f"{units}.12{third}"]) == [None]


def test_money_and_int_refusals() -> None:
    texts = ["¥1,2,3", "1_000", "12.345", "1e3", "12.", "1,00", "--5", "12,345.678", "NaN", "inf"]
    assert run(amount_sql("t"), texts) == [None] * len(texts)
    assert run(amount_sql("t"), ["12.500", "1,234", "(1,234.5)"]) == [
        Decimal("12.50"), Decimal("1234.00"), Decimal("-1234.50")]
    assert run(int_sql("t"), ["1_000", "1,2,3", "2.5", "1,000", "3.0"]) == [None, None, None, 1000, 3]


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=1, max_value=9_999))
def test_small_numbers_are_not_spreadsheet_dates(serial: int) -> None:
    """A cell `1` is not 1899-12-31: serials below 10000 (before 1927) are refused."""
    assert dated([str(serial)]) == [None]


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=10_000, max_value=46_000))
def test_plausible_spreadsheet_serials_are_dates(serial: int) -> None:
    assert dated([str(serial)]) == [EXCEL_EPOCH + dt.timedelta(days=serial)]


def test_dates_outside_1900_to_next_year_are_refused() -> None:
    next_year = latest_date() + dt.timedelta(days=1)
    assert dated(["0001-01-01", "9999-12-31", "1899-12-31", next_year.strftime("%Y-%m-%d"), "1900-01-01"]) == [
        None, None, None, None, dt.datetime(1900, 1, 1)]


def test_times_with_an_offset_become_the_brands_wall_clock_time() -> None:
    assert dated(["2024-03-01T02:01:00Z", "2024-03-01T10:01:00+08:00", "2024-03-01 11:01:00+09:00"]) == [
        dt.datetime(2024, 3, 1, 10, 1)] * 3
    assert dated(["2024-03-01T02:01:00Z"], timezone="Europe/Berlin") == [dt.datetime(2024, 3, 1, 3, 1)]
    assert dated(["1709258460"]) == [dt.datetime(2024, 3, 1, 10, 1)]  # a Unix epoch is an instant too


@settings(max_examples=60, deadline=None)
@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2000, 12, 31)),
       st.sampled_from(["{m:02d}-{d:02d}", "{m}-{d}", "--{m:02d}-{d:02d}", "{m}月{d}日", "{m:02d}/{d:02d}"]))
def test_month_day_birthdays(day: dt.date, form: str) -> None:
    text = form.format(m=day.month, d=day.day)
    assert run(month_day_sql("t"), [text]) == [{"m": day.month, "d": day.day}]


def test_impossible_month_days_are_refused() -> None:
    assert run(month_day_sql("t"), ["02-30", "13-01", "00-10", "5月32日", "1990-05-12", "0512"]) == [None] * 6
