"""What journeys did: a funnel per step (triggered → task done → replied → bought) and the uplift on
repurchase and revenue per person of the treatment arm against the holdout, with a confidence interval.

Uplift compares whole arms (intent to treat): everyone who entered, whether or not a task was done or capped,
so the estimate is not flattered by staff choosing whom to contact. Only entries whose window has passed count.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import select

from siyu.journeys.rails import HOLDOUT, TREATMENT
from siyu.journeys.tables import state, task, watermark

Z95 = 1.959964


@dataclass(frozen=True)
class Difference:
    treatment: float
    holdout: float
    uplift: float
    low: float
    high: float

    def json(self) -> dict[str, float]:
        return {k: round(getattr(self, k), 6) for k in ("treatment", "holdout", "uplift", "low", "high")}


def difference(a: list[float], b: list[float], z: float = Z95) -> Difference:
    """Difference of means a − b with a normal-approximation interval (Welch's standard error)."""
    ma, mb = sum(a) / len(a), sum(b) / len(b)
    va = sum((x - ma) ** 2 for x in a) / max(len(a) - 1, 1)
    vb = sum((x - mb) ** 2 for x in b) / max(len(b) - 1, 1)
    se = math.sqrt(va / len(a) + vb / len(b))
    return Difference(ma, mb, ma - mb, ma - mb - z * se, ma - mb + z * se)


def funnel(store: sa.Engine, journey: str) -> dict[str, Any]:
    """Per step with an action: entries, tasks created, done, replied, bought (treatment), and held out."""
    with store.connect() as conn:
        entries = conn.execute(select(state.c.arm, sa.func.count()).where(state.c.journey == journey)
                               .group_by(state.c.arm)).all()
        rows = conn.execute(select(task.c.step, task.c.status, task.c.replied_at, task.c.bought_on, task.c.id)
                            .where(task.c.journey == journey).order_by(task.c.id)).all()
    arms = {a: int(n) for a, n in entries}
    steps: dict[str, dict[str, int]] = {}
    for r in rows:
        s = steps.setdefault(r.step, {"created": 0, "done": 0, "skipped": 0, "replied": 0, "bought": 0,
                                      "held_out": 0, "coupons": 0})
        if r.status == "holdout":
            s["held_out"] += 1
            continue
        if r.status == "issued":
            s["coupons"] += 1
            continue
        s["created"] += 1
        s["done"] += r.status == "done"
        s["skipped"] += r.status == "skipped"
        s["replied"] += r.replied_at is not None
        s["bought"] += r.bought_on is not None
    return {"journey": journey, "triggered": sum(arms.values()), "treatment": arms.get(TREATMENT, 0),
            "holdout": arms.get(HOLDOUT, 0), "steps": [{"step": k, **v} for k, v in steps.items()]}


def uplift(store: sa.Engine, journey: str, window_days: int, as_of: dt.date | None = None) -> dict[str, Any]:
    """Repurchase rate (a purchase within `window_days` after entry) and revenue per person (yuan), treatment
    minus holdout, over entries whose window has passed by `as_of` (default: the journey's last evaluation)."""
    with store.connect() as conn:
        if as_of is None:
            as_of = conn.execute(select(watermark.c.evaluated_on).where(watermark.c.journey == journey)).scalar()
        if as_of is None:
            return {"journey": journey, "entries": 0, "note": "not evaluated yet"}
        rows = conn.execute(select(state.c.arm, state.c.bought_on, state.c.revenue_fen).where(
            state.c.journey == journey, state.c.entered_on <= as_of - dt.timedelta(days=window_days))).all()
    bought = {TREATMENT: [], HOLDOUT: []}  # type: dict[str, list[float]]
    revenue = {TREATMENT: [], HOLDOUT: []}  # type: dict[str, list[float]]
    for r in rows:
        bought[r.arm].append(1.0 if r.bought_on is not None else 0.0)
        revenue[r.arm].append(int(r.revenue_fen or 0) / 100)
    out: dict[str, Any] = {"journey": journey, "as_of": as_of.isoformat(), "window_days": window_days,
                           "treatment": len(bought[TREATMENT]), "holdout": len(bought[HOLDOUT])}
    if len(bought[TREATMENT]) < 2 or len(bought[HOLDOUT]) < 2:
        out["note"] = "too few matured entries in an arm for an estimate"
        return out
    out["repurchase"] = difference(bought[TREATMENT], bought[HOLDOUT]).json()
    out["revenue_per_person"] = difference(revenue[TREATMENT], revenue[HOLDOUT]).json()
    return out
