"""The journeys' tables in the operational store (SQLAlchemy Core, created by migration 0004; `due_on` by 0007).

- `journey_state`: one row per entry of a person into a journey (a birthday next year is a new entry); which
  arm (treatment or holdout), the next step, and the purchases within the uplift window after entry.
- `journey_task`: one row per action a step took, keyed so a rerun never creates a second; holdout persons get
  rows with status `holdout` (never shown to staff) so the funnel can count what would have been done.
- `journey_definition`: journeys defined through the API (TOML text), beside those of the file.
- `journey_optout`: the do-not-contact list.
- `journey_watermark`: the last day evaluated per journey (new events are those after it).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from siyu.loyalty.tables import NAMING

metadata = MetaData(naming_convention=NAMING)
TS = DateTime(timezone=True)

state = Table(
    "journey_state", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("journey", String(64), nullable=False),
    Column("person_id", String(64), nullable=False),
    Column("entry_key", String(64), nullable=False),  # which occurrence of the trigger
    Column("arm", String(10), nullable=False),  # treatment | holdout
    Column("entered_on", Date, nullable=False),
    Column("step", Integer, nullable=False),  # index of the next step to take
    Column("step_since", Date, nullable=False),  # when the previous step was taken: waits count from here
    Column("status", String(10), nullable=False),  # active | done | exited
    Column("due_on", Date),  # the first day the next step may be taken (active entries): only these are read
    Column("exit_reason", String(40)),
    Column("bought_on", Date),  # first purchase day after entry within the window
    Column("orders", Integer, nullable=False, default=0),  # purchase days after entry within the window
    Column("revenue_fen", BigInteger, nullable=False, default=0),  # net spend after entry within the window
    Column("updated_at", TS, nullable=False),
    UniqueConstraint("journey", "person_id", "entry_key", name="uq_journey_state_entry"),
)
Index("ix_journey_state_due", state.c.status, state.c.journey)
Index("ix_journey_state_person", state.c.person_id)
Index("ix_journey_state_due_on", state.c.status, state.c.due_on)

task = Table(
    "journey_task", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(200), nullable=False, unique=True),  # journey:person:entry:step
    Column("journey", String(64), nullable=False),
    Column("person_id", String(64), nullable=False),
    Column("entry_key", String(64), nullable=False),
    Column("step", String(64), nullable=False),
    Column("kind", String(10), nullable=False),  # task | invite | coupon
    Column("owner_staff_id", String(120)),
    Column("owner_store_id", String(120)),
    Column("title", String(200), nullable=False),
    Column("draft", Text, nullable=False),
    Column("coupon_id", Integer),
    Column("created_at", TS, nullable=False),
    Column("due_at", TS, nullable=False),
    Column("status", String(10), nullable=False),  # open | done | skipped | holdout | issued
    Column("reason", String(500)),
    Column("acted_at", TS),
    Column("acted_by", String(120)),
    Column("replied_at", TS),
    Column("bought_on", Date),
    Column("revenue_fen", BigInteger, nullable=False, default=0),
)
Index("ix_journey_task_person_created", task.c.person_id, task.c.created_at)
Index("ix_journey_task_owner", task.c.owner_staff_id, task.c.status)

definition = Table(
    "journey_definition", metadata,
    Column("name", String(64), primary_key=True),
    Column("toml", Text, nullable=False),
    Column("user_name", String(120), nullable=False),
    Column("updated_at", TS, nullable=False),
)

optout = Table(
    "journey_optout", metadata,
    Column("person_id", String(64), primary_key=True),
    Column("reason", String(500), nullable=False),
    Column("at", TS, nullable=False),
)

watermark = Table(
    "journey_watermark", metadata,
    Column("journey", String(64), primary_key=True),
    Column("evaluated_on", Date, nullable=False),
)
