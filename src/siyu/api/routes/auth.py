"""Log in (browser session + CSRF token), log out, and who am I."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, Field

from siyu.api.security import CSRF_HEADER, PUBLIC, SESSION_COOKIE, config, guarded, user_of
from siyu.auth.roles import ROLES
from siyu.auth.users import SESSION_LIFETIME, close_session, login, open_session

router = APIRouter(tags=["auth"])


class Login(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    password: str = Field(min_length=1, max_length=1024)


@router.post("/auth/login", **guarded(PUBLIC))
def log_in(body: Login, request: Request, response: Response) -> dict[str, str]:
    """Start a browser session: sets an HttpOnly cookie; send the returned csrf_token as X-CSRF-Token on writes.
    Five failures for one name in 15 minutes → 429."""
    cfg = config(request)
    user = login(cfg.store, body.name, body.password)
    if user is None:
        raise HTTPException(401, "wrong name or password")
    sid, csrf = open_session(cfg.store, user)
    response.set_cookie(SESSION_COOKIE, sid, httponly=True, samesite="strict", secure=request.url.scheme == "https",
                        max_age=int(SESSION_LIFETIME.total_seconds()))
    return {"name": user.name, "role": user.role, "csrf_token": csrf, "csrf_header": CSRF_HEADER}


@router.post("/auth/logout", **guarded("self"))
def log_out(request: Request, response: Response) -> dict[str, str]:
    sid = request.cookies.get(SESSION_COOKIE)
    if sid:
        close_session(config(request).store, sid)
    response.delete_cookie(SESSION_COOKIE)
    return {"status": "logged out"}


@router.get("/auth/me", **guarded("self"))
def me(request: Request) -> dict[str, object]:
    """The caller's name, role and permissions."""
    user = user_of(request)
    return {"name": user.name, "role": user.role, "staff_id": user.staff_id, "store_id": user.store_id,
            "permissions": sorted(ROLES[user.role])}
