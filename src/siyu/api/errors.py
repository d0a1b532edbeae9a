"""Errors as HTTP answers: a segment mistake is 422 with its position; user mistakes 400; never a traceback."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from siyu.auth.users import TooManyAttempts
from siyu.engine import EngineError
from siyu.errors import UserError, WarehouseBusy
from siyu.segment.errors import SegmentError


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SegmentError)
    async def segment_error(_: Request, exc: SegmentError) -> JSONResponse:
        hint = str(exc).splitlines()[-1] if str(exc).count("\n") >= 3 else ""
        return JSONResponse(status_code=422, content={
            "detail": exc.reason, "position": {"start": exc.start, "end": exc.end}, "hint": hint,
            "message": str(exc)})

    @app.exception_handler(TooManyAttempts)
    async def too_many(_: Request, exc: TooManyAttempts) -> JSONResponse:
        return JSONResponse(status_code=429, content={"detail": str(exc)}, headers={"Retry-After": "900"})

    @app.exception_handler(WarehouseBusy)
    async def busy(_: Request, exc: WarehouseBusy) -> JSONResponse:
        return JSONResponse(status_code=503, content={"detail": str(exc)}, headers={"Retry-After": "5"})

    @app.exception_handler(EngineError)
    async def engine_error(_: Request, exc: EngineError) -> JSONResponse:
        # the SQL an EngineError carries stays out of the answer (and of the logs: it may hold a phone)
        return JSONResponse(status_code=503, content={"detail": "the warehouse could not answer; has `siyu run` "
                                                                "finished once?"})

    @app.exception_handler(UserError)
    async def user_error(_: Request, exc: UserError) -> JSONResponse:
        # only what siyu wrote for a user is shown; a library's ValueError is a bug (500, no text), as in the CLI
        return JSONResponse(status_code=400, content={"detail": str(exc).splitlines()[0]})
