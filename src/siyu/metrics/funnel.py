"""Funnel decomposition (DOMAIN.md step 5): which factor moved new-customer sales, which staff, which script line.

`new-customer sales = parcels × acquisition rate × first-order conversion × average first-order value`, on the
package-card path: parcels shipped with cards, the persons who first added a WeCom friend from a card, those
whose first order came within the conversion window, and the net value of that first order. The change between
two periods is split with the log-mean Divisia index (LMDI): each factor gets L(S₁, S₀)·ln(x₁/x₀), and as
ln(S₁/S₀) = Σ ln(x₁/x₀) the contributions add up to S₁ − S₀ exactly (to the cent after rounding).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from siyu.engine import Engine
from siyu.engine.quote import literal
from siyu.errors import UserError

FACTORS = ("parcels", "acquisition_rate", "first_order_conversion", "first_order_value")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class FunnelPeriod:
    start: dt.date
    end: dt.date
    parcels: int
    friends: int
    converted: int
    sales: float

    def factors(self) -> dict[str, float | None]:
        """The four factors; None where a denominator is zero."""
        return {
            "parcels": float(self.parcels),
            "acquisition_rate": self.friends / self.parcels if self.parcels else None,
            "first_order_conversion": self.converted / self.friends if self.friends else None,
            "first_order_value": self.sales / self.converted if self.converted else None,
        }


@dataclass(frozen=True)
class Decomposition:
    before: FunnelPeriod
    after: FunnelPeriod
    total_change: Decimal
    contributions: dict[str, Decimal]  # factor → its share of the change, summing to total_change

    def as_dict(self) -> dict[str, Any]:
        return {
            "before": _period_dict(self.before), "after": _period_dict(self.after),
            "total_change": float(self.total_change),
            "contributions": {k: float(v) for k, v in self.contributions.items()},
        }


def _period_dict(p: FunnelPeriod) -> dict[str, Any]:
    return {"start": p.start.isoformat(), "end": p.end.isoformat(), "parcels": p.parcels, "friends": p.friends,
            "converted": p.converted, "sales": p.sales, "factors": p.factors()}


def funnel_period(engine: Engine, start: dt.date, end: dt.date) -> FunnelPeriod:
    """The package-card funnel of the days start … end (mx_friends must be built)."""
    inside = f"BETWEEN {literal(start)} AND {literal(end)}"
    row = engine.query(f"""
        SELECT (SELECT count(*) FROM parcels WHERE with_card AND CAST(shipped_at AS DATE) {inside}) AS parcels,
               count(*) AS friends, coalesce(sum(CASE WHEN converted THEN 1 ELSE 0 END), 0) AS converted,
               coalesce(sum(CASE WHEN converted THEN first_order_net ELSE 0 END), 0) AS sales
        FROM mx_friends WHERE add_source = 'package_card' AND day {inside}
    """).to_pylist()[0]
    return FunnelPeriod(start, end, int(row["parcels"]), int(row["friends"]), int(row["converted"]),
                        float(row["sales"]))


def decompose(before: FunnelPeriod, after: FunnelPeriod) -> Decomposition:
    """LMDI split of the change in new-customer sales; a clear error when a factor is zero (nothing to compare)."""
    f0, f1 = before.factors(), after.factors()
    for name in FACTORS:
        for period, f in ((before, f0), (after, f1)):
            if not f[name]:
                raise UserError(
                    f"cannot decompose: {name} is zero or has no data in {period.start} … {period.end}"
                )
    s0 = math.prod(f0[n] or 0.0 for n in FACTORS)
    s1 = math.prod(f1[n] or 0.0 for n in FACTORS)
    weight = s0 if math.isclose(s0, s1, rel_tol=1e-15) else (s1 - s0) / (math.log(s1) - math.log(s0))
    raw = {n: weight * math.log((f1[n] or 1.0) / (f0[n] or 1.0)) for n in FACTORS}
    total = Decimal(repr(s1)).quantize(CENT, ROUND_HALF_EVEN) - Decimal(repr(s0)).quantize(CENT, ROUND_HALF_EVEN)
    rounded = {n: Decimal(repr(v)).quantize(CENT, ROUND_HALF_EVEN) for n, v in raw.items()}
    # rounding to cents may leave a cent or two: give it to the largest contribution so the parts add up exactly
    largest = max(rounded, key=lambda n: abs(rounded[n]))
    rounded[largest] += total - sum(rounded.values(), Decimal(0))
    return Decomposition(before, after, total, rounded)


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval for k successes of n: honest for small n (never outside 0…1)."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def staff_conversion(engine: Engine, start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    """Each staff member's first-order conversion against the team's, with a 95 % interval.

    `flag` is 'below' / 'above' only when the team average lies outside the member's interval, so a member
    with three new friends is never singled out by chance.
    """
    rows = engine.query(f"""
        SELECT f.staff_id, max(s.name) AS name, max(f.store_id) AS store_id, count(*) AS friends,
               sum(CASE WHEN f.converted THEN 1 ELSE 0 END) AS converted
        FROM mx_friends AS f LEFT JOIN staff AS s ON s.staff_id = f.staff_id
        WHERE f.matured AND f.staff_id IS NOT NULL AND f.day BETWEEN {literal(start)} AND {literal(end)}
        GROUP BY f.staff_id ORDER BY f.staff_id
    """).to_pylist()
    n_all = sum(int(r["friends"]) for r in rows)
    team = sum(int(r["converted"]) for r in rows) / n_all if n_all else None
    out = []
    for r in rows:
        n, k = int(r["friends"]), int(r["converted"])
        low, high = wilson(k, n)
        flag = "in line"
        if team is not None and high < team:
            flag = "below"
        elif team is not None and low > team:
            flag = "above"
        out.append({"staff_id": r["staff_id"], "name": r["name"], "store_id": r["store_id"], "friends": n,
                    "converted": k, "rate": k / n, "low": low, "high": high, "team": team, "flag": flag})
    return sorted(out, key=lambda r: (r["rate"], r["staff_id"]))


def weakest_staff(rows: list[dict[str, Any]]) -> str | None:
    """The member to drill into: the lowest upper bound of the interval, so one unlucky new friend is not it."""
    if not rows:
        return None
    return str(min(rows, key=lambda r: (r["high"], r["staff_id"]))["staff_id"])


def script_dropoff(engine: Engine, staff_id: str | None, start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    """Reply rate after each script line (of one staff member, or everyone's): where customers stop answering."""
    who = "AND staff_id = $staff" if staff_id else ""
    rows = engine.query(f"""
        SELECT script_line_id, count(*) AS sent, sum(CASE WHEN replied THEN 1 ELSE 0 END) AS replied
        FROM mx_script WHERE day BETWEEN {literal(start)} AND {literal(end)} {who}
        GROUP BY script_line_id ORDER BY script_line_id
    """, {"staff": staff_id} if staff_id else None).to_pylist()
    out: list[dict[str, Any]] = []
    prev: float | None = None
    for r in rows:
        rate = int(r["replied"]) / int(r["sent"])
        out.append({"script_line_id": r["script_line_id"], "sent": int(r["sent"]), "replied": int(r["replied"]),
                    "rate": rate, "drop": None if prev is None else prev - rate})
        prev = rate
    return out
