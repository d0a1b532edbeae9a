"""The data's own "today" (the profile's as-of day), so a page's default month is one the data reach."""

from __future__ import annotations

import datetime as dt

from fastapi import Request

from siyu.api.security import config
from siyu.journeys.step import data_day
from siyu.web.render import attempt


def data_month(request: Request) -> tuple[dt.date, str]:
    """(the data's day, its month as YYYY-MM)."""
    cfg = config(request)

    def read() -> dt.date:
        with cfg.serving.reader() as eng:
            return data_day(eng, cfg.settings)

    day = attempt(read)
    return day, f"{day.year:04d}-{day.month:02d}"
