"""Server logs without personal data: method, path (never the query string, which may hold a phone), status,
milliseconds and the user name. Uvicorn's own access log is off."""

from __future__ import annotations

import logging
import os
import time

import uvicorn
from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("siyu.api")


WORKER_HEADER = b"x-siyu-worker"  # the worker process that answered: which one to look at in the logs


class AccessLog:
    """Plain ASGI middleware (Starlette's BaseHTTPMiddleware costs a task per request)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.worker = str(os.getpid()).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()
        status = [500]

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                message["headers"] = [*message.get("headers", []), (WORKER_HEADER, self.worker)]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            state = scope.get("state") or {}
            user = getattr(state.get("user"), "name", "-")
            log.info("%s %s %s %.0fms %s", scope["method"], scope["path"], status[0],
                     (time.perf_counter() - t0) * 1000, user)


def install_access_log(app: FastAPI) -> None:
    app.add_middleware(AccessLog)


def run_server(app: FastAPI, host: str, port: int) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    uvicorn.run(app, host=host, port=port, access_log=False, log_level="info")


def run_workers(factory: str, host: str, port: int, workers: int) -> None:
    """`workers` processes on one socket, each building its app with `factory` (an import string)."""
    uvicorn.run(factory, factory=True, host=host, port=port, workers=workers, access_log=False, log_level="info")
