"""The operational store and the auth layer on SQLite and PostgreSQL: migrations, users, tokens, sessions,
the login rate limit and the audit log."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from siyu.auth import audit
from siyu.auth.users import (
    TooManyAttempts,
    add_user,
    close_session,
    create_token,
    list_users,
    login,
    open_session,
    revoke_tokens,
    user_for_session,
    user_for_token,
)
from siyu.config.settings import ConfigError, load_settings
from siyu.errors import UserError
from siyu.store import open_store, store_url
from siyu.store.tables import tokens, users


def test_migrations_create_every_table_and_run_twice(store: sa.Engine) -> None:
    names = set(sa.inspect(store).get_table_names())
    assert {"users", "tokens", "sessions", "audit", "identity_decisions", "login_failures"} <= names
    open_store(str(store.url.render_as_string(hide_password=False)).replace("+psycopg", "")).dispose()  # no-op


def test_sqlite_store_is_in_wal_mode(tmp_path: Path) -> None:
    engine = open_store(f"sqlite:///{tmp_path / 's.sqlite'}")
    with engine.connect() as con:
        assert con.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_password_is_argon2_and_token_kept_only_as_hash(store: sa.Engine) -> None:
    add_user(store, "ana", "analyst", password="correct horse")
    secret = create_token(store, "ana", "laptop")
    with store.connect() as con:
        stored = con.execute(sa.select(users.c.password_hash)).scalar_one()
        hashes = con.execute(sa.select(tokens.c.token_hash)).scalars().all()
    assert stored.startswith("$argon2id$") and "correct horse" not in stored
    assert secret not in hashes and len(hashes[0]) == 64
    user = user_for_token(store, secret)
    assert user is not None and user.name == "ana" and user.role == "analyst"
    assert user_for_token(store, secret + "x") is None


def test_revoked_token_no_longer_lets_in(store: sa.Engine) -> None:
    add_user(store, "op", "operator")
    secret = create_token(store, "op")
    assert revoke_tokens(store, "op") == 1
    assert user_for_token(store, secret) is None


def test_unknown_role_and_duplicate_user_refused(store: sa.Engine) -> None:
    with pytest.raises(ValueError, match="unknown role 'admn'"):
        add_user(store, "x", "admn")
    add_user(store, "x", "admin")
    with pytest.raises(UserError, match="exists already"):
        add_user(store, "x", "admin")
    with pytest.raises(UserError, match="guide needs"):
        add_user(store, "g", "guide")
    assert [u["name"] for u in list_users(store)] == ["x"]


def test_login_locks_after_five_failures(store: sa.Engine) -> None:
    add_user(store, "ana", "analyst", password="pw-right")
    for _ in range(5):
        assert login(store, "ana", "wrong") is None
    with pytest.raises(TooManyAttempts):
        login(store, "ana", "pw-right")


def test_session_carries_csrf_and_ends_on_logout(store: sa.Engine) -> None:
    user = add_user(store, "ana", "analyst", password="pw")
    logged = login(store, "ana", "pw")
    assert logged == user
    sid, csrf = open_session(store, user)
    found = user_for_session(store, sid)
    assert found == (user, csrf)
    close_session(store, sid)
    assert user_for_session(store, sid) is None


def test_audit_rows_say_who_what_and_why(store: sa.Engine) -> None:
    user = add_user(store, "ana", "analyst")
    audit.record(store, user, "unmask", "P0000000002", "customer called back")
    rows = audit.entries(store)
    assert audit.count_entries(store) == 1 and audit.count_entries(store, action="export") == 0
    assert [(r["user_name"], r["action"], r["target"], r["reason"]) for r in rows] == [
        ("ana", "unmask", "P0000000002", "customer called back")]


def test_store_url_defaults_beside_the_warehouse_and_reads_siyu_toml(tmp_path: Path) -> None:
    assert store_url(load_settings(None), tmp_path / "w.duckdb") == f"sqlite:///{tmp_path / 'w.duckdb.store.sqlite'}"
    toml = tmp_path / "siyu.toml"
    toml.write_text('[store]\nurl = "postgresql://u:p@db/siyu"\n')
    assert store_url(load_settings(toml), tmp_path / "w.duckdb") == "postgresql://u:p@db/siyu"
    toml.write_text('[store]\nulr = "postgresql://u:p@db/siyu"\n')
    with pytest.raises(ConfigError, match=r"store\.ulr: unknown key; did you mean 'url'\?"):
        store_url(load_settings(toml), tmp_path / "w.duckdb")


def test_the_server_keeps_the_pool_siyu_toml_asks_for(tmp_path: Path) -> None:
    """`[store] pool_size` bounds each worker's connections (workers × 2 × pool_size against PostgreSQL's
    max_connections); a value that cannot work is refused naming the key."""
    from siyu.api.context import service_config

    toml = tmp_path / "siyu.toml"
    toml.write_text("[store]\npool_size = 3\n")
    cfg = service_config(tmp_path / "w.duckdb", load_settings(toml))
    try:
        assert cfg.store.pool.size() == 3  # type: ignore[attr-defined]
        assert cfg.store.pool._max_overflow == 3  # type: ignore[attr-defined]
    finally:
        cfg.store.dispose()
    toml.write_text("[store]\npool_size = 0\n")
    with pytest.raises(ConfigError, match=r"store\.pool_size"):
        service_config(tmp_path / "w.duckdb", load_settings(toml))
