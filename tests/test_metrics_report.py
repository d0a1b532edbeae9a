"""`siyu metrics` / `siyu report` from the command line, and the report rendered in headless Chromium."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from test_metrics_data import build
from typer.testing import CliRunner

from siyu.cli.main import app
from siyu.engine.duckdb_engine import DuckDBEngine
from siyu.report.browser import find_chromium, render_check
from siyu.schema import migrate

runner = CliRunner()


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("w") / "w.duckdb"
    engine = DuckDBEngine(path)
    migrate(engine)
    build(engine)
    engine.close()
    return str(path)


def siyu(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_metric_by_week_sliced_as_csv(warehouse: str) -> None:
    code, out = siyu("metrics", "private_domain_size", "--by", "week", "--slice", "staff", "--from", "2026-01-01",
                     "--to", "2026-01-31", "--format", "csv", "-w", warehouse)
    assert code == 0, out
    lines = [ln for ln in out.splitlines() if ln.startswith("private_domain_size")]
    assert "private_domain_size,2026-01-26,s1,1,1.0," in lines  # C removed on 25 Jan


def test_json_and_no_data(warehouse: str) -> None:
    code, out = siyu("metrics", "churn_rate", "--from", "2026-01-01", "--to", "2026-02-28", "--format", "json",
                     "-w", warehouse)
    assert code == 0, out
    rows = json.loads(out[out.index("["):])
    assert [r["value"] for r in rows] == ["no data", "33.3%"]


def test_health_funnel_cohort_staff_script(warehouse: str) -> None:
    code, out = siyu("metrics", "health", "-w", warehouse)
    assert code == 0 and "dragged down by" in out
    code, out = siyu("metrics", "funnel", "--before", "2026-01-01:2026-01-06", "--after", "2026-01-07:2026-01-31",
                     "-w", warehouse)
    assert code == 2 and "parcels is zero" in out and "Traceback" not in out
    code, out = siyu("metrics", "script", "--staff", "s1", "--from", "2026-01-01", "--to", "2026-01-31",
                     "--format", "csv", "-w", warehouse)
    assert code == 0 and "S01-L2,1,0,0.0,1.0" in out


@pytest.mark.parametrize(("args", "message"), [
    (["metrics", "nope"], "unknown metric 'nope'"),
    (["metrics", "--by", "year"], "--by must be one of"),
    (["metrics", "--from", "2026-13-01"], "--from '2026-13-01' is not a date"),
    (["metrics", "average_order_value", "--slice", "group"], "cannot be sliced by 'group'"),
    (["metrics", "funnel", "--before", "2026-01-01"], "give two dates as FROM:TO"),
    (["report", "--lang", "fr"], "--lang must be 'zh' or 'en'"),
])
def test_bad_input_is_a_message_not_a_traceback(warehouse: str, args: list[str], message: str) -> None:
    code, out = siyu(*args, "-w", warehouse)
    assert code == 2
    assert message in " ".join(out.split())
    assert "Traceback" not in out


def test_metrics_tables_are_left_clean(warehouse: str) -> None:
    siyu("metrics", "private_domain_size", "-w", warehouse)
    engine = DuckDBEngine(warehouse, read_only=True)
    try:
        assert not [t for t in engine.tables() if t.startswith("mx_")]
    finally:
        engine.close()


def report(warehouse: str, tmp: Path, lang: str) -> Path:
    out = tmp / f"report-{lang}.html"
    code, text = siyu("report", "--out", str(out), "--lang", lang, "--json", str(tmp / "r.json"), "-w", warehouse)
    assert code == 0, text
    return out


def test_report_is_self_contained_in_both_languages(warehouse: str, tmp_path: Path) -> None:
    for lang, words in (("zh", "私域健康度"), ("en", "Health score")):
        html = report(warehouse, tmp_path, lang).read_text(encoding="utf-8")
        assert words in html
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)  # nothing fetched: works offline
        kinds = re.findall(r'data-chart="(\w+)"', html)
        assert {"gauge", "hbars", "waterfall", "intervals", "bars", "heatmap", "line"} <= set(kinds)
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert data["health"]["components"] and data["trends"]


CHROMIUM = find_chromium()


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (Debian: apt-get install chromium "
                                             "fonts-noto-cjk); the report's rendering check needs it")
def test_report_renders_in_chromium(warehouse: str, tmp_path: Path) -> None:
    page = report(warehouse, tmp_path, "zh")
    seen = render_check(page, tmp_path / "report.png")
    assert seen.returncode == 0
    assert not seen.console_errors, seen.console_errors
    assert seen.screenshot_bytes > 5 * seen.blank_bytes  # a blank page compresses to almost nothing; charts do not
    assert seen.charts >= 10
    assert not seen.blank_charts, f"blank charts: {seen.blank_charts}"
    assert seen.ok


def test_unfinished_period_is_named_and_left_out_of_trends(warehouse: str, tmp_path: Path) -> None:
    import datetime as dt

    from siyu.metrics.periods import unfinished
    from siyu.report.html import render_report

    assert unfinished("month", dt.date(2026, 11, 1)) == dt.date(2026, 11, 1)
    assert unfinished("month", dt.date(2026, 11, 30)) is None
    assert unfinished("week", dt.date(2026, 11, 29)) is None  # a Sunday closes its week
    assert unfinished("day", dt.date(2026, 11, 1)) is None
    report(warehouse, tmp_path, "en")
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    last = max(r["period"] for r in data["trends"])
    data["unfinished_period"] = last
    html = render_report(data, "en")
    assert f"The period from {last[:7]} is left out" in html
    assert f"<title>{last[:7]}:" not in html  # no point plotted for it
    data["unfinished_period"] = None
    assert f"<title>{last[:7]}:" in render_report(data, "en")
