"""What an order, a paid order, a purchase and a refund are (DOMAIN.md).

- An **order** is one order id on one channel; its status is one of `ORDER_STATUSES`.
- A **paid order** is one where money was taken (`PAID_STATUSES`, refunded ones included): sales, refunds,
  the return rate, average order value and contribution count these.
- A **purchase** is a paid or partially refunded order with net > 0: profiles (`orders`, first/last order
  date), repurchase, CLV frequency and monetary value, tags and points count these. A fully refunded order
  is paid but not a purchase.
- **Net** = paid − refunded for a paid order, never below 0; 0 for pending and closed orders.
"""

from __future__ import annotations

from decimal import Decimal

ORDER_STATUSES = ("pending", "closed", "paid", "partially_refunded", "refunded")
PAID_STATUSES = ("paid", "partially_refunded", "refunded")
PURCHASE_STATUSES = ("paid", "partially_refunded")


def _prefix(alias: str) -> str:
    return f"{alias}." if alias else ""


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


def paid_sql(alias: str = "o") -> str:
    """True for an order money was taken for (refunded ones included)."""
    return f"{_prefix(alias)}status IN {_in(PAID_STATUSES)}"


def purchase_sql(alias: str = "o") -> str:
    """True for an order that counts as a purchase: paid, not fully refunded, net above 0."""
    p = _prefix(alias)
    return f"({p}status IN {_in(PURCHASE_STATUSES)} AND {p}net_amount > 0)"


def net_amount_sql(status: str, paid: str, refunded: str) -> str:
    """Net of an order from its status, amount paid and amount refunded (SQL expressions), as DECIMAL(18,2)."""
    return (f"CAST(CASE WHEN {status} IN {_in(PAID_STATUSES)} "
            f"THEN greatest(coalesce({paid}, 0) - coalesce({refunded}, 0), 0) ELSE 0 END AS DECIMAL(18,2))")


def net_amount(status: str, paid: Decimal | None, refunded: Decimal | None) -> Decimal:
    """`net_amount_sql` in Python (the member ledger posts from it)."""
    if status not in PAID_STATUSES:
        return Decimal("0.00")
    return max((paid or Decimal(0)) - (refunded or Decimal(0)), Decimal(0)).quantize(Decimal("0.01"))


def is_purchase(status: str, net: Decimal | float | None) -> bool:
    """`purchase_sql` in Python."""
    return status in PURCHASE_STATUSES and net is not None and net > 0
