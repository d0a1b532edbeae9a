"""Every bad siyu.toml is refused as a whole, before anything runs, in one line naming the file, the key and the
nearest valid name; the CLI says so without a traceback (real `siyu` processes)."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from siyu.config import ConfigError, load_settings
from siyu.config.template import template_text
from siyu.engine.duckdb_engine import DuckDBEngine
from siyu.pipeline import run_pipeline
from siyu.schema import migrate


def siyu(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SIYU_WAREHOUSE"}
    env["COLUMNS"] = "200"
    return subprocess.run([sys.executable, "-m", "siyu", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)


BAD = [
    ('[brnad]\nname = "x"\n', "unknown table [brnad]; did you mean 'brand'?"),
    ('[engin]\nname = "duckdb"\n', "unknown table [engin]; did you mean 'engine'?"),
    ('warehose = "w.duckdb"\n', "unknown top-level key 'warehose'; did you mean 'warehouse'?"),
    ('[brand]\ntimezone = "Mars/Phobos"\n', "brand.timezone: unknown time zone 'Mars/Phobos'"),
    ('[brand]\ntimzone = "Asia/Shanghai"\n', "brand.timzone: unknown key; did you mean 'timezone'?"),
    ('[channels]\nenabled = ["tmall", "taobao"]\n', "unknown channel 'taobao'"),
    ('[channels]\npublic = ["tmal"]\n', "unknown channel 'tmal'; did you mean 'tmall'?"),
    ("[import]\nbatch_rows = 0\n", "import.batch_rows: Input should be greater than or equal to 1"),
    ("[import]\nbatch_rows = -5\n", "import.batch_rows: Input should be greater than or equal to 1"),
    ("[engine]\nthreads = 0\n", "engine.threads: Input should be greater than or equal to 1"),
]


@pytest.mark.parametrize(("text", "message"), BAD, ids=[b[1][:40] for b in BAD])
def test_a_bad_core_setting_is_refused_with_the_nearest_name(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "siyu.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as got:
        load_settings(path)
    assert str(got.value).startswith(f"{path}: ") and message in str(got.value)


LAYER_BAD = [
    ('[clv]\nmodle = "pnbd"\n', "clv.modle: unknown key; did you mean 'model'?"),
    ('[clv]\nhorizon_day = 90\n', "clv.horizon_day: unknown key; did you mean 'horizon_days'?"),
    ("[profile]\nactive_dayz = 30\n", "profile.active_dayz: unknown key; did you mean 'active_days'?"),
    ("[tags.rfm]\nmethd = 'fixed'\n", "tags.rfm.methd: unknown key; did you mean 'method'?"),
    ("[metrics.targets]\nchurm = 0.2\n", "metrics.targets.churm: unknown key; did you mean 'churn'?"),
    ('[metrics]\npublic = ["tmall", "jdd"]\n', "unknown channel 'jdd'; did you mean 'jd'?"),
    ("[identity]\nmatch_treshold = 0.9\n", "identity.match_treshold: unknown key; did you mean 'match_threshold'?"),
    ('[identity]\nnickname_channels = ["wecon"]\n', "unknown channel 'wecon'; did you mean 'wecom'?"),
]


@pytest.mark.parametrize(("text", "message"), LAYER_BAD, ids=[b[1][:40] for b in LAYER_BAD])
def test_a_bad_layer_setting_stops_the_run_before_any_step(tmp_path: Path, text: str, message: str) -> None:
    """The whole file is checked before the first step: nothing is rewritten, nothing is logged as run."""
    path = tmp_path / "siyu.toml"
    path.write_text(text, encoding="utf-8")
    settings = load_settings(path)  # the layers' tables are theirs: loading alone does not judge them
    engine = DuckDBEngine(tmp_path / "w.duckdb")
    try:
        migrate(engine)
        with pytest.raises(ConfigError) as got:
            run_pipeline(engine, settings)
        assert message in str(got.value) and str(path) in str(got.value)
        assert engine.row_count("run_log") == 0 and not engine.table_exists("orders")
    finally:
        engine.close()


def test_a_bad_tags_file_stops_the_run_before_any_step(tmp_path: Path) -> None:
    (tmp_path / "siyu.toml").write_text('[tags]\nrules_file = "my-tags.toml"\n', encoding="utf-8")
    (tmp_path / "my-tags.toml").write_text('[[tag]]\nname = "vip"\n', encoding="utf-8")
    engine = DuckDBEngine(tmp_path / "w.duckdb")
    try:
        migrate(engine)
        with pytest.raises(ConfigError, match=r"my-tags\.toml: \[\[tag\]\] #1 \(vip\): 'predicate' is missing"):
            run_pipeline(engine, load_settings(tmp_path / "siyu.toml"))
        assert engine.row_count("run_log") == 0
    finally:
        engine.close()


@pytest.mark.parametrize(("text", "message"), [
    ('[[tag]]\nname = "vip"\npredicat = "orders > 3"\n',
     r"\[\[tag\]\] #1: unknown key 'predicat'; did you mean 'predicate'\?"),
    ('[[tags]]\nname = "vip"\n', r"unknown table \[tags\]; did you mean 'tag'\? \(rules are \[\[tag\]\] tables\)"),
])
def test_a_misspelt_tags_key_names_the_nearest_valid_one(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "siyu.toml").write_text("", encoding="utf-8")
    (tmp_path / "tags.toml").write_text(text, encoding="utf-8")
    engine = DuckDBEngine(tmp_path / "w.duckdb")
    try:
        migrate(engine)
        with pytest.raises(ConfigError, match=r"tags\.toml: " + message):
            run_pipeline(engine, load_settings(tmp_path / "siyu.toml"))
        assert engine.row_count("run_log") == 0
    finally:
        engine.close()


def test_the_cli_prints_one_line_and_runs_no_step(tmp_path: Path) -> None:
    engine = DuckDBEngine(tmp_path / "w.duckdb")
    migrate(engine)
    engine.close()
    (tmp_path / "siyu.toml").write_text('warehouse = "w.duckdb"\n[clv]\nmodle = "pnbd"\n', encoding="utf-8")
    run = siyu("run", cwd=tmp_path)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "clv.modle: unknown key; did you mean 'model'?" in run.stderr and "normalise" not in run.stdout
    (tmp_path / "siyu.toml").write_text('warehouse = "w.duckdb"\n[brnad]\nname = "x"\n', encoding="utf-8")
    status = siyu("status", cwd=tmp_path)
    assert status.returncode == 2 and "did you mean 'brand'?" in status.stderr and "Traceback" not in status.stderr


@pytest.mark.parametrize("name", ['a"b', "back\\slash", "two\nlines", "织梦 '内衣' \"旗舰\" 🎀", "[brand]"])
def test_init_writes_a_readable_toml_for_any_brand_name(tmp_path: Path, name: str) -> None:
    made = siyu("init", "p", "--name", name, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    path = tmp_path / "p" / "siyu.toml"
    assert load_settings(path).brand.name == name
    assert tomllib.loads(path.read_text(encoding="utf-8"))["brand"]["name"] == name


def test_the_template_keeps_its_comments_with_a_name() -> None:
    text = template_text('a"b')
    assert 'name = "a\\"b"' in text and text.count("\n") == template_text().count("\n")
    assert "# Timestamps are stored as wall-clock time" in text
