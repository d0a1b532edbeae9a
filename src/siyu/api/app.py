"""The FastAPI application: routers, error handlers, the PII-free access log."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from fastapi import FastAPI

from siyu import __version__
from siyu.api import docs_page
from siyu.api.context import ServiceConfig, service_config
from siyu.api.errors import install_error_handlers
from siyu.api.logs import install_access_log
from siyu.api.routes import (
    analytics,
    audit,
    auth,
    guides,
    identity,
    imports,
    journeys,
    koc,
    loyalty,
    persons,
    runs,
    segments,
)
from siyu.api.security import PUBLIC, TokenCache, guarded
from siyu.web.pages import router as console

WAREHOUSE_ENV, CONFIG_ENV = "SIYU_SERVE_WAREHOUSE", "SIYU_SERVE_CONFIG"  # what each worker of `siyu serve` serves


def create_app(config: ServiceConfig) -> FastAPI:
    app = FastAPI(title="siyu", version=__version__, docs_url=None, redoc_url=None,  # ours: siyu.api.docs_page
                  description="siyu's HTTP API: persons, segments, tags, metrics, identity review, runs, imports, "
                              "the member ledger. "
                              "Authenticate with `Authorization: Bearer <token>` (`siyu token create NAME`).")
    app.state.config = config
    app.state.tokens = TokenCache()
    for module in (auth, persons, segments, analytics, identity, runs, imports, audit, loyalty, journeys, guides, koc):
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


def app_from_env() -> FastAPI:
    """The app of one worker of `siyu serve --workers N` (uvicorn starts each with this factory). The parent
    process migrated the store; everything shared between workers lives in it or in the warehouse."""
    from siyu.config.settings import load_settings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    config = os.environ.get(CONFIG_ENV)
    return create_app(service_config(Path(os.environ[WAREHOUSE_ENV]), load_settings(Path(config) if config else None),
                                     migrate=False))
