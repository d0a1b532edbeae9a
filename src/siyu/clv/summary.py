"""From transactions to the per-customer summary the models fit on, as SQL on the engine.

Only the compact summary (one row per customer) leaves the engine, so the same code runs on DuckDB and on
Spark. Rules, in the order applied:
- one purchase per customer and *day*: same-day orders count once (DOMAIN.md), their amounts are summed;
- x = repeat purchase days up to the calibration end; t_x = first to last purchase day; T = first purchase day
  to the calibration end; both in the chosen unit (days, or weeks = days / 7);
- customers whose first purchase is after the calibration end are left out (no history to learn from);
- mean_value = average amount of the repeat purchase days (what Gamma-Gamma models; NULL when x = 0);
- x_holdout = purchase days after the calibration end up to the holdout end.
The caller supplies a SELECT of (customer_id, order_date, amount) with the order rules already applied.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pyarrow as pa

from siyu.clv.data import Array
from siyu.engine import Engine
from siyu.engine.quote import literal
from siyu.errors import UserError

Unit = Literal["days", "weeks"]
DAYS_PER_UNIT: dict[str, float] = {"days": 1.0, "weeks": 7.0}


@dataclass(frozen=True)
class Period:
    """The calibration window ends at `calibration_end` (inclusive); the optional holdout follows it."""

    calibration_end: dt.date
    holdout_end: dt.date | None = None
    unit: Unit = "weeks"

    def __post_init__(self) -> None:
        if self.unit not in DAYS_PER_UNIT:
            raise UserError(f"unit must be 'days' or 'weeks', not {self.unit!r}")
        if self.holdout_end is not None and self.holdout_end <= self.calibration_end:
            raise UserError(
                f"the holdout end {self.holdout_end} must come after the calibration end {self.calibration_end}"
            )

    @property
    def days_per_unit(self) -> float:
        return DAYS_PER_UNIT[self.unit]

    @property
    def holdout_length(self) -> float:
        """Holdout length in units (0 without a holdout)."""
        if self.holdout_end is None:
            return 0.0
        return (self.holdout_end - self.calibration_end).days / self.days_per_unit


@dataclass
class Summary:
    """One entry per customer, as numpy arrays (customer ids as a Python list, empty when not fetched)."""

    customer_id: list[str]
    x: Array
    t_x: Array
    T: Array
    mean_value: Array
    x_holdout: Array
    period: Period

    @property
    def size(self) -> int:
        return int(self.x.size)

    @classmethod
    def from_arrow(cls, table: pa.Table, period: Period) -> Summary:
        def col(name: str) -> Array:
            return np.asarray(table.column(name).to_numpy(zero_copy_only=False), dtype=np.float64)

        return cls(
            customer_id=[str(v) for v in table.column("customer_id").to_pylist()],
            x=col("x"), t_x=col("t_x"), T=col("T"), mean_value=col("mean_value"),
            x_holdout=col("x_holdout"), period=period,
        )


def summary_sql(source_sql: str, period: Period) -> str:
    """The summary SELECT (DuckDB dialect; transpiles to Spark)."""
    cal = literal(period.calibration_end)
    hold = literal(period.holdout_end) if period.holdout_end else cal
    k = f"{period.days_per_unit:.1f}"
    return f"""
WITH tx AS (
    SELECT CAST(customer_id AS VARCHAR) AS customer_id, CAST(order_date AS DATE) AS order_date,
           CAST(amount AS DOUBLE) AS amount
    FROM ({source_sql}) AS src
    WHERE customer_id IS NOT NULL AND order_date IS NOT NULL
),
days AS (
    -- same-day orders count once (DOMAIN.md): one purchase per customer and date, amounts summed
    SELECT customer_id, order_date, sum(amount) AS amount FROM tx GROUP BY customer_id, order_date
),
firsts AS (
    SELECT customer_id, min(order_date) AS first_date FROM days GROUP BY customer_id
),
marked AS (
    SELECT d.customer_id, d.order_date, d.amount, f.first_date,
           d.order_date <= {cal} AS in_calibration,
           d.order_date > f.first_date AND d.order_date <= {cal} AS is_repeat,
           d.order_date > {cal} AND d.order_date <= {hold} AS in_holdout
    FROM days AS d JOIN firsts AS f ON d.customer_id = f.customer_id
    -- customers first seen after the calibration end have no history to fit on
    WHERE f.first_date <= {cal}
)
SELECT customer_id,
       CAST(sum(CASE WHEN is_repeat THEN 1 ELSE 0 END) AS DOUBLE) AS x,
       CAST(date_diff('day', min(first_date), max(CASE WHEN in_calibration THEN order_date END)) AS DOUBLE)
           / {k} AS t_x,
       CAST(date_diff('day', min(first_date), {cal}) AS DOUBLE) / {k} AS T,
       avg(CASE WHEN is_repeat THEN amount END) AS mean_value,
       CAST(sum(CASE WHEN in_holdout THEN 1 ELSE 0 END) AS DOUBLE) AS x_holdout
FROM marked
GROUP BY customer_id
"""


def tracking_sql(source_sql: str, period: Period) -> str:
    """Repeat purchase days per calendar day of the summarised customers, through the holdout end."""
    cal = literal(period.calibration_end)
    end = literal(period.holdout_end) if period.holdout_end else cal
    return f"""
WITH days AS (
    SELECT DISTINCT CAST(customer_id AS VARCHAR) AS customer_id, CAST(order_date AS DATE) AS order_date
    FROM ({source_sql}) AS src
    WHERE customer_id IS NOT NULL AND order_date IS NOT NULL
),
firsts AS (
    SELECT customer_id, min(order_date) AS first_date FROM days GROUP BY customer_id
)
SELECT d.order_date, count(*) AS repeats
FROM days AS d JOIN firsts AS f ON d.customer_id = f.customer_id
WHERE f.first_date <= {cal} AND d.order_date > f.first_date AND d.order_date <= {end}
GROUP BY d.order_date
ORDER BY d.order_date
"""


def summarise(engine: Engine, source_sql: str, period: Period) -> Summary:
    """Run the summary on the engine and bring back the compact result, ordered by customer."""
    table = engine.query(summary_sql(source_sql, period) + "ORDER BY customer_id")
    return Summary.from_arrow(table, period)


def summarise_without_ids(engine: Engine, source_sql: str, period: Period) -> Summary:
    """The summary for evaluation, where nobody's id is needed: grouped on the engine and expanded here, so a
    warehouse of millions of persons brings back numbers only (no per-person strings, far fewer rows)."""
    cols = "x, t_x, T, mean_value, x_holdout"
    table = engine.query(f"SELECT {cols}, count(*) AS n FROM ({summary_sql(source_sql, period)}) AS s "
                         f"GROUP BY {cols} ORDER BY {cols}")
    n = table.column("n").to_numpy(zero_copy_only=False).astype(np.int64)

    def col(name: str) -> Array:
        return np.repeat(np.asarray(table.column(name).to_numpy(zero_copy_only=False), dtype=np.float64), n)

    return Summary([], col("x"), col("t_x"), col("T"), col("mean_value"), col("x_holdout"), period)


def daily_repeats(engine: Engine, source_sql: str, period: Period) -> tuple[list[dt.date], Array]:
    """(day, repeat purchases that day) for the tracking chart."""
    rows = engine.query(tracking_sql(source_sql, period)).to_pylist()
    return [r["order_date"] for r in rows], np.array([float(r["repeats"]) for r in rows])
