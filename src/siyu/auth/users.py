"""Users, their API tokens and their browser sessions on the operational store."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from siyu.auth.roles import User, check_role
from siyu.auth.secrets import digest, hash_password, new_secret, verify_password
from siyu.errors import UserError
from siyu.store.tables import login_failures, sessions, tokens, users

MAX_FAILURES = 5
FAILURE_WINDOW = dt.timedelta(minutes=15)
SESSION_LIFETIME = dt.timedelta(hours=12)


class TooManyAttempts(UserError):
    """Five failed logins for one name in 15 minutes: the name is locked until the window passes."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _user(row: sa.Row) -> User:
    return User(row.id, row.name, row.role, row.staff_id, row.store_id)


def add_user(store: sa.Engine, name: str, role: str, password: str | None = None,
             staff_id: str | None = None, store_id: str | None = None) -> User:
    check_role(role)
    if role == "guide" and not (staff_id or store_id):
        raise UserError("a guide needs --staff-id or --store-id: whose customers they may see")
    with store.begin() as con:
        if con.execute(sa.select(users.c.id).where(users.c.name == name)).first():
            raise UserError(f"user '{name}' exists already")
        con.execute(users.insert().values(
            name=name, role=role, password_hash=hash_password(password) if password else None,
            staff_id=staff_id, store_id=store_id, active=True, created_at=_now()))
    return get_user(store, name)


def get_user(store: sa.Engine, name: str) -> User:
    with store.connect() as con:
        row = con.execute(sa.select(users).where(users.c.name == name, users.c.active)).first()
    if row is None:
        raise UserError(f"no user '{name}'; add one with `siyu user add {name} --role …`")
    return _user(row)


def list_users(store: sa.Engine) -> list[dict[str, object]]:
    with store.connect() as con:
        rows = con.execute(sa.select(users.c.name, users.c.role, users.c.staff_id, users.c.store_id,
                                     users.c.active, users.c.created_at).order_by(users.c.name))
        return [dict(r._mapping) for r in rows]


def create_token(store: sa.Engine, name: str, label: str = "") -> str:
    """A new API token for the user; shown once, kept only as its sha256."""
    user = get_user(store, name)
    secret = "siyu_" + new_secret()
    with store.begin() as con:
        con.execute(tokens.insert().values(user_id=user.id, token_hash=digest(secret), label=label,
                                           created_at=_now()))
    return secret


def revoke_tokens(store: sa.Engine, name: str, label: str | None = None) -> int:
    """Revoke the user's live tokens (only those with `label` when given); returns how many."""
    user = get_user(store, name)
    cond = [tokens.c.user_id == user.id, tokens.c.revoked_at.is_(None)]
    if label is not None:
        cond.append(tokens.c.label == label)
    with store.begin() as con:
        return con.execute(tokens.update().where(*cond).values(revoked_at=_now())).rowcount


def user_for_token(store: sa.Engine, secret: str) -> User | None:
    q = (sa.select(users).join(tokens, tokens.c.user_id == users.c.id)
         .where(tokens.c.token_hash == digest(secret), tokens.c.revoked_at.is_(None), users.c.active))
    with store.connect() as con:
        row = con.execute(q).first()
    return _user(row) if row else None


def login(store: sa.Engine, name: str, password: str) -> User | None:
    """The user when the password is right; None when wrong; TooManyAttempts after 5 failures in 15 minutes."""
    since = _now() - FAILURE_WINDOW
    with store.begin() as con:
        failures = con.execute(sa.select(sa.func.count()).select_from(login_failures).where(
            login_failures.c.name == name, login_failures.c.at >= since)).scalar_one()
        if failures >= MAX_FAILURES:
            raise TooManyAttempts("too many failed logins; try again in 15 minutes")
        row = con.execute(sa.select(users).where(users.c.name == name, users.c.active)).first()
        if verify_password(row.password_hash if row else None, password) and row is not None:
            con.execute(login_failures.delete().where(login_failures.c.name == name))
            return _user(row)
        con.execute(login_failures.insert().values(name=name, at=_now()))
    return None


def open_session(store: sa.Engine, user: User) -> tuple[str, str]:
    """(session id for the cookie, CSRF token the browser must echo in X-CSRF-Token on writes)."""
    sid, csrf = new_secret(), new_secret()
    with store.begin() as con:
        con.execute(sessions.insert().values(user_id=user.id, session_hash=digest(sid), csrf_token=csrf,
                                             created_at=_now(), expires_at=_now() + SESSION_LIFETIME))
    return sid, csrf


def user_for_session(store: sa.Engine, sid: str) -> tuple[User, str] | None:
    """The session's user and CSRF token, None when unknown or expired."""
    q = (sa.select(users, sessions.c.csrf_token).join(sessions, sessions.c.user_id == users.c.id)
         .where(sessions.c.session_hash == digest(sid), sessions.c.expires_at > _now(), users.c.active))
    with store.connect() as con:
        row = con.execute(q).first()
    return (_user(row), row.csrf_token) if row else None


def close_session(store: sa.Engine, sid: str) -> None:
    with store.begin() as con:
        con.execute(sessions.delete().where(sessions.c.session_hash == digest(sid)))
