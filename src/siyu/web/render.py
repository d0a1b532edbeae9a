"""Who is looking, in which language, and the page they get: the Jinja2 environment and the common frame."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from siyu.api.security import SESSION_COOKIE, config
from siyu.auth.roles import User, may
from siyu.auth.users import user_for_session
from siyu.engine import EngineError
from siyu.errors import SiyuError, WarehouseBusy
from siyu.web.i18n import language, translator

BASE = "/console"
#: the console's own script and stylesheet only; inline style attributes (the report's SVG uses them) allowed
CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
#: (path under BASE, catalog key, permission) in menu order
NAV = (("/", "nav_home", "metrics:read"), ("/diagnose", "nav_diagnose", "metrics:read"),
       ("/customers", "nav_customers", "persons:read"), ("/segments", "nav_segments", "segments:read"),
       ("/identity", "nav_identity", "identity:read"), ("/runs", "nav_runs", "runs:read"),
       ("/imports", "nav_imports", "imports:write"), ("/tasks", "nav_tasks", "tasks:read"),
       ("/journeys", "nav_journeys", "journeys:read"), ("/guides", "nav_guides", "guides:read"),
       ("/guides/me", "nav_my_guide", "guides:statement"), ("/koc", "nav_koc", "koc:read"))

ENV = Environment(loader=PackageLoader("siyu.web", "templates"), autoescape=select_autoescape(["html"]),
                  trim_blocks=True, lstrip_blocks=True)
T = TypeVar("T")


@dataclass
class Viewer:
    """The logged-in browser: the user, the session's CSRF token, the language."""

    user: User
    csrf: str
    lang: str
    t: Callable[..., str] = field(repr=False)

    def may(self, permission: str) -> bool:
        return may(self.user, permission)

    def nav(self) -> list[tuple[str, str]]:
        mine = f"/guides/{self.user.staff_id}"  # a guide's own dashboard; those without a staff id have none
        return [(BASE + (mine if path == "/guides/me" else path), self.t(key)) for path, key, perm in NAV
                if self.may(perm) and (path != "/guides/me" or self.user.staff_id)]


class LoginNeeded(Exception):
    """No (or an expired) session: the page answers with a redirect to the login form."""


def viewer(request: Request) -> Viewer:
    """The session's user, also set as request.state.user so the API's route functions can be called as they are."""
    sid = request.cookies.get(SESSION_COOKIE)
    found = user_for_session(config(request).store, sid) if sid else None
    if found is None:
        raise LoginNeeded()
    user, csrf = found
    request.state.user = user
    lang = language(request)
    return Viewer(user, csrf, lang, translator(lang))


def page(request: Request, name: str, values: dict[str, Any], who: Viewer | None = None,
         status: int = 200) -> HTMLResponse:
    lang = who.lang if who else language(request)
    html = ENV.get_template(name).render(
        viewer=who, t=who.t if who else translator(lang), lang=lang, base=BASE, path=request.url.path,
        current=str(request.url.path).removeprefix(BASE) or "/", **values)
    return HTMLResponse(html, status_code=status, headers={"Content-Security-Policy": CSP,
                                                           "Cache-Control": "no-store"})


class PageFailed(Exception):
    """A route function said no (404, 403, 422 …) or the warehouse could not answer: the page shows it."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


def attempt(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call an API route function; its refusals become a PageFailed with the same status and words."""
    try:
        return fn(*args, **kwargs)
    except HTTPException as exc:
        raise PageFailed(exc.status_code, str(exc.detail)) from None
    except WarehouseBusy as exc:
        raise PageFailed(503, str(exc).splitlines()[0]) from None
    except EngineError:
        raise PageFailed(503, "the warehouse could not answer; has `siyu run` finished once?") from None
    except SiyuError as exc:
        raise PageFailed(400, str(exc).splitlines()[0]) from None


def failed(request: Request, who: Viewer, exc: PageFailed) -> HTMLResponse:
    return page(request, "error.html", {"status": exc.status, "detail": exc.detail}, who, exc.status)


def to_login(request: Request) -> RedirectResponse:
    return RedirectResponse(f"{BASE}/login?next={request.url.path}", status_code=303)


def guard(who: Viewer, permission: str) -> None:
    if not who.may(permission):
        raise PageFailed(403, who.t("forbidden", role=who.user.role))
