"""The KOC roster: each person's current state, every change with who and why, and group assignments."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text
from sqlalchemy.engine import Connection, Engine

from siyu.loyalty.tables import NAMING

metadata = MetaData(naming_convention=NAMING)

member = Table(
    "koc_member", metadata,
    Column("person_id", String(255), primary_key=True),
    Column("state", String(20), nullable=False, index=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

history = Table(
    "koc_history", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("person_id", String(255), nullable=False, index=True),
    Column("from_state", String(20)),
    Column("to_state", String(20), nullable=False),
    Column("user_name", String(120), nullable=False),
    Column("reason", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)

assignment = Table(
    "koc_group", metadata,
    Column("group_id", String(255), primary_key=True),
    Column("person_id", String(255), nullable=False, index=True),
    Column("user_name", String(120), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)


def create_all(bind: Engine | Connection) -> None:
    metadata.create_all(bind)
