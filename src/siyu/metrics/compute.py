"""Compute metrics for a window and a slice: one long table (metric, grain, period, slice, value …).

A period with nothing to measure gets value NULL ("no data"), never a division by zero; for the `all` slice
every period of the window is listed, so a gap shows as a gap.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.compute as pc

from siyu.engine import Engine
from siyu.engine.quote import literal
from siyu.errors import UserError
from siyu.metrics import flows
from siyu.metrics.catalogue import FAMILIES, METRICS, Metric, find
from siyu.metrics.periods import Window
from siyu.metrics.settings import MetricsSettings

SCHEMA = pa.schema([
    ("metric", pa.string()), ("grain", pa.string()), ("period", pa.date32()), ("slice", pa.string()),
    ("slice_value", pa.string()), ("numerator", pa.float64()), ("denominator", pa.float64()),
    ("value", pa.float64()),
])


def _value(kind: str) -> str:
    if kind == "ratio":
        return "CASE WHEN denominator > 0 THEN CAST(numerator AS DOUBLE) / CAST(denominator AS DOUBLE) END"
    if kind == "level":
        return "numerator"
    return "value"


def metric_sql(metric: Metric, w: Window, slice_name: str, cfg: MetricsSettings) -> str:
    if slice_name not in metric.slices:
        raise UserError(
            f"metric {metric.name} cannot be sliced by {slice_name!r}; it can by: {', '.join(metric.slices)}"
        )
    inner = metric.build(w, slice_name, cfg)
    return f"""
        SELECT {literal(metric.name)} AS metric, {literal(w.grain)} AS grain, period, {literal(slice_name)} AS slice,
               CAST(slice_value AS VARCHAR) AS slice_value, CAST(numerator AS DOUBLE) AS numerator,
               CAST(denominator AS DOUBLE) AS denominator, CAST({_value(metric.kind)} AS DOUBLE) AS value
        FROM ({inner}) AS m
    """


def family_sql(family: str, metrics: list[Metric], w: Window, slice_name: str) -> str:
    """One query for several metrics of a family (they share their expensive part, e.g. a sort)."""
    for m in metrics:
        if slice_name not in m.slices:
            raise UserError(f"metric {m.name} cannot be sliced by {slice_name!r}; it can by: {', '.join(m.slices)}")
    inner = FAMILIES[family](w, slice_name, [m.name for m in metrics])
    return f"""
        SELECT metric, {literal(w.grain)} AS grain, period, {literal(slice_name)} AS slice,
               CAST(slice_value AS VARCHAR) AS slice_value, CAST(numerator AS DOUBLE) AS numerator,
               CAST(denominator AS DOUBLE) AS denominator, CAST(value AS DOUBLE) AS value
        FROM ({inner}) AS m
    """


def _fill_periods(table: pa.Table, metric: Metric, w: Window) -> pa.Table:
    """Add a row (value NULL) for each period of the window the query returned nothing for."""
    have = set(table.column("period").to_pylist())
    missing = [p[0] for p in w.periods() if p[0] not in have]
    if not missing:
        return table
    extra = pa.table({
        "metric": [metric.name] * len(missing), "grain": [w.grain] * len(missing), "period": missing,
        "slice": ["all"] * len(missing), "slice_value": ["all"] * len(missing),
        "numerator": pa.nulls(len(missing), pa.float64()), "denominator": pa.nulls(len(missing), pa.float64()),
        "value": pa.nulls(len(missing), pa.float64()),
    }, schema=SCHEMA)
    return pa.concat_tables([table, extra])


def compute(engine: Engine, cfg: MetricsSettings, names: list[str] | None, w: Window,
            slice_name: str = "all") -> pa.Table:
    """Metrics (all by default) for each period of `w`, sliced; the base tables must exist (`build_base`)."""
    metrics = [find(n) for n in names] if names else [m for m in METRICS if slice_name in m.slices]
    if not metrics:
        raise UserError(f"no metric can be sliced by {slice_name!r}")
    w.write(engine)
    if any(m.name == "core_return_rate" for m in metrics):
        key = flows.core_key(w, cfg.core_share)
        if not engine.scalar("SELECT count(*) FROM mx_core WHERE window_key = $key", {"key": key}):
            buyers = int(engine.scalar(flows.buyers_sql(w)) or 0)
            engine.insert_select("mx_core", flows.core_sql(w, cfg.core_share, buyers))
    if slice_name == "channel" and any(m.name == "repurchase_rate" for m in metrics) \
            and not engine.scalar("SELECT count(*) FROM mx_channel_buy_days"):
        engine.insert_select("mx_channel_buy_days", flows.buy_days_sql(True))  # built when first needed
    parts = []
    families: dict[str, list[Metric]] = {}
    for m in metrics:
        if m.family:
            families.setdefault(m.family, []).append(m)
        else:
            parts.append((m, engine.query(metric_sql(m, w, slice_name, cfg)).cast(SCHEMA)))
    for family, members in families.items():
        t = engine.query(family_sql(family, members, w, slice_name)).cast(SCHEMA)
        parts.extend((m, t.filter(pc.equal(t["metric"], m.name))) for m in members)
    if slice_name == "all":
        parts = [(m, _fill_periods(t, m, w)) for m, t in parts]
    out = pa.concat_tables([t for _, t in parts])
    return out.sort_by([("metric", "ascending"), ("slice_value", "ascending"), ("period", "ascending")])


def default_window(grain: str, first: dt.date, last: dt.date, start: dt.date | None = None,
                   end: dt.date | None = None) -> Window:
    """The window a command means when --from/--to are left out: everything with data, up to the as-of day."""
    return Window(grain, start or first, end or last)
