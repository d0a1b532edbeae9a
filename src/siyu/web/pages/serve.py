"""How every console page is answered: log in first, check the permission, show a refusal as a page."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from siyu.web.render import LoginNeeded, PageFailed, Viewer, failed, guard, to_login, viewer


def serve(request: Request, permission: str | None, body: Callable[[Viewer], Response]) -> Response:
    """The page `body` draws for the logged-in viewer; the login form when there is no session. `permission`
    None: the body decides."""
    try:
        who = viewer(request)
    except LoginNeeded:
        return to_login(request)
    try:
        if permission:
            guard(who, permission)
        return body(who)
    except PageFailed as exc:
        return failed(request, who, exc)


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)

