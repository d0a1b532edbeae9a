"""Built-in tags: SQL over person_profile, one (person_id, tag, family) row per tag a person holds.

Definitions (and every threshold) are in docs/profile.md and [tags] of siyu.toml. Quantile thresholds are
computed once from the buyers' profile (a single small Arrow read), then written into the SQL as numbers,
so the same SQL runs on both engines.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from siyu.engine import Engine
from siyu.engine.quote import literal
from siyu.profile.settings import TagSettings

TAG_COLUMNS = "person_id, person_key, tag, family, source"

# (R high, F high, M high) → class; the textbook eight RFM classes
RFM_CLASSES = {
    (True, True, True): "重要价值", (False, True, True): "重要保持", (True, False, True): "重要发展",
    (False, False, True): "重要挽留", (True, True, False): "一般价值", (False, True, False): "一般保持",
    (True, False, False): "一般发展", (False, False, False): "一般挽留",
}

BUILTIN_TAGS = [
    *RFM_CLASSES.values(), "prospect", "new", "active", "sleeping", "lost", "high_net_worth",
    "high_activity_low_repurchase", "stored_value_member", "birthday_this_month", "coupon_expiring", "koc_candidate",
]
"""Every fixed built-in tag name; preference tags are `material:<value>`, `style:<value>`, `category:<value>`."""


@dataclass(frozen=True)
class Thresholds:
    """Where R, F and M turn from low to high, and the spend that makes a high-net-worth person."""

    recency: float
    orders: float
    spend: float
    high_net_worth: float
    strict: bool  # quantile thresholds are "better than", fixed ones "at least"


def thresholds(engine: Engine, cfg: TagSettings) -> Thresholds:
    buyers = engine.query("SELECT recency_days, orders, CAST(net_spend AS DOUBLE) AS spend FROM person_profile "
                          "WHERE orders > 0")
    spend = np.asarray(buyers.column("spend").to_numpy(zero_copy_only=False), dtype=float)

    def q(col: str, level: float) -> float:
        values = np.asarray(buyers.column(col).to_numpy(zero_copy_only=False), dtype=float)
        return float(np.quantile(values, level)) if values.size else 0.0

    hnw = cfg.high_net_worth_spend
    if hnw is None:
        hnw = float(np.quantile(spend, 1 - cfg.high_net_worth_top)) if spend.size else 0.0
    if cfg.rfm.method == "fixed":
        return Thresholds(cfg.rfm.recency_days, cfg.rfm.orders, cfg.rfm.spend, hnw, strict=False)
    return Thresholds(q("recency_days", cfg.rfm.recency_quantile), q("orders", cfg.rfm.frequency_quantile),
                      q("spend", cfg.rfm.monetary_quantile), hnw, strict=True)


def _rfm(t: Thresholds) -> str:
    lt, gt = ("<", ">") if t.strict else ("<=", ">=")
    r = f"recency_days {lt} {t.recency!r}"
    f = f"orders {gt} {t.orders!r}"
    m = f"CAST(net_spend AS DOUBLE) {gt} {t.spend!r}"
    cases = " ".join(
        f"WHEN {'' if hi_r else 'NOT '}({r}) AND {'' if hi_f else 'NOT '}({f}) AND {'' if hi_m else 'NOT '}({m}) "
        f"THEN {literal(name)}" for (hi_r, hi_f, hi_m), name in RFM_CLASSES.items()
    )
    return (f"SELECT person_id, person_key, CASE {cases} END AS tag, 'rfm' AS family FROM person_profile "
            "WHERE orders > 0")


def _lifecycle(cfg: TagSettings) -> str:
    lc = cfg.lifecycle
    return f"""
        SELECT person_id, person_key, CASE
            WHEN orders = 0 THEN 'prospect'
            -- lost: past 3x the person's own repurchase interval, or the model thinks they are gone
            WHEN recency_days > {lc.lost_factor!r} * repurchase_interval_days
                 OR coalesce(p_alive, 1.0) < {lc.lost_p_alive!r} THEN 'lost'
            WHEN recency_days > {lc.sleeping_factor!r} * repurchase_interval_days THEN 'sleeping'
            WHEN orders = 1 THEN 'new'
            ELSE 'active' END AS tag, 'lifecycle' AS family
        FROM person_profile"""


def _preferences(cfg: TagSettings) -> str:
    share = cfg.preference_share
    return " UNION ALL ".join(
        f"SELECT person_id, person_key, {literal(a + ':')} || preferred_{a} AS tag, 'preference' AS family "
        f"FROM person_profile "
        f"WHERE preferred_{a}_share >= {share!r}" for a in ("material", "style", "category")
    )


def _flags(cfg: TagSettings, t: Thresholds) -> str:
    flags = {
        "high_net_worth": ("value", f"orders > 0 AND CAST(net_spend AS DOUBLE) >= {t.high_net_worth!r}"),
        # chatty in 1:1 or groups lately, but at most one order in a year: handle by SOP, or recruit for content
        "high_activity_low_repurchase": (
            "activity", f"messages_30d > 0 AND orders_365d <= {cfg.low_repurchase_orders}"),
        "stored_value_member": ("value", "stored_value_topup > 0"),
        "birthday_this_month": ("care", "birthday_month = month(as_of)"),
        "coupon_expiring": ("care", "coupons_expiring > 0"),
        "koc_candidate": ("value", f"orders_365d >= {cfg.koc_orders} AND CAST(net_spend_365d AS DOUBLE) >= "
                                   f"{cfg.koc_spend!r} AND group_messages_30d >= {cfg.koc_group_messages}"),
    }
    return " UNION ALL ".join(
        f"SELECT person_id, person_key, {literal(tag)} AS tag, {literal(family)} AS family FROM person_profile "
        f"WHERE {cond}"
        for tag, (family, cond) in flags.items()
    )


def builtin_tags_sql(cfg: TagSettings, t: Thresholds) -> str:
    parts = [_rfm(t), _lifecycle(cfg), _preferences(cfg), _flags(cfg, t)]
    union = " UNION ALL ".join(f"SELECT * FROM ({p}) AS x" for p in parts)
    return f"SELECT {TAG_COLUMNS} FROM (SELECT *, 'builtin' AS source FROM ({union}) AS u) AS b"
