"""The audit log, for auditors and admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from siyu.api.pages import Limit, Offset, Page
from siyu.api.security import config, guarded
from siyu.auth import audit

router = APIRouter(tags=["audit"])


@router.get("/audit", response_model=Page, **guarded("audit:read"))
def audit_log(request: Request, action: Annotated[str | None, Query(max_length=60)] = None,
              user: Annotated[str | None, Query(max_length=120)] = None,
              limit: Limit = 100, offset: Offset = 0) -> Page:
    """Who did what, when and why: every unmask, export, download, decision, run and upload."""
    store = config(request).store
    items = audit.entries(store, limit, offset, action, user)
    return Page(items=items, total=audit.count_entries(store, action, user), limit=limit, offset=offset)
