"""The do-not-contact list: persons who asked not to be contacted get no staff task in any journey from its next
evaluation on, and leave the journeys that exit on `opted_out` (every default one)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy import select

from siyu.errors import UserError
from siyu.journeys.tables import optout
from siyu.loyalty.db import insert_ignore


def opt_out(store: sa.Engine, person_id: str, reason: str, at: dt.datetime | None = None) -> bool:
    """Add a person to the list; False when they were already on it."""
    if not reason.strip():
        raise UserError("an opt-out needs a reason")
    with store.begin() as conn:
        before = conn.execute(select(optout.c.person_id).where(optout.c.person_id == person_id)).first()
        insert_ignore(conn, optout, [{"person_id": person_id, "reason": reason, "at": at or dt.datetime.now(dt.UTC)}])
    return before is None
