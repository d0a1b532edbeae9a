"""A guide's monthly commission statement: what each attributed order earned at its rule's rate, and what refunds
in the month took back (a refund claws back the commission of the refunded amount, in the month of the refund,
for orders up to `clawback_days` old). Money is in fen, rounded down per line, so a statement adds up exactly."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from siyu.engine import Engine
from siyu.engine.quote import literal
from siyu.guides.attribution import attribute
from siyu.guides.periods import month_bounds
from siyu.guides.settings import GuideSettings

WORK_TABLE = "guide_attribution_statement"


@dataclass(frozen=True)
class Line:
    channel: str
    order_id: str
    rule: str
    reason: str
    kind: str  # earned | clawback
    basis_fen: int
    commission_fen: int


@dataclass
class Statement:
    guide_id: str
    month: str  # YYYY-MM
    lines: list[Line] = field(default_factory=list)

    @property
    def earned_fen(self) -> int:
        return sum(ln.commission_fen for ln in self.lines if ln.kind == "earned")

    @property
    def clawback_fen(self) -> int:
        return sum(ln.commission_fen for ln in self.lines if ln.kind == "clawback")

    @property
    def total_fen(self) -> int:
        return self.earned_fen + self.clawback_fen


def _fen(amount: Decimal | None) -> int:
    return int((Decimal(amount or 0) * 100).to_integral_value(rounding=ROUND_DOWN))


def _commission(basis_fen: int, rate: Decimal) -> int:
    return int((Decimal(basis_fen) * rate).to_integral_value(rounding=ROUND_DOWN))


def statements(engine: Engine, cfg: GuideSettings, month: str, guide_id: str | None = None) -> dict[str, Statement]:
    """Statements of `month` for every guide with a line in it (or only `guide_id`), by guide id."""
    d0, d1 = month_bounds(month)
    attribute(engine, cfg, d0 - dt.timedelta(days=cfg.clawback_days), d1, WORK_TABLE)
    only = "AND guide_id = $guide" if guide_id is not None else ""  # the id a user typed: a bound value
    rows = engine.query(f"""
        SELECT guide_id, channel, order_id, rule, reason, order_date, amount_paid, refund_amount, refunded_at
        FROM {WORK_TABLE}
        WHERE ((order_date BETWEEN {literal(d0)} AND {literal(d1)})
            OR (refund_amount > 0 AND CAST(refunded_at AS DATE) BETWEEN {literal(d0)} AND {literal(d1)})) {only}
        ORDER BY guide_id, order_date, channel, order_id
    """, {"guide": guide_id} if guide_id is not None else None).to_pylist()
    engine.drop_table(WORK_TABLE)
    out: dict[str, Statement] = {}
    for r in rows:
        st = out.setdefault(r["guide_id"], Statement(r["guide_id"], month))
        rate = cfg.rate(r["rule"])
        if d0 <= r["order_date"] <= d1:
            basis = _fen(r["amount_paid"])
            st.lines.append(Line(r["channel"], r["order_id"], r["rule"], r["reason"], "earned", basis,
                                 _commission(basis, rate)))
        refunded = r["refunded_at"]
        if refunded is not None and d0 <= refunded.date() <= d1 and r["refund_amount"]:
            basis = _fen(r["refund_amount"])
            st.lines.append(Line(r["channel"], r["order_id"], r["rule"], "refund claws back", "clawback", -basis,
                                 -_commission(basis, rate)))
    return out
