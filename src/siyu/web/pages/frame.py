"""Log in and out, the language switch, the landing page and the console's own script and stylesheet."""

from __future__ import annotations

from importlib.resources import files
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from siyu.api.security import SESSION_COOKIE, config
from siyu.auth.users import SESSION_LIFETIME, TooManyAttempts, close_session, login, open_session
from siyu.web.i18n import CATALOGS, LANG_COOKIE
from siyu.web.pages.serve import redirect
from siyu.web.render import BASE, LoginNeeded, page, viewer

router = APIRouter()
STATIC = {"console.css": "text/css; charset=utf-8", "console.js": "text/javascript; charset=utf-8"}


def _local(next_url: str | None) -> str:
    """Only a path inside the console: a login never sends the browser elsewhere."""
    if not next_url or urlsplit(next_url).netloc or not next_url.startswith(BASE) or next_url.startswith("//"):
        return BASE + "/"
    return next_url


@router.get("/static/{name}")
def static(name: str) -> Response:
    if name not in STATIC:
        return PlainTextResponse("not found", status_code=404)
    body = files("siyu.web").joinpath("static", name).read_bytes()
    return Response(body, media_type=STATIC[name], headers={"Cache-Control": "max-age=300"})


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> HTMLResponse:
    return page(request, "login.html", {"next": _local(next), "error": None})


@router.post("/login")
def log_in(request: Request, name: Annotated[str, Form(max_length=120)],
           password: Annotated[str, Form(max_length=1024)],
           next: Annotated[str | None, Form(max_length=500)] = None) -> Response:
    """The same login as POST /auth/login, for a plain form: the session cookie, then the page asked for."""
    store = config(request).store
    try:
        user = login(store, name, password)
    except TooManyAttempts:
        return page(request, "login.html", {"next": _local(next), "error": "login_locked"}, status=429)
    if user is None:
        return page(request, "login.html", {"next": _local(next), "error": "login_wrong"}, status=401)
    sid, _ = open_session(store, user)
    response = redirect(_local(next))
    response.set_cookie(SESSION_COOKIE, sid, httponly=True, samesite="strict", secure=request.url.scheme == "https",
                        max_age=int(SESSION_LIFETIME.total_seconds()))
    return response


@router.post("/logout")
def log_out(request: Request) -> Response:
    try:
        viewer(request)
    except LoginNeeded:
        return redirect(BASE + "/login")
    close_session(config(request).store, request.cookies[SESSION_COOKIE])
    response = redirect(BASE + "/login")
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/lang/{lang}")
def switch_language(lang: str, next: str | None = None) -> RedirectResponse:
    response = redirect(_local(next))
    if lang in CATALOGS:
        response.set_cookie(LANG_COOKIE, lang, samesite="lax", max_age=365 * 86400)
    return response
