"""Idempotency keys of callers (the API's `Idempotency-Key`): a key is bound to the first request made under it.

The ledger already posts nothing twice under one key; this adds the other half of the contract: the same key
with a *different* request is refused instead of silently answering with the first request's result.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from siyu.errors import UserError
from siyu.loyalty.db import now, within
from siyu.loyalty.tables import request


class KeyReused(UserError):
    """An idempotency key already used for a different request."""


def fingerprint(operation: str, subject: str, body: Mapping[str, object]) -> str:
    """A digest of what was asked: the operation, whom it is about and the body, keys sorted."""
    text = json.dumps([operation, subject, dict(body)], sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def claim(engine: Engine | Connection, key: str, digest: str, at: dt.datetime | None = None) -> bool:
    """Bind `key` to `digest`: True when the key is new, False when it was used before for the same request;
    KeyReused when it was used for another. Its own short write transaction (taken the ledger's way, so on a busy
    SQLite it waits its turn like a posting does), committed before the posting is tried."""
    with within(engine) as conn:
        mod: Any = postgresql if conn.dialect.name == "postgresql" else sqlite
        added = conn.execute(mod.insert(request).values(key=key, fingerprint=digest, created_at=at or now())
                             .on_conflict_do_nothing().returning(request.c.key)).first() is not None
        if added:  # bound to this request just now: no second round trip to read it back
            return True
        bound = conn.execute(select(request.c.fingerprint).where(request.c.key == key)).scalar_one()
    if bound != digest:
        raise KeyReused(f"Idempotency-Key {key!r} was already used for a different request")
    return added
