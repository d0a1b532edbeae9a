"""The FastAPI application: routers, error handlers, the PII-free access log."""

from __future__ import annotations

from fastapi import FastAPI

from siyu import __version__
from siyu.api import docs_page
from siyu.api.context import ServiceConfig
from siyu.api.errors import install_error_handlers
from siyu.api.logs import install_access_log
from siyu.api.routes import analytics, audit, auth, identity, imports, loyalty, persons, runs, segments
from siyu.api.security import PUBLIC, TokenCache, guarded
from siyu.web.pages import router as console


def create_app(config: ServiceConfig) -> FastAPI:
    app = FastAPI(title="siyu", version=__version__, docs_url=None, redoc_url=None,  # ours: siyu.api.docs_page
                  description="siyu's HTTP API: persons, segments, tags, metrics, identity review, runs, imports, "
                              "the member ledger. "
                              "Authenticate with `Authorization: Bearer <token>` (`siyu token create NAME`).")
    app.state.config = config
    app.state.tokens = TokenCache()
    for module in (auth, persons, segments, analytics, identity, runs, imports, audit, loyalty):
        app.include_router(module.router)
    app.include_router(docs_page.router)
    app.include_router(console)

    @app.get("/health", tags=["service"], **guarded(PUBLIC))
    def health() -> dict[str, str]:
        """Liveness, with no data."""
        return {"status": "ok"}

    install_error_handlers(app)
    install_access_log(app)
    return app
