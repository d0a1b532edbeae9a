"""The periods figures are asked for: a month as `YYYY-MM`, and days within the years a brand can have data for
(so a window reaching back from a day never leaves the calendar)."""

from __future__ import annotations

import datetime as dt

from siyu.errors import UserError

FIRST_YEAR, LAST_YEAR = 1900, 2999


def check_day(day: dt.date, what: str = "date") -> dt.date:
    """The day when its year is within FIRST_YEAR–LAST_YEAR; a UserError otherwise."""
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise UserError(f"{what} {day.isoformat()} is outside {FIRST_YEAR}–{LAST_YEAR}")
    return day


def month_bounds(month: str) -> tuple[dt.date, dt.date]:
    """First and last day of `YYYY-MM`; a UserError naming the text otherwise."""
    try:
        first = dt.date.fromisoformat(f"{month}-01")
    except ValueError:
        raise UserError(f"month must be YYYY-MM, not {month!r}") from None
    check_day(first, "month")
    nxt = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return first, nxt - dt.timedelta(days=1)
