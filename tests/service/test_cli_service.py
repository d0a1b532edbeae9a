"""`siyu user` and `siyu token`: users and tokens from the command line, mistakes as one line."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from typer.testing import CliRunner

from siyu.auth.users import user_for_token
from siyu.cli.main import app
from siyu.store import open_store

runner = CliRunner()


def test_user_add_token_create_and_revoke(tmp_path: Path) -> None:
    wh = str(tmp_path / "w.duckdb")
    r = runner.invoke(app, ["user", "add", "lin", "--role", "analyst", "--warehouse", wh])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["token", "create", "lin", "--label", "laptop", "--warehouse", wh])
    assert r.exit_code == 0
    token = r.stdout.strip().splitlines()[-1]
    store = open_store(f"sqlite:///{tmp_path / 'w.duckdb.store.sqlite'}")
    user = user_for_token(store, token)
    assert user is not None and user.role == "analyst"
    assert "lin" in runner.invoke(app, ["user", "list", "--warehouse", wh]).stdout
    assert runner.invoke(app, ["token", "revoke", "lin", "--warehouse", wh]).exit_code == 0
    assert user_for_token(store, token) is None
    with store.connect() as con:
        assert token not in str(con.execute(sa.text("SELECT token_hash FROM tokens")).all())


def test_mistakes_are_one_line_and_exit_2(tmp_path: Path) -> None:
    wh = str(tmp_path / "w.duckdb")
    r = runner.invoke(app, ["user", "add", "lin", "--role", "admn", "--warehouse", wh])
    assert r.exit_code == 2 and "unknown role 'admn'" in r.output and "Traceback" not in r.output
    r = runner.invoke(app, ["token", "create", "nobody", "--warehouse", wh])
    assert r.exit_code == 2 and "no user 'nobody'" in r.output
    r = runner.invoke(app, ["serve", "--warehouse", str(tmp_path / "missing.duckdb")])
    assert r.exit_code == 2 and "no warehouse" in r.output
