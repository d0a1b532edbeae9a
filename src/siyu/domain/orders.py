"""What an order, a paid order, a purchase and a refund are (DOMAIN.md "Definitions every layer shares").

- An **order** is one order id on one channel; its status is one of `ORDER_STATUSES`. Sub-orders roll up to
  their order (`order_status_sql`).
- A **paid order** is one where money was taken (`PAID_STATUSES`, refunded ones included): net sales, refunds,
  the return rate, contribution, feed-back, first-order conversion and activity count these.
- A **purchase** is a paid or partially refunded order with net > 0: profiles (`orders`, first/last order
  date), repurchase, average order value, CLV frequency and monetary value, tags and points count these. A fully
  refunded order is paid but not a purchase.
- A **refund**: a refunded order without a refund amount refunded everything (`refund_amount_sql`).
- **Net** = paid − refunded for a paid order, never below 0; 0 for pending and closed orders.
"""

from __future__ import annotations

from decimal import Decimal

from siyu.engine.quote import literal, literal_list

ORDER_STATUSES = ("pending", "closed", "paid", "partially_refunded", "refunded")
PAID_STATUSES = ("paid", "partially_refunded", "refunded")
PURCHASE_STATUSES = ("paid", "partially_refunded")


def _prefix(alias: str) -> str:
    return f"{alias}." if alias else ""


def paid_sql(alias: str = "o") -> str:
    """True for an order money was taken for (refunded ones included)."""
    return f"{_prefix(alias)}status IN {literal_list(PAID_STATUSES)}"


def purchase_sql(alias: str = "o") -> str:
    """True for an order that counts as a purchase: paid, not fully refunded, net above 0."""
    p = _prefix(alias)
    return f"({p}status IN {literal_list(PURCHASE_STATUSES)} AND {p}net_amount > 0)"


def refund_amount_sql(status: str, paid: str, refunded: str) -> str:
    """The amount refunded: as exported, or everything paid when a refunded order carries no refund amount."""
    return (f"coalesce({refunded}, CASE WHEN {status} = {literal('refunded')} THEN {paid} "
            f"ELSE CAST(0 AS DECIMAL(18,2)) END)")


def order_status_sql(status: str) -> str:
    """An aggregate: the status of an order from its sub-orders' statuses (SQL over one order's rows).

    All sub-orders refunded → refunded; any refunded or partially refunded → partially refunded; else any paid →
    paid; else any pending → pending; else closed."""
    return (f"CASE WHEN bool_and({status} = {literal('refunded')}) THEN {literal('refunded')} "
            f"WHEN bool_or({status} IN {literal_list(('refunded', 'partially_refunded'))}) "
            f"THEN {literal('partially_refunded')} "
            f"WHEN bool_or({status} = {literal('paid')}) THEN {literal('paid')} "
            f"WHEN bool_or({status} = {literal('pending')}) THEN {literal('pending')} "
            f"ELSE {literal('closed')} END")


def order_status(sub_statuses: list[str]) -> str:
    """`order_status_sql` in Python."""
    if sub_statuses and all(s == "refunded" for s in sub_statuses):
        return "refunded"
    for test, status in ((("refunded", "partially_refunded"), "partially_refunded"), (("paid",), "paid"),
                         (("pending",), "pending")):
        if any(s in test for s in sub_statuses):
            return status
    return "closed"


def net_amount_sql(status: str, paid: str, refunded: str) -> str:
    """Net of an order from its status, amount paid and amount refunded (SQL expressions), as DECIMAL(18,2)."""
    return (f"CAST(CASE WHEN {status} IN {literal_list(PAID_STATUSES)} "
            f"THEN greatest(coalesce({paid}, 0) - coalesce({refunded}, 0), 0) ELSE 0 END AS DECIMAL(18,2))")


def net_amount(status: str, paid: Decimal | None, refunded: Decimal | None) -> Decimal:
    """`net_amount_sql` in Python (the member ledger posts from it)."""
    if status not in PAID_STATUSES:
        return Decimal("0.00")
    return max((paid or Decimal(0)) - (refunded or Decimal(0)), Decimal(0)).quantize(Decimal("0.01"))


def is_purchase(status: str, net: Decimal | float | None) -> bool:
    """`purchase_sql` in Python."""
    return status in PURCHASE_STATUSES and net is not None and net > 0
