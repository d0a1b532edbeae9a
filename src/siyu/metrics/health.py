"""The private-domain health score (私域健康度): six measures over the last `health_days`, each against a target.

Each component scores 100 × min(value ÷ target, 1) (churn, where lower is better: target ÷ value); the score is
their weighted mean over the components that have data. The three lowest components, if below 100, are named
in words as what drags the score down.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from siyu.domain.private import covers_end_of
from siyu.engine import Engine
from siyu.metrics.compute import compute
from siyu.metrics.periods import Window
from siyu.metrics.settings import MetricsSettings

COMPONENTS: dict[str, tuple[str, str, str]] = {
    # component: (metric it reads, English, Chinese)
    "growth": ("private_domain_size", "scale growth", "规模增长"),
    "churn": ("churn_rate", "churn", "流失率"),
    "activity": ("activity_rate", "activity", "活跃率"),
    "conversion": ("first_order_conversion", "first-order conversion", "首单转化率"),
    "repurchase": ("repurchase_rate", "repurchase", "复购率"),
    "contribution": ("private_domain_contribution", "private-domain contribution", "私域贡献占比"),
}


@dataclass(frozen=True)
class Component:
    name: str
    value: float | None
    target: float
    score: float | None
    weight: float

    def words(self, lang: str) -> str:
        _, en, zh = COMPONENTS[self.name]
        if self.value is None:
            return f"{zh}：无数据" if lang == "zh" else f"{en}: no data"
        if lang == "zh":
            return f"{zh} {self.value:.1%}，目标 {self.target:.1%}"
        return f"{en} {self.value:.1%} against a target of {self.target:.1%}"


@dataclass(frozen=True)
class Health:
    start: dt.date
    end: dt.date
    score: float | None
    components: list[Component]

    def draggers(self) -> list[Component]:
        """Up to three components below target, worst first."""
        below = [c for c in self.components if c.score is not None and c.score < 100]
        return sorted(below, key=lambda c: (c.score or 0.0, c.name))[:3]

    def summary(self, lang: str = "en") -> str:
        if self.score is None:
            return "无数据" if lang == "zh" else "no data"
        drag = self.draggers()
        if not drag:
            return f"健康度 {self.score:.0f}，各项均达标" if lang == "zh" else \
                f"health {self.score:.0f}: every measure meets its target"
        parts = "；".join(c.words("zh") for c in drag) if lang == "zh" else "; ".join(c.words("en") for c in drag)
        return f"健康度 {self.score:.0f}，主要拖累：{parts}" if lang == "zh" else \
            f"health {self.score:.0f}, dragged down by {parts}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(), "end": self.end.isoformat(), "score": self.score,
            "components": [{"name": c.name, "value": c.value, "target": c.target, "score": c.score,
                            "weight": c.weight} for c in self.components],
            "draggers": [c.name for c in self.draggers()],
            "summary": {"en": self.summary("en"), "zh": self.summary("zh")},
        }


def _score(name: str, value: float | None, target: float) -> float | None:
    if value is None:
        return None
    if name == "churn":
        return 100.0 if value <= 0 else 100.0 * min(target / value, 1.0)
    return max(0.0, 100.0 * min(value / target, 1.0))


def health(engine: Engine, cfg: MetricsSettings, as_of: dt.date, first_day: dt.date) -> Health:
    """The health score for the `health_days` ending at `as_of` (base tables must be built)."""
    start = max(as_of - dt.timedelta(days=cfg.health_days - 1), first_day)
    w = Window("total", start, as_of)
    names = sorted({m for m, _, _ in COMPONENTS.values()})
    rows = {r["metric"]: r for r in compute(engine, cfg, names, w).to_pylist()}
    comps = []
    for name, (metric, _, _) in COMPONENTS.items():
        r = rows.get(metric, {})
        if name == "growth":
            size_end = r.get("numerator")
            size_start = engine.scalar(_size_before(start)) or 0
            value = (size_end / size_start - 1.0) if size_end is not None and size_start else None
        else:
            value = r.get("value")
        target = float(getattr(cfg.targets, name))
        comps.append(Component(name, value, target, _score(name, value, target), float(getattr(cfg.weights, name))))
    return Health(start, as_of, weighted_score(comps), comps)


def weighted_score(comps: list[Component]) -> float | None:
    """The weighted mean of the components that have data (None when none has)."""
    scored = [c for c in comps if c.score is not None and c.weight > 0]
    total_w = sum(c.weight for c in scored)
    return sum((c.score or 0.0) * c.weight for c in scored) / total_w if total_w else None


def stored_health(rows: list[dict[str, Any]], start: dt.date, end: dt.date) -> Health:
    """The health of a run from its `metric_health` rows (name, value, target, score, weight), for readers of the
    warehouse that cannot recompute it (the service)."""
    comps = [Component(str(r["name"]), r["value"], float(r["target"]), r["score"], float(r["weight"]))
             for r in rows if r["name"] in COMPONENTS]
    return Health(start, end, weighted_score(comps), comps)


def _size_before(day: dt.date) -> str:
    """Persons in the private domain at the start of `day`."""
    covered = covers_end_of(day - dt.timedelta(days=1), "start_day", "end_day")
    return f"SELECT count(*) FROM mx_spells WHERE slice = 'all' AND {covered}"
