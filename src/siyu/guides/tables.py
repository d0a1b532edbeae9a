"""The guides' operational tables: handovers and the customers each one moved. Nothing is updated or deleted, so
who owned a customer when stays answerable (as WeCom's succession keeps the old friendship on record)."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, ForeignKey, Integer, MetaData, String, Table, Text
from sqlalchemy.engine import Connection, Engine

from siyu.loyalty.tables import NAMING

metadata = MetaData(naming_convention=NAMING)

handover = Table(
    "guide_handover", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("from_staff_id", String(120), nullable=False, index=True),
    Column("to_staff_id", String(120), nullable=False),
    Column("store_id", String(120)),
    Column("customers", Integer, nullable=False),
    Column("user_name", String(120), nullable=False),
    Column("reason", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)

transfer = Table(
    "guide_transfer", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("handover_id", Integer, ForeignKey("guide_handover.id"), nullable=False, index=True),
    Column("person_id", String(255), nullable=False, index=True),
    Column("from_staff_id", String(120), nullable=False),
    Column("to_staff_id", String(120), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)


def create_all(bind: Engine | Connection) -> None:
    metadata.create_all(bind)
