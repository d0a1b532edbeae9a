"""The suite checks itself: every test can fail, no skip is silent, a skip in CI is a failure, a hang times out.

The CI rules are proved on a tiny generated test folder run by pytest in a subprocess with this suite's conftest,
so a change that quietly disables them fails here.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import LONG_TIMEOUT, find_cdnow

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
TEST_FILES = sorted(TESTS.glob("test_*.py"))
CHECKS = ("assert", "raises", "warns", "assert_allclose", "assert_array_equal", "assert_equal")


def _functions(tree: ast.Module) -> dict[str, ast.FunctionDef]:
    return {n.name: n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}


def _checks(fn: ast.FunctionDef, helpers: dict[str, ast.FunctionDef], depth: int = 2) -> bool:
    """The function asserts, expects an exception, or calls a helper of its module that does."""
    for node in ast.walk(fn):
        if isinstance(node, ast.Assert):
            return True
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in CHECKS or name.startswith("assert_"):
                return True
            if depth and name in helpers and helpers[name] is not fn and _checks(helpers[name], helpers, depth - 1):
                return True
    return False


def test_every_test_checks_something() -> None:
    missing = []
    for path in TEST_FILES:
        helpers = _functions(ast.parse(path.read_text(encoding="utf-8")))
        missing += [f"{path.name}::{name}" for name, fn in helpers.items()
                    if name.startswith("test_") and not _checks(fn, helpers)]
    assert not missing, f"tests with no assert, no pytest.raises and no checking helper: {missing}"


def _only_range_or_not_null(test: ast.expr) -> bool:
    """`x is not None`, `x > 0`, `0 <= x <= 1`, `len(x) > 0`, `np.isfinite(x)`, or `and`s / `all(...)` of them."""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return all(_only_range_or_not_null(v) for v in test.values)
    if isinstance(test, ast.Call):
        name = test.func.attr if isinstance(test.func, ast.Attribute) else getattr(test.func, "id", "")
        if name == "isfinite":
            return True
        if name == "all" and test.args and isinstance(test.args[0], ast.GeneratorExp):
            return _only_range_or_not_null(test.args[0].elt)
        return False
    if not isinstance(test, ast.Compare):
        return False
    sides = [test.left, *test.comparators]
    consts = [s.value for s in sides if isinstance(s, ast.Constant)]
    if all(isinstance(op, ast.IsNot | ast.Is) for op in test.ops) and None in consts:
        return True
    return all(isinstance(op, ast.Gt | ast.GtE | ast.Lt | ast.LtE) for op in test.ops) and bool(consts) and all(
        isinstance(c, int | float) and c in (0, 1) for c in consts)


def test_no_test_checks_only_a_range_or_a_non_null() -> None:
    """A test whose every assert is `> 0`, `is not None` or `0 <= p <= 1` passes for almost any wrong answer."""
    weak = []
    for path in TEST_FILES:
        for name, fn in _functions(ast.parse(path.read_text(encoding="utf-8"))).items():
            asserts = [n for n in ast.walk(fn) if isinstance(n, ast.Assert)]
            others = [n for n in ast.walk(fn) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                      and (n.func.attr in CHECKS or n.func.attr.startswith("assert_"))]
            if name.startswith("test_") and asserts and not others and all(
                    _only_range_or_not_null(a.test) for a in asserts):
                weak.append(f"{path.name}::{name}")
    assert not weak, f"tests that check only a range or a non-null, add a known answer: {weak}"


def _skip_calls(tree: ast.Module) -> list[tuple[int, str, ast.Call]]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            chain = ast.unparse(node.func)
            if chain in ("pytest.skip", "pytest.mark.skip", "pytest.mark.skipif", "pytest.importorskip",
                         "pytest.xfail", "pytest.mark.xfail"):
                out.append((node.lineno, chain, node))
    return out


def _has_reason(chain: str, call: ast.Call) -> bool:
    reason = next((k.value for k in call.keywords if k.arg in ("reason", "msg")), None)
    if reason is None and chain in ("pytest.skip", "pytest.xfail", "pytest.mark.skip") and call.args:
        reason = call.args[0]
    if reason is None:
        return False
    return not (isinstance(reason, ast.Constant) and not str(reason.value).strip())


def test_every_skip_says_why() -> None:
    silent = []
    for path in [*TEST_FILES, TESTS / "conftest.py"]:
        for line, chain, call in _skip_calls(ast.parse(path.read_text(encoding="utf-8"))):
            if not _has_reason(chain, call):
                silent.append(f"{path.name}:{line} {chain}")
    assert not silent, f"skips without a reason: {silent}"


def test_the_per_test_time_limit_is_set_and_markers_are_strict() -> None:
    ini = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"]
    assert ini["timeout"] == 300
    assert "--strict-markers" in ini["addopts"].split()  # a misspelt `spark` or `ci_may_skip` is an error
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    assert any(dep.startswith("pytest-timeout") for dep in extras["test"])


def test_ci_script_makes_every_resource_present() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "export CI=1" in script
    assert "export SIYU_TEST_PG_URL=postgresql://siyu:siyu@127.0.0.1/siyu_test" in script
    for package in ("openjdk-17-jre-headless", "chromium", "fonts-noto-cjk", "postgresql"):
        assert f"need+=({package})" in script, package


def test_cdnow_is_found_above_the_checkout_or_from_siyu_cdnow(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SIYU_CDNOW", raising=False)
    start = tmp_path / "root" / "wt" / "suite" / "tests" / "test_x.py"
    start.parent.mkdir(parents=True)
    assert find_cdnow(start) is None
    data = tmp_path / "root" / "shared" / "data" / "CDNOW_sample.txt"
    data.parent.mkdir(parents=True)
    data.write_text(" 00001 0001 19970101  1   11.77\n")
    assert find_cdnow(start) == data
    other = tmp_path / "elsewhere.txt"
    monkeypatch.setenv("SIYU_CDNOW", str(other))
    assert find_cdnow(start) is None  # a wrong override is not silently replaced by another file
    other.write_text("")
    assert find_cdnow(start) == other


SAMPLE = '''
import pytest


def test_passes():
    assert 1 + 1 == 2


def test_needs_a_resource():
    pytest.skip("the resource is missing")


@pytest.mark.skipif(True, reason="Chromium is not installed")
def test_marked_skipif():
    assert False


@pytest.mark.ci_may_skip(reason="a platform limit")
def test_allowed_to_skip():
    pytest.skip("not on this platform")


@pytest.mark.xfail(reason="a known bug", strict=True)
def test_expected_failure():
    assert False


@pytest.mark.slow
def test_slow_gets_the_long_limit(request):
    assert request.node.get_closest_marker("timeout").args[0] == {long}
'''
HANG = '''
import time


def test_hangs():
    time.sleep(120)
'''
MODULE_SKIP = '''
import pytest

pytest.skip("the whole module needs a missing resource", allow_module_level=True)


def test_never_runs():
    assert False
'''


def _pytest(folder: Path, ci: str | None, *args: str) -> subprocess.CompletedProcess[str]:
    """pytest on `folder` with this suite's conftest and settings (time limit 2 s), in a fresh process."""
    (folder / "conftest.py").write_text((TESTS / "conftest.py").read_text(encoding="utf-8"), encoding="utf-8")
    ini = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"]
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "PYTEST_ADDOPTS", "PYTEST_XDIST_WORKER")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
    if ci is not None:
        env["CI"] = ci
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist", "-o", "timeout=2",
         "-o", f"timeout_method={ini['timeout_method']}", "--rootdir", str(folder), *args, str(folder)],
        cwd=folder, env=env, capture_output=True, text=True, timeout=240, check=False)


def _outcomes(tmp_path: Path, ci: str | None) -> tuple[int, dict[str, str]]:
    """Run the sample folder; each test's outcome as junit-xml records it."""
    folder = tmp_path / f"ci-{ci}"
    folder.mkdir()
    (folder / "test_sample.py").write_text(SAMPLE.replace("{long}", str(LONG_TIMEOUT)), encoding="utf-8")
    (folder / "test_module_skip.py").write_text(MODULE_SKIP, encoding="utf-8")
    xml = folder / "report.xml"
    run = _pytest(folder, ci, "--continue-on-collection-errors", f"--junitxml={xml}")
    outcomes = {}
    for case in ET.parse(xml).getroot().iter("testcase"):
        kind = next((child.tag for child in case if child.tag in ("failure", "error", "skipped")), "passed")
        outcomes[case.get("name") or case.get("classname", "")] = kind
    return run.returncode, outcomes


def _hang(tmp_path: Path) -> subprocess.CompletedProcess[str]:
    folder = tmp_path / "hang"
    folder.mkdir()
    (folder / "test_hang.py").write_text(HANG, encoding="utf-8")
    return _pytest(folder, None)


def test_ci_turns_a_skip_into_a_failure_and_a_hang_times_out(tmp_path: Path) -> None:
    with ThreadPoolExecutor(3) as pool:  # the pytest processes side by side: the test's time is one run's
        local_run, ci_run, hang_future = (pool.submit(_outcomes, tmp_path, None), pool.submit(_outcomes, tmp_path, "1"),
                                          pool.submit(_hang, tmp_path))
        (code, local), (code_ci, ci), hang = local_run.result(), ci_run.result(), hang_future.result()
    assert local["test_passes"] == ci["test_passes"] == "passed"
    # outside CI a missing resource skips; in CI the same skip fails the run
    assert local["test_needs_a_resource"] == local["test_marked_skipif"] == "skipped"
    assert ci["test_needs_a_resource"] == "failure" and ci["test_marked_skipif"] == "error"  # call / setup
    # a whole module skipped at import: skipped locally, a collection error in CI
    assert local["test_module_skip"] == "skipped" and ci["test_module_skip"] == "error"
    # a legitimate platform skip is marked, and an expected failure is not a skip
    assert local["test_allowed_to_skip"] == ci["test_allowed_to_skip"] == "skipped"
    assert local["test_expected_failure"] == ci["test_expected_failure"] == "skipped"
    # slow tests get the long limit
    assert local["test_slow_gets_the_long_limit"] == ci["test_slow_gets_the_long_limit"] == "passed"
    assert code == 0 and code_ci == 1
    assert sum(v in ("failure", "error") for v in ci.values()) == 3
    # a hang (a 120 s sleep) fails at the 2 s limit, naming the test, instead of eating CI's time
    assert hang.returncode != 0
    assert "Timeout" in hang.stdout + hang.stderr and "test_hangs" in hang.stdout + hang.stderr


def test_the_readme_layout_lists_every_package() -> None:
    """A newcomer finds each package of src/siyu/ in the README's layout table (issue 18 §7)."""
    layout = (ROOT / "README.md").read_text(encoding="utf-8").split("## Layout", 1)[1]
    packages = sorted(p.name for p in (ROOT / "src" / "siyu").iterdir() if p.is_dir() and any(p.glob("*.py")))
    assert len(packages) > 20
    assert [p for p in packages if f"| `{p}/` |" not in layout] == []


def test_the_readme_tour_names_the_steps_in_the_order_they_run() -> None:
    from siyu.pipeline.steps import STEPS

    line = next(x for x in (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
                if x.startswith("siyu run ") and "→" in x)
    assert [w.strip() for w in line.split("#", 1)[1].split("→")] == [s.name for s in STEPS]
