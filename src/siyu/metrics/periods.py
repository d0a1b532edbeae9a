"""Periods a metric is reported by: day, ISO week, month, or one `total` period from `--from` to `--to`.

A period is labelled by its first day. Edge periods are clipped to the window, so a stock measured "at the
end of a period" is never measured after the last day with data. SQL sees periods through `bucket()`, an
expression mapping an event date to its period label (no range joins), and through the `mx_periods` table.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import pyarrow as pa

from siyu.engine import Engine
from siyu.engine.quote import literal
from siyu.errors import UserError

Grain = Literal["day", "week", "month", "total"]
GRAINS: tuple[str, ...] = ("day", "week", "month", "total")
PERIODS_TABLE = "mx_periods"


def _trunc(grain: str, d: dt.date) -> dt.date:
    if grain == "week":
        return d - dt.timedelta(days=d.weekday())
    if grain == "month":
        return d.replace(day=1)
    return d


def _next(grain: str, d: dt.date) -> dt.date:
    if grain == "week":
        return d + dt.timedelta(days=7)
    if grain == "month":
        return (d.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return d + dt.timedelta(days=1)


def unfinished(grain: str, as_of: dt.date) -> dt.date | None:
    """The first day of the `grain` period holding `as_of` when the data stop before that period ends.

    A trend's last point over a month of one day falls toward zero; charts leave such a period out.
    """
    if grain not in ("week", "month"):
        return None
    first = _trunc(grain, as_of)
    return first if as_of < _next(grain, first) - dt.timedelta(days=1) else None


@dataclass(frozen=True)
class Window:
    """Report `grain` periods covering the days `start` … `end` (both included)."""

    grain: str
    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        if self.grain not in GRAINS:
            raise UserError(f"--by must be one of {', '.join(GRAINS)}, not {self.grain!r}")
        if self.end < self.start:
            raise UserError(f"--to {self.end} is before --from {self.start}")

    @property
    def stop(self) -> dt.date:
        """The first day after the window (exclusive end)."""
        return self.end + dt.timedelta(days=1)

    @property
    def before(self) -> dt.date:
        """The label running totals give everything that happened before the window."""
        return self.start - dt.timedelta(days=1)

    def within(self, date_sql: str) -> str:
        """SQL: the date `date_sql` falls inside the window."""
        return f"{date_sql} >= {literal(self.start)} AND {date_sql} <= {literal(self.end)}"

    def bucket(self, date_sql: str) -> str:
        """SQL: the label of the period holding the date `date_sql`, NULL outside the window."""
        inside = self.within(date_sql)
        if self.grain == "total":
            label = literal(self.start)
        elif self.grain == "day":
            label = date_sql
        else:  # a week or month that began before the window is labelled by the window's first day
            label = f"greatest(CAST(date_trunc('{self.grain}', {date_sql}) AS DATE), {literal(self.start)})"
        return f"(CASE WHEN {inside} THEN {label} END)"

    def bucket_or_before(self, date_sql: str) -> str:
        """Like `bucket`, but dates before the window map to the day before it (for running totals)."""
        before = literal(self.before)
        return f"(CASE WHEN {date_sql} < {literal(self.start)} THEN {before} ELSE {self.bucket(date_sql)} END)"

    def periods(self) -> list[tuple[dt.date, dt.date, dt.date]]:
        """(label, first day, first day after) of each period, clipped to the window."""
        if self.grain == "total":
            return [(self.start, self.start, self.stop)]
        out = []
        label = _trunc(self.grain, self.start)
        while label <= self.end:
            nxt = _next(self.grain, label)
            out.append((max(label, self.start), max(label, self.start), min(nxt, self.stop)))
            label = nxt
        return out

    def write(self, engine: Engine) -> str:
        """Materialise the periods as `mx_periods(period, start_day, stop_day)`; returns the table name."""
        rows = self.periods()
        data = pa.table({
            "period": pa.array([r[0] for r in rows], pa.date32()),
            "start_day": pa.array([r[1] for r in rows], pa.date32()),
            "stop_day": pa.array([r[2] for r in rows], pa.date32()),
        })
        engine.create_temp_table(PERIODS_TABLE, data.schema)  # scratch: a reader's snapshot is read-only
        engine.write_arrow(PERIODS_TABLE, data)
        return PERIODS_TABLE
