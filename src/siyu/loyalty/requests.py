"""Idempotency keys of callers (the API's `Idempotency-Key`): a key is bound to the first request made under it.

The ledger already posts nothing twice under one key; this adds the other half of the contract: the same key
with a *different* request is refused instead of silently answering with the first request's result.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from siyu.errors import UserError
from siyu.loyalty.db import held_locks, lock_persons, now, person_accounts, within
from siyu.loyalty.tables import request


class KeyReused(UserError):
    """An idempotency key already used for a different request."""


def fingerprint(operation: str, subject: str, body: Mapping[str, object]) -> str:
    """A digest of what was asked: the operation, whom it is about and the body, keys sorted."""
    text = json.dumps([operation, subject, dict(body)], sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def claim(engine: Engine | Connection, key: str, digest: str, at: dt.datetime | None = None, *,
          lock: Sequence[str] = ()) -> bool:
    """Bind `key` to `digest`: True when the key is new, False when it was used before for the same request;
    KeyReused when it was used for another. In the caller's write transaction, else its own short one (taken the
    ledger's way, so on a busy SQLite it waits its turn like a posting does).

    `lock`: members whose accounts to lock right after the claim (`db.lock_persons`), on PostgreSQL in the
    claim's own statement: a request's claim and lock cost one round trip, not two."""
    at = at or now()
    with within(engine) as conn:
        if lock and conn.dialect.name == "postgresql":
            added = bool(conn.execute(_CLAIM_LOCK_PG, {"key": key, "fingerprint": digest, "at": at,
                                                       "accounts": person_accounts(conn, lock, at)}).scalar())
            held_locks(conn, lock)
        else:
            mod: Any = postgresql if conn.dialect.name == "postgresql" else sqlite
            added = conn.execute(mod.insert(request).values(key=key, fingerprint=digest, created_at=at)
                                 .on_conflict_do_nothing().returning(request.c.key)).first() is not None
            lock_persons(conn, lock, at)
        if added:  # bound to this request just now: no second round trip to read it back
            return True
        bound = conn.execute(select(request.c.fingerprint).where(request.c.key == key)).scalar_one()
    if bound != digest:
        raise KeyReused(f"Idempotency-Key {key!r} was already used for a different request")
    return added


# the claim, then the members' account rows locked in id order (the claim is an InitPlan of the locking scan, so it
# runs first, as it would as a statement of its own): one row per account, each saying whether the key was new
_CLAIM_LOCK_PG = text("""
    WITH claimed AS (
        INSERT INTO loyalty_request (key, fingerprint, created_at) VALUES (:key, :fingerprint, :at)
        ON CONFLICT DO NOTHING RETURNING key)
    SELECT (SELECT count(*) FROM claimed) AS new FROM loyalty_account
    WHERE id = ANY(CAST(:accounts AS integer[])) ORDER BY id FOR UPDATE""")
