"""Tiers on rolling net spend: upgrade at once, downgrade only on an evaluation date and only after the member
has held the tier for the grace period. Every change is a row of `loyalty_tier_history`; the current tier is
the latest row. A tier's multiplier applies to orders first seen while the member holds it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import func, select, true
from sqlalchemy.engine import Connection, Engine

from siyu.loyalty.db import now, one_of, write
from siyu.loyalty.rules import LoyaltySettings
from siyu.loyalty.tables import tier_history


def current_tier(conn: Connection, person_id: str) -> str | None:
    """The member's tier now (None before any evaluation placed them)."""
    return conn.execute(select(tier_history.c.tier).where(tier_history.c.person_id == person_id)
                        .order_by(tier_history.c.id.desc()).limit(1)).scalar_one_or_none()


def current_tiers(conn: Connection, person_ids: Iterable[str]) -> dict[str, str]:
    """The tier now of each of these members that has one (one query per few thousand members)."""
    return {p: r.tier for p, r in _latest(conn, sorted(set(person_ids))).items()}


def _latest(conn: Connection, persons: list[str] | None) -> dict[str, Any]:
    """Each member's latest tier row (person_id, tier, since): every member's in one query, or these members'
    a few thousand per query."""
    chunks: list[list[str] | None] = [None] if persons is None else [persons[i:i + 5_000]
                                                                     for i in range(0, len(persons), 5_000)]
    out: dict[str, Any] = {}
    for chunk in chunks:
        which = true() if chunk is None else one_of(conn, tier_history.c.person_id, chunk)
        latest = select(func.max(tier_history.c.id)).where(which).group_by(tier_history.c.person_id)
        out.update({r.person_id: r for r in conn.execute(
            select(tier_history.c.person_id, tier_history.c.tier, tier_history.c.since)
            .where(tier_history.c.id.in_(latest))).all()})
    return out


def target_tier(rules: LoyaltySettings, spend_fen: int) -> str | None:
    """The highest tier whose threshold the spend reaches."""
    reached = [t.name for t in rules.tiers if spend_fen >= t.min_spend_fen]
    return reached[-1] if reached else None


def evaluate(engine: Engine, spend: Mapping[str, int], rules: LoyaltySettings, as_of: dt.date, *,
             evaluation_day: bool, at: dt.datetime | None = None) -> dict[str, str]:
    """Apply the tier rules to each member's rolling spend (a member holding a tier but absent from `spend` spent
    nothing); returns the members whose tier changed → new tier. One read of the latest tier of every member on an
    evaluation day (downgrades), else of the members in `spend` alone (no one else can change: an upgrade needs
    spend), and one multi-row insert of the changes."""
    at = at or now()
    rank = {t.name: i for i, t in enumerate(rules.tiers)}
    changed: dict[str, str] = {}
    rows: list[dict[str, object]] = []
    with write(engine) as conn:
        held = _latest(conn, None if evaluation_day else sorted(spend))
        for person_id in sorted(set(spend) | set(held)):
            last, fen = held.get(person_id), spend.get(person_id, 0)
            target = target_tier(rules, fen)
            now_rank = rank.get(last.tier, -1) if last else -1
            new_rank = rank.get(target, -1) if target else -1
            if new_rank > now_rank and target:
                reason = "upgrade"
            elif (new_rank < now_rank and evaluation_day and last is not None
                  and as_of >= last.since + dt.timedelta(days=rules.downgrade_grace_days)):
                reason = "downgrade"
            else:
                continue
            tier = target or "none"
            rows.append({"person_id": person_id, "tier": tier, "since": as_of, "spend_fen": fen, "reason": reason,
                         "decided_at": at})
            changed[person_id] = tier
        if rows:
            conn.execute(tier_history.insert(), rows)
    return changed
