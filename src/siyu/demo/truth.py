"""The ground truth kept apart from the data: who is behind each channel identity, and the rates realised.

The truth table has one row per (channel, channel_uid) that appears anywhere in the exports. Most point to
one person; an id several persons used (a store's own phone typed for walk-ins, a family phone typed at the
till) has no single owner: `person_key` is null and `n_persons` says how many shared it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from siyu.demo.funnel import PACKAGE_CARD, shipped
from siyu.demo.orders import PAID, PARTIAL, REFUNDED
from siyu.demo.wallet import first_per_person
from siyu.demo.world import World


def truth_table(w: World, sightings: list[tuple[str, pa.Array, np.ndarray]]) -> pa.Table:
    parts = [
        pa.table({"channel": pa.repeat(pa.scalar(ch), len(uid)), "channel_uid": uid,
                  "person": pa.array(person, pa.int64())})
        for ch, uid, person in sightings
    ]
    seen = pa.concat_tables(parts).filter(pc.is_valid(pc.field("channel_uid")))
    grouped = seen.group_by(["channel", "channel_uid"]).aggregate(
        [("person", "min"), ("person", "count_distinct")]
    )
    n_persons = grouped.column("person_count_distinct")
    single = pc.equal(n_persons, 1)
    key = w.persons.key.take(grouped.column("person_min"))
    table = pa.table({
        "channel": grouped.column("channel"), "channel_uid": grouped.column("channel_uid"),
        "person_key": pc.if_else(single, key, pa.nulls(len(key), pa.string())),
        "n_persons": n_persons.cast(pa.int64()),
    })
    return table.sort_by([("channel", "ascending"), ("channel_uid", "ascending")])


def _exit_day(w: World) -> np.ndarray:
    """Per person: the day they left the private domain (friend removed and out of every group); inf if not."""
    n, days = w.persons.n, float(w.cfg.days)
    removed = np.full(n, np.inf)
    removed[w.friends.person] = np.where(np.isnan(w.friends.removed), np.inf, w.friends.removed)
    g = w.groups
    left = np.full(n, -np.inf)
    np.maximum.at(left, g.person, np.where(np.isnan(g.left), np.inf, g.left))
    exit_day = np.maximum(removed, left)
    return np.where(exit_day >= days, np.inf, exit_day)


def realised_rates(w: World) -> dict[str, Any]:
    """The funnel and health rates the generated data actually shows (DOMAIN.md's definitions)."""
    cfg, o, f, p = w.cfg, w.orders, w.friends, w.persons
    days = float(cfg.days)
    join = f.join_day(p.n)
    exit_day = _exit_day(w)
    in_domain_end = np.isfinite(join) & ~np.isfinite(exit_day)
    size_end = int(in_domain_end.sum())
    year_ago = days - 365.0
    size_year_ago = int(((join < year_ago) & (exit_day >= year_ago)).sum())
    churned = int(((join < year_ago) & (exit_day >= year_ago) & (exit_day < days)).sum())
    card_parcels = int((shipped(o) & o.with_card).sum())
    after = np.flatnonzero(o.t > join[o.person])
    first_after = first_per_person(o.person, after)
    quick = int((o.t[first_after] - join[o.person[first_after]] <= cfg.first_order_days).sum())
    recent = np.zeros(p.n, bool)
    recent[o.person[o.t >= days - 30]] = True
    m = w.messages
    talk = (m.sender == "customer") & (m.t >= days - 30) & (m.person >= 0)
    recent[m.person[talk]] = True
    topped = np.zeros(p.n, bool)
    topped[w.stored.person[w.stored.kind == "topup"]] = True
    paid_like = np.isin(o.status, [PAID, PARTIAL, REFUNDED])
    last_year = paid_like & (o.t >= year_ago)
    n_year = np.bincount(o.person[last_year], minlength=p.n)
    net_year = np.bincount(o.person[last_year], weights=(o.paid - o.refund)[last_year], minlength=p.n)
    net = (o.paid - o.refund)[paid_like].sum()
    # a purchase (siyu.domain.orders): paid or partially refunded with net above 0; order value counts these
    purchases = int((np.isin(o.status, [PAID, PARTIAL]) & (o.paid - o.refund > 0)).sum())
    return {
        "persons": p.n, "orders": o.n, "order_lines": len(w.lines.order),
        "orders_per_person": o.n / p.n,
        "refund_rate": float(np.isin(o.status, [REFUNDED, PARTIAL]).sum() / max(1, paid_like.sum())),
        "average_order_value": float(net / max(1, purchases)),
        "friends": f.n,
        "acquisition_rate": float((f.source == PACKAGE_CARD).sum() / max(1, card_parcels)),
        "first_order_rate": quick / max(1, f.n),
        "private_domain_size": size_end,
        "stored_value_rate": float((topped & in_domain_end).sum() / max(1, size_end)),
        "topup_to_order_value": float(
            w.stored.amount[w.stored.kind == "topup"].mean() / max(1e-9, net / max(1, purchases))
        ) if topped.any() else 0.0,
        "activity_rate": float((recent & in_domain_end).sum() / max(1, size_end)),
        "churn_last_year": churned / max(1, size_year_ago),
        "group_members": len(w.groups.person), "groups": w.groups.n_groups, "messages": len(m.t),
        "coupons": w.coupons.n, "coupons_redeemed": int((w.coupons.order >= 0).sum()),
        "fans": int(p.fan.sum()),
        # DOMAIN.md's KOC bar: ≥ 5 purchases and ≥ ¥10,000 in a year (activity is judged by people)
        "koc_candidates": int(((n_year >= 5) & (net_year >= 10_000)).sum()),
    }
