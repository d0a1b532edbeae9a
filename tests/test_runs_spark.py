"""`siyu demo --engine spark` as a pipx install runs it: the venv's python called by path, nothing activated, no
PYSPARK_PYTHON; Spark's Python workers must still find siyu, and the lake lands beside --out."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import siyu

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def test_the_spark_demo_runs_from_an_unactivated_venv_and_keeps_its_lake_beside_out(tmp_path: Path) -> None:
    here, out = tmp_path / "here", tmp_path / "out"
    here.mkdir()
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYSPARK_PYTHON", "PYSPARK_DRIVER_PYTHON", "VIRTUAL_ENV", "SIYU_WAREHOUSE")}
    java = shutil.which("java")
    assert java, "the Spark tests need Java 17 on PATH"
    # no venv on PATH (only Java's folder and the system's): `python3` there is not the interpreter siyu runs in
    env["PATH"] = os.pathsep.join([str(Path(java).parent), "/usr/bin", "/bin"])
    assert Path(sys.executable).parent != Path(java).parent
    # this checkout's siyu (a worktree in dev), and nothing else: the venv's site-packages must come from the
    # interpreter itself, or a wrong `python3` in the workers would find them through PYTHONPATH
    env["PYTHONPATH"] = str(Path(siyu.__file__).resolve().parents[1])
    done = subprocess.run(
        [sys.executable, "-m", "siyu", "demo", "--engine", "spark", "--persons", "1500",
         "--out", str(out / "d.duckdb")],
        cwd=here, env=env, capture_output=True, text=True, timeout=1200,
    )
    assert done.returncode in (0, 1), done.stderr[-3000:]
    assert "No module named" not in done.stderr and "Traceback" not in done.stderr
    assert (out / "d-lake" / "orders").is_dir() and (out / "d-lake" / "clv_score").is_dir()
    assert not (here / "lake").exists()
    assert (out / "d-lake.published" / "person_profile").is_dir()  # readers' snapshot, hard links
