"""`siyu metrics` / `siyu report` from the command line, and the report rendered in headless Chromium."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from test_metrics_data import build
from typer.testing import CliRunner

from siyu.cli.main import app
from siyu.engine.duckdb_engine import DuckDBEngine
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


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--enable-logging=stderr", "--v=0", "--window-size=1400,2400"]


def chromium(page: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *extra, page.as_uri()],
                              capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (Debian: apt-get install chromium "
                                             "fonts-noto-cjk); the report's rendering check needs it")
def test_report_renders_in_chromium(warehouse: str, tmp_path: Path) -> None:
    page = report(warehouse, tmp_path, "zh")
    shot = tmp_path / "report.png"
    run = chromium(page, f"--screenshot={shot}")
    assert run.returncode == 0, run.stderr[-2000:]
    errors = [ln for ln in run.stderr.splitlines() if "CONSOLE" in ln or "Uncaught" in ln]
    assert not errors, errors
    # a blank page of the same size compresses to almost nothing; charts do not
    blank = tmp_path / "blank.html"
    blank.write_text("<!doctype html><html><body></body></html>", encoding="utf-8")
    blank_shot = tmp_path / "blank.png"
    chromium(blank, f"--screenshot={blank_shot}")
    assert shot.stat().st_size > 5 * blank_shot.stat().st_size
    dom = chromium(page, "--dump-dom").stdout
    charts = re.findall(r'<svg[^>]*data-chart="(\w+)"[^>]*>(.*?)</svg>', dom, flags=re.S)
    assert len(charts) >= 10
    for kind, body in charts:  # every chart drew something beyond its background, or says "no data"
        marks = len(re.findall(r"<(path|circle|line|rect)\b", body)) - 1
        assert marks > 0 or "无数据" in body, f"blank {kind} chart"
