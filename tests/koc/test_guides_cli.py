"""`siyu guides`, `siyu koc` and `siyu referrals` as a user runs them: answers on the hand-built brand, one-line
errors with exit 2 and no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from siyu.engine.duckdb_engine import DuckDBEngine
from siyu.schema import migrate

from .brand import build


def siyu(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SIYU_WAREHOUSE"} | {"COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "siyu", *args, "--warehouse", "w.duckdb"], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_statement_handover_and_koc_state(tmp_path: Path) -> None:
    eng = DuckDBEngine(str(tmp_path / "w.duckdb"))
    migrate(eng)
    build(eng)
    eng.close()
    st = siyu("guides", "statement", "G1", "--month", "2026-03", cwd=tmp_path)
    assert st.returncode == 0, st.stderr
    assert "earned 13.00, clawed back -8.00, total 5.00" in st.stdout
    bad = siyu("guides", "statement", "G1", "--month", "2026-3", cwd=tmp_path)
    assert bad.returncode == 2 and "month must be YYYY-MM" in bad.stderr and "Traceback" not in bad.stderr
    moved = siyu("guides", "handover", "G1", "G2", "--reason", "left", cwd=tmp_path)
    assert moved.returncode == 0 and "G1's customers now belong to G2" in moved.stdout
    assert siyu("koc", "state", "P1", "candidate", "--reason", "rule", cwd=tmp_path).returncode == 0
    skip = siyu("koc", "state", "P1", "active", "--reason", "no quiz", cwd=tmp_path)
    assert skip.returncode == 2 and "can become approved, retired" in skip.stderr and "Traceback" not in skip.stderr


def test_koc_groups_suggested_taken_and_evaluated(tmp_path: Path) -> None:
    from .koc_brand import build as build_koc

    eng = DuckDBEngine(str(tmp_path / "w.duckdb"))
    migrate(eng)
    build_koc(eng)
    eng.close()
    (tmp_path / "siyu.toml").write_text('[koc]\npremium_group_types = ["福利群"]\nnormal_groups_max = 3\n',
                                        encoding="utf-8")
    for person in ("K1", "K5"):
        for state in ("candidate", "approved", "active"):
            assert siyu("koc", "state", person, state, "--reason", "test", cwd=tmp_path).returncode == 0
    shown = siyu("koc", "groups", "--as-of", "2026-03-31", "--take", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    rows = [ln.split("│")[1:4] for ln in shown.stdout.splitlines() if ln.count("│") >= 5]
    assert [[c.strip() for c in r] for r in rows] == [["GA", "K1", "yes"], ["GN1", "K5", ""], ["GN2", "K5", ""],
                                                      ["GN3", "K5", ""]]
    full = siyu("koc", "assign", "GN4", "K5", cwd=tmp_path)
    assert full.returncode == 2 and "at most 3" in full.stderr and "Traceback" not in full.stderr
    ranked = siyu("koc", "evaluate", "--month", "2026-03", cwd=tmp_path)
    assert ranked.returncode == 0, ranked.stderr
    firsts = [ln.split("│")[1:3] for ln in ranked.stdout.splitlines() if ln.count("│") >= 8]
    assert [[c.strip() for c in r] for r in firsts] == [["1", "K5"], ["2", "K1"]]
    year = siyu("koc", "top", "--year", "2026", "--n", "1", cwd=tmp_path)
    assert year.returncode == 0, year.stderr
    assert [ln.split("│")[2].strip() for ln in year.stdout.splitlines() if ln.count("│") >= 8] == ["K5"]
