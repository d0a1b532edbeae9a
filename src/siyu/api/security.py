"""Who is asking and may they: bearer tokens for programs, a session cookie plus CSRF header for browsers.

Every route declares its permission with `guarded(...)`; the permission is also written into the OpenAPI
operation (`x-siyu-permission`), which the authorization tests read, so a route without a rule fails them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

import sqlalchemy as sa
from fastapi import Depends, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from siyu.api.context import ServiceConfig
from siyu.auth.roles import User, may
from siyu.auth.secrets import digest
from siyu.auth.users import user_for_session, user_for_token
from siyu.persons.scope import Scope

SESSION_COOKIE = "siyu_session"
CSRF_HEADER = "X-CSRF-Token"
PUBLIC = "public"  # no login
SELF = "self"  # any logged-in user
_SAFE = {"GET", "HEAD", "OPTIONS"}
TOKEN_CACHE_SECONDS = 5.0


def config(request: Request) -> ServiceConfig:
    cfg: ServiceConfig = request.app.state.config
    return cfg


class TokenCache:
    """Recently seen tokens, so a burst of requests costs one store lookup; a revoked token stops working within
    TOKEN_CACHE_SECONDS. Keyed by the token's sha256, like the store."""

    def __init__(self) -> None:
        self._seen: dict[str, tuple[float, User]] = {}
        self._lock = threading.Lock()

    def cached(self, secret: str) -> User | None:
        """The token's user when it was looked up less than TOKEN_CACHE_SECONDS ago, else None (look it up)."""
        with self._lock:
            hit = self._seen.get(digest(secret))
        return hit[1] if hit and time.monotonic() - hit[0] < TOKEN_CACHE_SECONDS else None

    def user(self, store: sa.Engine, secret: str) -> User | None:
        if (hit := self.cached(secret)) is not None:
            return hit
        key, now = digest(secret), time.monotonic()
        user = user_for_token(store, secret)
        with self._lock:
            if len(self._seen) > 10_000:
                self._seen.clear()
            if user is not None:
                self._seen[key] = (now, user)
            else:
                self._seen.pop(key, None)
        return user


async def current_user(request: Request) -> User:
    """The caller. Runs on the event loop: a token seen in the last seconds is answered from memory, without the
    thread hop a sync dependency costs on every request; a store lookup goes to the thread pool."""
    cfg = config(request)
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        tokens: TokenCache = request.app.state.tokens
        secret = auth[7:].strip()
        user = tokens.cached(secret) or await run_in_threadpool(tokens.user, cfg.store, secret)
        if user is None:
            raise HTTPException(401, "invalid or revoked token", headers={"WWW-Authenticate": "Bearer"})
        return user
    sid = request.cookies.get(SESSION_COOKIE)
    if sid:
        found = await run_in_threadpool(user_for_session, cfg.store, sid)
        if found is None:
            raise HTTPException(401, "session expired; log in again")
        user, csrf = found
        if request.method not in _SAFE and request.headers.get(CSRF_HEADER) != csrf:
            raise HTTPException(403, f"missing or wrong {CSRF_HEADER} header")
        return user
    raise HTTPException(401, "not logged in: send Authorization: Bearer <token>",
                        headers={"WWW-Authenticate": "Bearer"})


def require(permission: str) -> Callable[[Request], Awaitable[User]]:
    async def dependency(request: Request) -> User:
        user = await current_user(request)
        if permission != SELF and not may(user, permission):
            raise HTTPException(403, f"role {user.role} may not {permission}")
        request.state.user = user
        return user

    return dependency


def guarded(permission: str) -> dict[str, Any]:
    """Route keyword arguments: the permission check and its mark in the OpenAPI operation."""
    extra = {"x-siyu-permission": permission}
    if permission == PUBLIC:
        return {"openapi_extra": extra}
    return {"dependencies": [Depends(require(permission))], "openapi_extra": extra}


def user_of(request: Request) -> User:
    user: User = request.state.user
    return user


def scope_of(user: User) -> Scope:
    return Scope(True, user.staff_id, user.store_id) if user.scoped else Scope()


def unmasking(request: Request, unmask: bool, reason: str | None) -> bool:
    """True when the caller asked to unmask and may; 403 without the permission, 422 without a reason."""
    if not unmask:
        return False
    user = user_of(request)
    if not may(user, "pii:unmask"):
        raise HTTPException(403, f"role {user.role} may not unmask personal data")
    if not (reason and reason.strip()):
        raise HTTPException(422, "unmasking needs a reason (it is written to the audit log)")
    return True
