"""Shared fixtures: real engines (DuckDB in a temp file, Spark local[2] on a temp lake), the CDNOW sample found
beside the checkout, and the suite's own rules: in CI (env CI set) a skip is a failure, and every test has a
time limit, so nothing passes by quietly not running."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from siyu.engine import Engine
from siyu.engine.duckdb_engine import DuckDBEngine
from siyu.schema import migrate

# pytest-timeout's per-test limit is `timeout` in pyproject; Spark and slow tests get this one instead.
LONG_TIMEOUT = 1200
CDNOW_RELATIVE = Path("shared/data/CDNOW_sample.txt")


def in_ci() -> bool:
    """CI sets CI (GitHub, GitLab and .ci/run all do); an empty or "0"/"false" value means not CI."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def find_cdnow(start: Path = Path(__file__)) -> Path | None:
    """SIYU_CDNOW, else shared/data/CDNOW_sample.txt in the nearest folder above `start` that has it.

    The checkout is <root>/main (or a worktree <root>/wt/<name>) with the data at <root>/shared/data, in CI too.
    """
    if env := os.environ.get("SIYU_CDNOW"):
        return Path(env) if Path(env).is_file() else None
    for folder in start.resolve().parents:
        if (folder / CDNOW_RELATIVE).is_file():
            return folder / CDNOW_RELATIVE
    return None


@pytest.fixture(scope="session")
def cdnow_path() -> Path:
    """The CDNOW 1/10 sample (Fader & Hardie's 2,357 customers); skipped outside CI, a failure in CI."""
    path = find_cdnow()
    if path is None:
        pytest.skip(f"CDNOW sample not found: set SIYU_CDNOW or put it at ../{CDNOW_RELATIVE} beside the checkout")
    return path


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "ci_may_skip(reason): this test may skip in CI too (a platform limit)")


def _uses_spark(item: pytest.Item) -> bool:
    callspec = getattr(item, "callspec", None)
    return "spark" in getattr(item, "fixturenames", ()) or (
        callspec is not None and callspec.params.get("any_engine") == "spark")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test on Spark is marked spark (so `-m "not spark"` leaves out all of them, any_engine's included);
    Spark and slow tests get the long time limit unless they set their own. Modules holding a slow test run
    first, then modules holding a Spark test, each module's tests kept together and in order: with xdist a
    three-minute test dealt out last kept one worker busy minutes after the other had finished."""
    for item in items:
        if item.get_closest_marker("spark") is None and _uses_spark(item):
            item.add_marker(pytest.mark.spark)
        if item.get_closest_marker("timeout") is None and (
            item.get_closest_marker("spark") or item.get_closest_marker("slow")
        ):
            item.add_marker(pytest.mark.timeout(LONG_TIMEOUT))
    rank: dict[str, int] = {}
    for item in items:
        weight = 0 if item.get_closest_marker("slow") else 1 if item.get_closest_marker("spark") else 2
        rank[item.nodeid.split("::")[0]] = min(weight, rank.get(item.nodeid.split("::")[0], 2))
    items.sort(key=lambda item: rank[item.nodeid.split("::")[0]])  # stable: the order within a rank is kept


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """In CI a skipped test fails, unless marked `ci_may_skip`: a missing resource there is a broken CI."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if not (report.skipped and in_ci()) or hasattr(report, "wasxfail") or item.get_closest_marker("ci_may_skip"):
        return
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    report.outcome = "failed"
    report.longrepr = f"skipped in CI (CI={os.environ.get('CI')}), which counts as a failure: {reason}"


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Iterator[None]:
    """A whole module skipped at import (pytest.importorskip, allow_module_level) fails in CI as well."""
    outcome = yield
    report: pytest.CollectReport = outcome.get_result()
    if report.skipped and in_ci():
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"module skipped in CI (CI={os.environ.get('CI')}), which counts as a failure: {reason}"


def _java_available() -> bool:
    return shutil.which("java") is not None


@pytest.fixture
def duck(tmp_path: Path) -> Iterator[Engine]:
    """A migrated DuckDB warehouse in a temporary file."""
    engine = DuckDBEngine(tmp_path / "test.duckdb")
    migrate(engine)
    yield engine
    engine.close()


@pytest.fixture
def spark(tmp_path: Path) -> Iterator[Engine]:
    """A migrated Spark engine on a temporary lake (the Spark session itself is shared by the process)."""
    if not _java_available():
        pytest.skip("Spark needs Java")
    from siyu.engine.spark_engine import SparkEngine

    engine = SparkEngine(tmp_path / "lake")
    migrate(engine)
    yield engine
    engine.close()


@pytest.fixture(params=["duckdb", "spark"])
def any_engine(request: pytest.FixtureRequest) -> Engine:
    """The same test on both engines."""
    return request.getfixturevalue("duck" if request.param == "duckdb" else "spark")
