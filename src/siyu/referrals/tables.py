"""Referral invitations: inviters' codes, and one row per invitee (an invitee has one inviter, first link wins)."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, MetaData, String, Table, Text
from sqlalchemy.engine import Connection, Engine

from siyu.loyalty.tables import NAMING

metadata = MetaData(naming_convention=NAMING)

code = Table(
    "referral_code", metadata,
    Column("code", String(64), primary_key=True),
    Column("person_id", String(255), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# linked: waiting for a first order; cleared: released by a reviewer after a hold; rewarded; held: a suspicious
# pattern awaits review; over_limit: the inviter had used up their rewards; rejected: no reward will follow
STATUSES = ("linked", "cleared", "rewarded", "held", "over_limit", "rejected")

invite = Table(
    "referral", metadata,
    Column("invitee_id", String(255), primary_key=True),
    Column("inviter_id", String(255), nullable=False, index=True),
    Column("code", String(64), nullable=False),
    Column("linked_at", DateTime(timezone=True), nullable=False),
    Column("status", String(20), nullable=False, index=True),
    Column("order_ref", String(255)),  # channel:order_id of the first order that earned the reward
    Column("reward_key", String(200)),  # the ledger's idempotency key of the reward
    Column("note", Text, nullable=False, default=""),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


def create_all(bind: Engine | Connection) -> None:
    metadata.create_all(bind)
