"""`siyu metrics` and `siyu report`: private-domain KPIs as a table/CSV/JSON, and the HTML report."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

if TYPE_CHECKING:
    from siyu.engine import Engine

from siyu.cli.common import ConfigOpt, EngineOpt, UserError, WarehouseOpt, console, friendly, reading

SPECIAL = ("health", "funnel", "cohort", "staff", "script")


def _date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UserError(f"{option} {value!r} is not a date: use YYYY-MM-DD") from None


def _span(value: str | None, option: str) -> tuple[dt.date, dt.date] | None:
    if value is None:
        return None
    if ":" not in value:
        raise UserError(f"{option} {value!r}: give two dates as FROM:TO, e.g. 2026-01-01:2026-01-31")
    a, b = value.split(":", 1)
    start, end = _date(a, option), _date(b, option)
    assert start is not None and end is not None
    if end < start:
        raise UserError(f"{option} {value!r}: the end is before the start")
    return start, end


@contextmanager
def _based(eng: Engine, settings: Any) -> Iterator[tuple[Any, Any]]:
    """Build the metric base tables, and drop them afterwards (they are scratch, not results)."""
    from siyu.metrics import build_base, metrics_config
    from siyu.metrics.base import drop_base

    cfg = metrics_config(settings)
    try:
        yield cfg, build_base(eng, cfg)
    finally:
        drop_base(eng)


def _value(v: Any, unit: str) -> str:
    from siyu.report.svg import _fmt

    return "no data" if v is None else _fmt(float(v), unit)


def _print_rows(rows: list[dict[str, Any]], fmt: str, title: str) -> None:
    if fmt == "json":
        console.print_json(json.dumps(rows, default=str, ensure_ascii=False))
        return
    if fmt == "csv":
        buf = io.StringIO()
        if rows:
            writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        console.out(buf.getvalue(), end="", highlight=False)
        return
    if not rows:
        console.print("no data")
        return
    table = Table(*rows[0].keys(), title=title)
    for r in rows:
        table.add_row(*("–" if v is None else f"{v:.4g}" if isinstance(v, float) else str(v) for v in r.values()))
    console.print(table)


def metrics(
    name: Annotated[str | None, typer.Argument(help="a metric name (default: all), or health | funnel | cohort | "
                                                  "staff | script | list")] = None,
    by: Annotated[str, typer.Option("--by", help="day | week | month | total")] = "month",
    slice_name: Annotated[str, typer.Option("--slice", help="all | channel | staff | store | add_source | group")]
    = "all",
    start: Annotated[str | None, typer.Option("--from", help="first day, YYYY-MM-DD (default: first day of data)")]
    = None,
    end: Annotated[str | None, typer.Option("--to", help="last day, YYYY-MM-DD (default: the as-of day)")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table | csv | json")] = "table",
    before: Annotated[str | None, typer.Option("--before", help="funnel: FROM:TO of the earlier period")] = None,
    after: Annotated[str | None, typer.Option("--after", help="funnel: FROM:TO of the later period")] = None,
    staff: Annotated[str | None, typer.Option("--staff", help="script: the staff member to drill into")] = None,
    warehouse: WarehouseOpt = None,
    config: ConfigOpt = None,
    engine: EngineOpt = None,
) -> None:
    """Private-domain metrics (DOMAIN.md) by period and slice; or the health score, funnel, cohorts."""
    from siyu.metrics.catalogue import METRICS, find

    if fmt not in ("table", "csv", "json"):
        raise UserError(f"--format must be table, csv or json, not {fmt!r}")
    if name == "list":
        _print_rows([{"metric": m.name, "en": m.en, "zh": m.zh, "unit": m.unit, "slices": " ".join(m.slices)}
                     for m in METRICS], fmt, "metrics")
        return
    if name and name not in SPECIAL:
        find(name)  # an unknown name fails before the warehouse is touched
    d0, d1 = _date(start, "--from"), _date(end, "--to")
    with reading(warehouse, config, engine) as (eng, choice), _based(eng, choice.settings) as (cfg, base):
        rows = _special(eng, cfg.settings, base, name, d0, d1, before, after, staff) if name in SPECIAL else \
            _metric_rows(eng, cfg.settings, base, name, by, slice_name, d0, d1)
        _print_rows(rows, fmt, name or f"metrics by {by}")


def _metric_rows(eng: Engine, cfg: Any, base: Any, name: str | None, by: str, slice_name: str,
                 d0: dt.date | None, d1: dt.date | None) -> list[dict[str, Any]]:
    from siyu.metrics.catalogue import BY_NAME
    from siyu.metrics.compute import compute, default_window

    w = default_window(by, base.first_day, base.as_of, d0, d1)
    table = compute(eng, cfg, [name] if name else None, w, slice_name)
    return [{"metric": r["metric"], "period": r["period"], slice_name: r["slice_value"],
             "value": _value(r["value"], BY_NAME[r["metric"]].unit), "numerator": r["numerator"],
             "denominator": r["denominator"]} for r in table.to_pylist()]


def _special(eng: Engine, cfg: Any, base: Any, name: str | None, d0: dt.date | None, d1: dt.date | None,
             before: str | None, after: str | None, staff: str | None) -> list[dict[str, Any]]:
    from siyu.metrics.cohort import cohorts
    from siyu.metrics.funnel import (
        decompose,
        funnel_period,
        script_dropoff,
        staff_conversion,
        weakest_staff,
    )
    from siyu.metrics.health import health
    from siyu.metrics.summary import default_comparison

    cmp_ = default_comparison(base, cfg)
    b, a = _span(before, "--before") or cmp_.before, _span(after, "--after") or cmp_.after
    if name == "health":
        h = health(eng, cfg, d1 or base.as_of, base.first_day)
        console.print(h.summary("en"))
        return [{"component": c.name, "value": c.value, "target": c.target, "score": c.score}
                for c in h.components]
    if name == "funnel":
        p0, p1 = funnel_period(eng, *b), funnel_period(eng, *a)
        dec = decompose(p0, p1)
        rows: list[dict[str, Any]] = [
            {"factor": k, "before": p0.factors()[k], "after": p1.factors()[k],
             "contribution": float(dec.contributions[k])} for k in dec.contributions
        ]
        rows.append({"factor": "new_customer_sales", "before": p0.sales, "after": p1.sales,
                     "contribution": float(dec.total_change)})
        return rows
    if name == "cohort":
        return cohorts(eng, cfg.cohort_months, base.as_of)
    span = (d0 or a[0], d1 or a[1])
    people = staff_conversion(eng, *span)
    if name == "staff":
        return people
    return script_dropoff(eng, staff or weakest_staff(people), *span)


def report(
    out: Annotated[Path, typer.Option("--out", "-o", help="the HTML file to write")] = Path("report.html"),
    lang: Annotated[str, typer.Option("--lang", help="zh | en")] = "zh",
    by: Annotated[str, typer.Option("--by", help="trend periods: week | month")] = "month",
    json_out: Annotated[Path | None, typer.Option("--json", help="also write the numbers as JSON here")] = None,
    staff: Annotated[str | None, typer.Option("--staff", help="the staff member whose script to show")] = None,
    warehouse: WarehouseOpt = None,
    config: ConfigOpt = None,
    engine: EngineOpt = None,
) -> None:
    """Write the self-contained HTML report (works offline): trends, funnel, staff, script, cohorts, health."""
    from siyu.metrics import collect
    from siyu.report import render_report, write_report

    if lang not in ("zh", "en"):
        raise UserError(f"--lang must be 'zh' or 'en', not {lang!r}")
    if by not in ("week", "month"):
        raise UserError(f"--by must be 'week' or 'month' for the report, not {by!r}")
    with reading(warehouse, config, engine) as (eng, choice), _based(eng, choice.settings) as (cfg, base):
        data = collect(eng, cfg.settings, base, by, staff_id=staff)
        html = render_report(data, lang, choice.settings.brand.name, cfg.settings.health_days)
    write_report(out, html)
    if json_out:
        json_out.write_text(json.dumps(data, default=str, ensure_ascii=False, indent=1), encoding="utf-8")
    console.print(f"wrote {out} ({len(html) / 1024:,.0f} KB); {data['health']['summary'][lang]}")


def register(app: typer.Typer) -> None:
    app.command(name="metrics")(friendly(metrics))
    app.command(name="report")(friendly(report))
