"""`siyu identity show/explain/merge/split` against a real DuckDB warehouse."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from siyu.cli.main import app
from siyu.config import load_settings
from siyu.engine.duckdb_engine import DuckDBEngine
from siyu.identity import IdentitySettings, resolve
from siyu.identity.review import show_person
from siyu.identity.tables import identities_table
from siyu.pipeline.access import writing
from siyu.schema import migrate

ROWS: list[dict[str, object]] = [
    {"channel": "store", "channel_uid": "m1", "name": "王芳", "phone": "13800000001", "member_no": "M1"},
    {"channel": "miniprogram", "channel_uid": "o1", "name": "王芳", "phone": "13800000001", "unionid": "u1"},
    {"channel": "wecom", "channel_uid": "w1", "name": "芳芳", "unionid": "u1"},
    {"channel": "jd", "channel_uid": "j1", "name": "李雷", "phone": "13900000002"},
    {"channel": "store", "channel_uid": "m7", "name": "赵", "phone": "6543217"},  # a landline: 7 digits
]


@pytest.fixture
def warehouse(tmp_path: Path) -> str:
    path = tmp_path / "w.duckdb"
    engine = DuckDBEngine(path)
    migrate(engine)
    engine.write_arrow("identities", identities_table(ROWS), mode="replace")
    resolve(engine, IdentitySettings(probabilistic=False))
    engine.close()
    return str(path)


def run(*args: str) -> str:
    res = CliRunner(env={"COLUMNS": "200"}).invoke(app, list(args))
    assert res.exit_code == 0, res.output
    return " ".join(res.output.split())


def rerun(warehouse: str) -> None:
    """A writer through the front door: it holds the warehouse and publishes what readers (the CLI) see."""
    with writing(load_settings(None), Path(warehouse)) as engine:
        resolve(engine, IdentitySettings(probabilistic=False))


def test_show_lists_identities_masked(warehouse: str) -> None:
    out = run("identity", "show", "wecom:w1", "--warehouse", warehouse)
    assert "3 identities" in out and "13800000001" not in out
    engine = DuckDBEngine(warehouse, read_only=True)
    _, rows = show_person(engine, "wecom:w1")
    engine.close()
    assert {r["channel"] for r in rows} == {"store", "miniprogram", "wecom"}
    assert {r["phone"] for r in rows} == {"138****0001", None}
    assert {r["name"] for r in rows} == {"王*", "芳*"}


def test_show_masks_short_numbers_by_the_domain_rule(warehouse: str) -> None:
    """A 7-digit number must not show 7 of its 7 digits (siyu.domain.mask_phone: only the last 2)."""
    engine = DuckDBEngine(warehouse, read_only=True)
    _, rows = show_person(engine, "store:m7")
    _, clear = show_person(engine, "store:m7", unmask=True)
    engine.close()
    assert [r["phone"] for r in rows] == ["*****17"] and [r["name"] for r in rows] == ["*"]
    assert [r["phone"] for r in clear] == ["6543217"]


@pytest.mark.parametrize("ref", ["store:m1' OR '1'='1", "P1'; DROP TABLE person_map; --"])
def test_quotes_in_a_reference_are_a_name_not_sql(warehouse: str, ref: str) -> None:
    res = CliRunner().invoke(app, ["identity", "show", ref, "--warehouse", warehouse])
    assert res.exit_code == 2 and "no " in res.output and "Traceback" not in res.output
    engine = DuckDBEngine(warehouse, read_only=True)
    assert engine.scalar("SELECT count(*) FROM person_map") == len(ROWS)
    engine.close()


def test_explain_names_the_shared_keys(warehouse: str) -> None:
    out = run("identity", "explain", "store:m1", "wecom:w1", "--warehouse", warehouse)
    assert "the same person" in out
    out = run("identity", "explain", "store:m1", "miniprogram:o1", "--warehouse", warehouse)
    assert "phone" in out and "138****0001" in out
    out = run("identity", "explain", "store:m1", "jd:j1", "--warehouse", warehouse)
    assert "different persons" in out and "shared hard keys: none" in out


def test_merge_and_split_survive_reruns(warehouse: str) -> None:
    run("identity", "merge", "jd:j1", "store:m1", "--note", "confirmed by phone", "--warehouse", warehouse)
    run("identity", "split", "wecom:w1", "--warehouse", warehouse)
    for _ in range(2):
        rerun(warehouse)
        out = run("identity", "show", "store:m1", "--warehouse", warehouse)
        assert "jd" in out and "wecom" not in out
    out = run("identity", "explain", "jd:j1", "store:m1", "--warehouse", warehouse)
    assert "merge" in out and "confirmed by phone" in out


def test_unknown_identity_is_a_clear_error(warehouse: str) -> None:
    res = CliRunner().invoke(app, ["identity", "show", "tmall:nobody", "--warehouse", warehouse])
    assert res.exit_code == 2
    assert "no identity 'tmall:nobody'" in " ".join(res.output.split())


def test_a_misspelt_identity_setting_is_one_line_naming_the_nearest_key(warehouse: str, tmp_path: Path) -> None:
    """[identity] is read by the one validator every layer uses: a user's typo (exit 2, the file and the nearest
    key), not a bug's exit 3."""
    config = tmp_path / "siyu.toml"
    config.write_text("[identity]\nmatch_treshold = 0.8\n", encoding="utf-8")
    res = CliRunner(env={"COLUMNS": "200"}).invoke(
        app, ["identity", "explain", "store:m1", "jd:j1", "--warehouse", warehouse, "--config", str(config)])
    assert res.exit_code == 2, res.output
    assert f"{config}: identity.match_treshold: unknown key; did you mean 'match_threshold'?" in res.output
    assert "Traceback" not in res.output
