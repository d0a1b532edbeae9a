"""The member ledger's tables (SQLAlchemy Core), on a MetaData of their own so the operational store can create
them beside its own tables (and later by its Alembic migration) while tests build them alone.

The ledger is double-entry and append-only: a **posting** is one business event with a unique idempotency key;
its **entries** move integer amounts (points, or money in fen) between accounts and always sum to zero, the
counterpart being a system account (points issued, redeemed, expired; stored value cash, bonus, spent). Nothing
in `loyalty_posting` or `loyalty_entry` is ever updated or deleted: a correction is a new posting.

`loyalty_order` is a projection kept in the same transaction as the postings it explains (which person, rate and
amount each order was last posted at) so a sync reads one row per order instead of summing its history.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Connection, Engine

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

PERSON_KINDS = ("points_pending", "points", "sv_principal", "sv_gift")
SYSTEM_KINDS = ("points_issued", "points_redeemed", "points_expired", "sv_cash", "sv_bonus", "sv_spent")
POSTING_TYPES = (
    "earn_pending",  # an order's points while its return window is open
    "release",  # pending → available when the window closes
    "earn_available",  # a later increase of an already released order
    "reverse",  # a refund or decrease takes points back (pending or available)
    "redeem",  # a member spends points
    "expire",  # a lot's remainder at its expiry date
    "transfer_merge",  # OneID merge: everything moves to the survivor
    "transfer_split",  # OneID split or reassignment: an order's points follow its new owner
    "manual_adjust",  # an operator's correction, reason required
    "topup",  # stored value bought (principal) with its bonus (gift)
    "spend",  # stored value used on an order
    "refund",  # unused principal paid back (and the gift that came with it forfeited)
)
PERSON, SYSTEM = "person", "system"

metadata = MetaData(naming_convention=NAMING)

account = Table(
    "loyalty_account", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("owner_type", String(8), nullable=False),  # person | system
    Column("owner", String(64), nullable=False),  # person_id, or the system account's name
    Column("kind", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("owner_type", "owner", "kind", name="uq_loyalty_account_owner_kind"),
    CheckConstraint("owner_type IN ('person', 'system')", name="owner_type"),
)

lot = Table(
    "loyalty_lot", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(200), nullable=False, unique=True),  # what created it: an order, or a manual posting
    Column("origin", String(8), nullable=False),  # order | manual
    Column("channel", String(32)),
    Column("order_id", String(128)),
    Column("expires_on", Date),  # NULL: never expires
    Column("created_at", DateTime(timezone=True), nullable=False),
    # an expiry run found nothing left on it past its last day; a later credit of its points opens it again
    # (siyu.loyalty.lots.reopen), so expiry reads only the lots that may still hold points
    Column("settled", Boolean, nullable=False, server_default=false()),
    CheckConstraint("origin IN ('order', 'manual')", name="origin"),
)

posting = Table(
    "loyalty_posting", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(200), nullable=False, unique=True),  # the idempotency key
    Column("type", String(16), nullable=False),
    Column("person_id", String(64)),  # the member it is about (the survivor for a merge)
    Column("reason", String(500)),  # required for manual_adjust
    Column("channel", String(32)),
    Column("order_id", String(128)),
    Column("order_version", BigInteger),
    Column("posted_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("type <> 'manual_adjust' OR (reason IS NOT NULL AND reason <> '')", name="manual_reason"),
)

entry = Table(
    "loyalty_entry", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("posting_id", Integer, nullable=False),  # loyalty_posting.id (no foreign keys here: migration 0010)
    Column("leg", Integer, nullable=False),
    Column("account_id", Integer, nullable=False),  # loyalty_account.id
    Column("amount", BigInteger, nullable=False),  # points, or fen; + credits the account, − debits it
    Column("lot_id", Integer),  # loyalty_lot.id
    UniqueConstraint("posting_id", "leg", name="uq_loyalty_entry_posting_leg"),
    CheckConstraint("amount <> 0", name="nonzero"),
)
Index("ix_loyalty_entry_account_lot", entry.c.account_id, entry.c.lot_id)
Index("ix_loyalty_entry_lot", entry.c.lot_id)
Index("ix_loyalty_posting_person", posting.c.person_id)
Index("ix_loyalty_posting_topup", posting.c.person_id, posting.c.posted_at,  # stored-value holders (facts export)
      postgresql_where=posting.c.type == "topup", sqlite_where=posting.c.type == "topup")

order = Table(
    "loyalty_order", metadata,
    Column("channel", String(32), primary_key=True),
    Column("order_id", String(128), primary_key=True),
    Column("person_id", String(64), nullable=False),  # who holds its points now
    Column("version", BigInteger, nullable=False),  # the last version posted
    Column("rate_ppm", BigInteger, nullable=False),  # points per yuan × multipliers, in millionths, fixed at first
    Column("basis_fen", BigInteger, nullable=False),  # the earning amount last posted
    Column("points", BigInteger, nullable=False),  # the points that amount earns
    Column("paid_on", Date, nullable=False),
    Column("released", Boolean, nullable=False),
    Column("lot_id", Integer, nullable=False),  # loyalty_lot.id
    Column("moves", Integer, nullable=False),  # how often it changed owner (keys of transfer postings)
)
Index("ix_loyalty_order_person", order.c.person_id)
# the orders still pending release, by date: a day's release reads these, not every order ever posted
Index("ix_loyalty_order_unreleased", order.c.paid_on, postgresql_where=order.c.released.is_(False),
      sqlite_where=order.c.released.is_(False))
Index("ix_loyalty_lot_expires_on", lot.c.expires_on)  # lots by expiry date (points expiring soon)
# an expiry run starts from the lots past their date that may still hold points, not every lot ever past it
Index("ix_loyalty_lot_unsettled", lot.c.expires_on, postgresql_where=lot.c.settled.is_(False),
      sqlite_where=lot.c.settled.is_(False))

review = Table(
    "loyalty_review", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("person_id", String(64), nullable=False),
    Column("posting_id", Integer, ForeignKey("loyalty_posting.id")),
    Column("note", String(500), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

tier_history = Table(
    "loyalty_tier_history", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("person_id", String(64), nullable=False),
    Column("tier", String(32), nullable=False),
    Column("since", Date, nullable=False),
    Column("spend_fen", BigInteger, nullable=False),  # the rolling net spend it was decided on
    Column("reason", String(16), nullable=False),  # upgrade | downgrade | hold
    Column("decided_at", DateTime(timezone=True), nullable=False),
)
Index("ix_loyalty_tier_history_person", tier_history.c.person_id)

coupon = Table(
    "loyalty_coupon", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(200), nullable=False, unique=True),  # idempotency key of the issue
    Column("person_id", String(64), nullable=False),
    Column("value_fen", BigInteger, nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("valid_until", DateTime(timezone=True), nullable=False),
    Column("status", String(10), nullable=False),  # issued | redeemed | expired
    Column("channel", String(32)),
    Column("order_id", String(128)),  # the order it was redeemed against
    Column("closed_at", DateTime(timezone=True)),
    CheckConstraint("value_fen > 0", name="value"),
    CheckConstraint("status IN ('issued', 'redeemed', 'expired')", name="status"),
)
Index("ix_loyalty_coupon_person", coupon.c.person_id)

request = Table(
    "loyalty_request", metadata,
    Column("key", String(200), primary_key=True),  # a caller's Idempotency-Key
    Column("fingerprint", String(64), nullable=False),  # sha256 of what was asked under it
    Column("created_at", DateTime(timezone=True), nullable=False),
)

sync_mark = Table(
    "loyalty_sync_mark", metadata,
    Column("name", String(32), primary_key=True),  # what the mark is of: "warehouse"
    Column("ingested_at", DateTime),  # the newest raw order/item import read (warehouse wall-clock time)
    Column("identity_at", DateTime),  # the newest OneID event read (person_history.at)
    Column("rules", String(64), nullable=False),  # digest of the [loyalty] rules the orders were read under
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


touched = Table(
    "loyalty_touched", metadata,
    # a member whose exported facts (siyu.loyalty.export) may have changed since they were last exported: written
    # in the transaction that changes their entries or coupons, deleted once an export has written them (only if
    # `seq` is still what the export read: a change meanwhile keeps the row for the next export)
    Column("person_id", String(64), primary_key=True),
    Column("seq", BigInteger, nullable=False),  # one more on every change
)


def create_all(bind: Engine | Connection) -> None:
    """Create the ledger's tables where missing (tests; the store's migration does this in production)."""
    metadata.create_all(bind)


def drop_all(bind: Engine | Connection) -> None:
    metadata.drop_all(bind)
