"""Guard rails shared by every journey: the holdout draw, contact caps and quiet hours.

The holdout is a hash of (journey, person), not a random draw, so a person is in the same arm on every run and
on every machine, and a journey's holdout is independent of another's."""

from __future__ import annotations

import datetime as dt
import hashlib
import zoneinfo
from collections.abc import Iterable

from siyu.journeys.settings import JourneySettings

TREATMENT, HOLDOUT = "treatment", "holdout"
WEEK = dt.timedelta(days=7)


def arm(journey: str, person_id: str, share: float) -> str:
    """`holdout` for a stable `share` of persons per journey, else `treatment`."""
    digest = hashlib.sha256(f"siyu-holdout:{journey}:{person_id}".encode()).digest()
    return HOLDOUT if int.from_bytes(digest[:8], "big") / 2**64 < share else TREATMENT


def weekly_cap(rules: JourneySettings, private_since: dt.date | None, as_of: dt.date) -> int:
    """Tighter once the relationship is older than `early_days` (the first 1–3 months decide it: DOMAIN.md §4)."""
    if private_since is not None and (as_of - private_since).days > rules.early_days:
        return rules.tasks_per_week_later
    return rules.tasks_per_week


def within_cap(created: Iterable[dt.datetime], now: dt.datetime, cap: int) -> bool:
    """True while fewer than `cap` tasks were created for the person in the 7 days up to now."""
    return sum(1 for t in created if now - t < WEEK) < cap


def in_quiet_hours(local: dt.time, rules: JourneySettings) -> bool:
    start, end = rules.quiet_start, rules.quiet_end
    if start == end:
        return False
    return start <= local or local < end if start > end else start <= local < end


def allowed(now: dt.datetime, rules: JourneySettings, timezone: str) -> dt.datetime:
    """`now`, or the end of the quiet hours it falls in (brand time), as aware UTC."""
    tz = zoneinfo.ZoneInfo(timezone)
    local = now.astimezone(tz)
    if not in_quiet_hours(local.time(), rules):
        return now.astimezone(dt.UTC)
    end = local.replace(hour=rules.quiet_end.hour, minute=rules.quiet_end.minute, second=0, microsecond=0)
    if end <= local:
        end += dt.timedelta(days=1)
    return end.astimezone(dt.UTC)
