"""Reader commands as users meet them, with real processes on a real demo warehouse: `siyu segment count`
answers without loading pyarrow or typer's parser (issue 18 §7), and a warehouse the user may only read (file
mode 444 in a folder they cannot write, run without root's permission override) is read by every reader
command, from its published snapshot or in place, and left byte for byte as it was."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from siyu.cli.quick import count_arguments

pytestmark = pytest.mark.slow

EXPRESSION = "orders >= 2 and not has_tag('sleeping')"


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SIYU_WAREHOUSE", "SIYU_DEBUG")}
    env.update(COLUMNS="200", PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    return env


def siyu(*args: str, cwd: Path, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*prefix, sys.executable, "-m", "siyu", *args], cwd=cwd, env=_env(),
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo brand, imported, run and published once."""
    folder = tmp_path_factory.mktemp("demo")
    made = siyu("demo", "--persons", "1500", "--out", str(folder / "w.duckdb"), cwd=folder)
    assert made.returncode == 0, made.stderr
    return folder / "w.duckdb"


def _direct_count(path: Path) -> int:
    """The answer worked out by hand in DuckDB, not through the segment language."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        rows = con.execute("SELECT count(*) FROM person_profile AS p WHERE orders >= 2 AND NOT EXISTS "
                           "(SELECT 1 FROM person_tag AS t WHERE t.person_id = p.person_id AND t.tag = 'sleeping')"
                           ).fetchall()
        return int(rows[0][0])
    finally:
        con.close()


# --- segment count without pyarrow -------------------------------------------------------------------------


def test_segment_count_answers_without_loading_pyarrow_typer_or_rich(demo: Path) -> None:
    probe = ("import sys; from siyu.cli.entry import main\n"
             "try:\n    main(sys.argv[1:])\nexcept SystemExit as exc:\n    print('EXIT', exc.code)\n"
             "heavy = [m for m in ('pyarrow', 'numpy', 'typer', 'rich', 'splink') if m in sys.modules]\n"
             "print('HEAVY', heavy)")
    out = subprocess.run([sys.executable, "-c", probe, "segment", "count", EXPRESSION, "-w", str(demo)],
                         cwd=demo.parent, env=_env(), capture_output=True, text=True, timeout=120)
    lines = out.stdout.splitlines()
    assert lines[-2:] == ["EXIT 0", "HEAVY []"], out.stdout + out.stderr
    expected = _direct_count(demo.with_name("w.published.duckdb"))
    assert expected > 0 and lines[0] == f"{expected:,}"


def test_segment_count_mistakes_are_one_line_and_help_is_typers(demo: Path) -> None:
    wrong = siyu("segment", "count", "ordrs >= 2", "-w", str(demo), cwd=demo.parent)
    assert wrong.returncode == 2 and "Traceback" not in wrong.stderr
    errors = [x for x in wrong.stderr.splitlines() if x.startswith("error:")]
    assert errors == ["error: unknown column 'ordrs'"]
    missing = siyu("segment", "count", EXPRESSION, "-w", str(demo.with_name("nowhere.duckdb")), cwd=demo.parent)
    assert missing.returncode == 2 and "no warehouse at" in missing.stderr
    usage = siyu("segment", "count", "--help", cwd=demo.parent)
    assert usage.returncode == 0 and "--warehouse" in usage.stdout
    extra = siyu("segment", "count", "orders > 1", "orders > 2", "-w", str(demo), cwd=demo.parent)
    assert extra.returncode == 2 and "unexpected extra argument" in extra.stderr


@pytest.mark.parametrize(("args", "read"), [
    (["x > 1", "-w", "a.duckdb"], {"expression": "x > 1", "warehouse": "a.duckdb"}),
    (["--warehouse=a.duckdb", "-c", "s.toml", "--engine", "spark", "x"],
     {"warehouse": "a.duckdb", "config": "s.toml", "engine": "spark", "expression": "x"}),
    (["--", "-x > 1"], {"expression": "-x > 1"}),
    (["--help"], None), (["x", "y"], None), (["-w", "a.duckdb"], None), (["x", "-w"], None),
    (["-wa.duckdb", "x"], None), (["x", "--unmask"], None), (["-w", "a", "-w", "b", "x"], None),
])
def test_the_quick_reading_of_count_leaves_everything_unusual_to_typer(
    args: list[str], read: dict[str, str] | None
) -> None:
    assert count_arguments(args) == read


# --- a warehouse the user may only read --------------------------------------------------------------------


def _unprivileged() -> tuple[str, ...]:
    """A way to run siyu where the file's permission bits hold: as a user other than root when the interpreter
    can be reached by one (runuser -u nobody), else as root without the capabilities that override them."""
    if os.geteuid() != 0:
        return ()
    if shutil.which("runuser"):
        probe = subprocess.run(["runuser", "-u", "nobody", "--", sys.executable, "-c", "import siyu"],
                               env=_env(), capture_output=True, timeout=60)
        if probe.returncode == 0:
            return ("runuser", "-u", "nobody", "--")
    if shutil.which("setpriv"):
        return ("setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner", "--")
    pytest.skip("running as root and neither runuser (with an interpreter nobody can run) nor setpriv is here: "
                "root ignores a file's mode, so a read-only warehouse cannot be made")


@pytest.fixture
def read_only_folder() -> Iterator[Path]:
    """A folder others may enter and read but not write (in /tmp so that `nobody` can reach it)."""
    folder = Path(tempfile.mkdtemp(prefix="siyu-ro-"))
    try:
        yield folder
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder)


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


READERS = [("status",), ("segment", "count", EXPRESSION), ("segment", "list"), ("tags", "list"), ("metrics",)]


@pytest.mark.parametrize("published", [True, False], ids=["published-snapshot", "never-published"])
def test_a_read_only_warehouse_is_read_by_every_reader_and_left_unchanged(
    demo: Path, read_only_folder: Path, published: bool
) -> None:
    prefix = _unprivileged()
    shutil.copy(demo, read_only_folder / "w.duckdb")
    if published:
        shutil.copy(demo.with_name("w.published.duckdb"), read_only_folder / "w.published.duckdb")
    for p in read_only_folder.iterdir():
        p.chmod(0o444)
    read_only_folder.chmod(0o555)
    before = _digests(read_only_folder)
    # the test can fail: this user really cannot write here
    refused = subprocess.run([*prefix, sys.executable, "-c", f"open({str(read_only_folder / 'w.duckdb')!r}, 'ab')"],
                             env=_env(), capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0 and "Permission denied" in refused.stderr
    answers = {}
    for args in READERS:
        out = siyu(*args, "-w", str(read_only_folder / "w.duckdb"), cwd=read_only_folder, prefix=prefix)
        assert out.returncode == 0 and "error" not in out.stderr, (args, out.stderr[-600:])
        answers[args[0:2]] = out.stdout
    assert answers[("segment", "count")].strip() == f"{_direct_count(demo.with_name('w.published.duckdb')):,}"
    assert "person_profile" in answers[("status",)]
    writer = siyu("run", "-w", str(read_only_folder / "w.duckdb"), cwd=read_only_folder, prefix=prefix)
    assert writer.returncode == 2 and "Traceback" not in writer.stderr
    assert [x for x in writer.stderr.splitlines() if x.startswith("error:")] == [
        f"error: Permission denied: {read_only_folder / 'w.duckdb.lock'}"]
    assert _digests(read_only_folder) == before
    assert stat.S_IMODE(read_only_folder.stat().st_mode) == 0o555
