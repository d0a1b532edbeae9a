"""The behaviour helpers of the segment language, compiled to EXISTS subqueries that siyu writes itself.

Users cannot write subqueries; helpers give them the few that matter (DOMAIN.md's crowds), each reading one
person-level fact table built by the profile step. Arguments are literals only, written by engine/quote.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from siyu.engine.quote import literal

Value = str | int | float | bool


@dataclass(frozen=True)
class Sources:
    """The tables a compiled segment reads: swapped when tag rules run against staged tags."""

    profile: str = "person_profile"
    tags: str = "person_tag"
    items: str = "person_items"
    orders: str = "person_orders"
    groups: str = "person_groups"
    friends: str = "person_friends"
    loyalty: str = "loyalty_facts"  # written by the loyalty step from the member ledger


@dataclass(frozen=True)
class Helper:
    """A helper's signature: positional parameter names (in order) and the keyword-only ones, with types."""

    params: dict[str, type]
    positional: tuple[str, ...]
    many: bool = False  # positional arguments repeat (has_tag('a', 'b') = any of)
    doc: str = ""


HELPERS: dict[str, Helper] = {
    "bought": Helper(
        {"category": str, "material": str, "style": str, "sku": str, "channel": str, "product": str,
         "within_days": int},
        ("category",), doc="bought(category := 'bra', material := '冰丝', within_days := 90)",
    ),
    "in_group": Helper({"group": str, "type": str, "ever": bool}, ("group",), doc="in_group('白领群')"),
    "friend_of": Helper({"staff": str, "ever": bool}, ("staff",), doc="friend_of(staff := 'S001')"),
    "has_tag": Helper({"tag": str}, ("tag",), many=True, doc="has_tag('sleeping')"),
    "points_expiring": Helper({"within_days": int, "at_least": int}, ("within_days",),
                              doc="points_expiring(30, at_least := 100): ledger points whose lots expire soon"),
    "coupon_expiring": Helper({"within_days": int}, ("within_days",),
                              doc="coupon_expiring(3): a ledger coupon still valid whose last day is near"),
}


def _bought(args: dict[str, list[Value]], src: Sources, as_of: dt.date) -> str:
    conds = []
    item_attrs = ("category", "material", "style", "sku", "product")
    uses_items = any(a in args for a in item_attrs)
    for name in ("category", "material", "style", "sku", "channel"):
        if name in args:
            conds.append(f"b.{name} = {literal(args[name][0])}")
    if "product" in args:
        conds.append(f"b.product_name LIKE {literal('%' + str(args['product'][0]) + '%')}")
    if "within_days" in args:
        since = as_of - dt.timedelta(days=int(args["within_days"][0]))
        conds.append(f"b.order_date > {literal(since)}")
    table = src.items if uses_items else src.orders
    if not uses_items:
        conds.append("b.is_purchase")
    where = "".join(f" AND {c}" for c in conds)
    return f"EXISTS (SELECT 1 FROM {table} AS b WHERE b.person_key = p.person_key{where})"


def _in_group(args: dict[str, list[Value]], src: Sources, as_of: dt.date) -> str:
    conds = [] if args.get("ever", [False])[0] else ["g.is_member"]
    if "group" in args:
        # persona groups come numbered (丝语白领群01, 丝语白领群02 …): the name contains the text, or the id is it
        name = str(args["group"][0])
        conds.append(f"(g.group_name LIKE {literal('%' + name + '%')} OR g.group_id = {literal(name)})")
    if "type" in args:
        conds.append(f"g.group_type = {literal(args['type'][0])}")
    where = "".join(f" AND {c}" for c in conds)
    return f"EXISTS (SELECT 1 FROM {src.groups} AS g WHERE g.person_key = p.person_key{where})"


def _friend_of(args: dict[str, list[Value]], src: Sources, as_of: dt.date) -> str:
    conds = [] if args.get("ever", [False])[0] else ["f.active"]
    if "staff" in args:
        conds.append(f"f.staff_id = {literal(args['staff'][0])}")
    where = "".join(f" AND {c}" for c in conds)
    return f"EXISTS (SELECT 1 FROM {src.friends} AS f WHERE f.person_key = p.person_key{where})"


def _has_tag(args: dict[str, list[Value]], src: Sources, as_of: dt.date) -> str:
    tags = ", ".join(literal(t) for t in args.get("tag", []))
    return f"EXISTS (SELECT 1 FROM {src.tags} AS t WHERE t.person_key = p.person_key AND t.tag IN ({tags}))"


def _soon(kind: str, args: dict[str, list[Value]], src: Sources, as_of: dt.date, days: int, least: int) -> str:
    until = as_of + dt.timedelta(days=int(args.get("within_days", [days])[0]))
    return (f"(SELECT coalesce(sum(l.amount), 0) FROM {src.loyalty} AS l WHERE l.person_id = p.person_id "
            f"AND l.kind = {literal(kind)} AND l.expires_on BETWEEN {literal(as_of)} AND {literal(until)}) "
            f">= {literal(max(int(args.get('at_least', [least])[0]), 1))}")


def _points_expiring(args: dict[str, list[Value]], src: Sources, as_of: dt.date) -> str:
    return _soon("points", args, src, as_of, 30, 1)


def _coupon_expiring(args: dict[str, list[Value]], src: Sources, as_of: dt.date) -> str:
    return _soon("coupon", args, src, as_of, 3, 1)


RENDER: dict[str, Callable[[dict[str, list[Value]], Sources, dt.date], str]] = {
    "bought": _bought, "in_group": _in_group, "friend_of": _friend_of, "has_tag": _has_tag,
    "points_expiring": _points_expiring, "coupon_expiring": _coupon_expiring,
}
