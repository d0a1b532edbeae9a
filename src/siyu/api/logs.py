"""Server logs without personal data: method, path (never the query string, which may hold a phone), status,
milliseconds and the user name. Uvicorn's own access log is off."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

import uvicorn
from fastapi import FastAPI, Request, Response

log = logging.getLogger("siyu.api")


def install_access_log(app: FastAPI) -> None:
    @app.middleware("http")
    async def access(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        t0 = time.perf_counter()
        response = await call_next(request)
        user = getattr(getattr(request.state, "user", None), "name", "-")
        log.info("%s %s %s %.0fms %s", request.method, request.url.path, response.status_code,
                 (time.perf_counter() - t0) * 1000, user)
        return response


def run_server(app: FastAPI, host: str, port: int) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    uvicorn.run(app, host=host, port=port, access_log=False, log_level="info")
