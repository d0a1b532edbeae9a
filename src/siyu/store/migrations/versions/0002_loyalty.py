"""the member ledger: accounts, lots, postings, entries, orders posted, review flags, tier history, coupons

A frozen copy of siyu.loyalty.tables as of this revision (a later change of those tables is a new revision);
tests/loyalty/test_loyalty_store.py checks that the migrated schema and the tables agree.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "loyalty_account",
        sa.Column("id", sa.Integer, nullable=False, autoincrement=True),
        sa.Column("owner_type", sa.String(8), nullable=False),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_loyalty_account"),
        sa.UniqueConstraint("owner_type", "owner", "kind", name="uq_loyalty_account_owner_kind"),
        sa.CheckConstraint("owner_type IN ('person', 'system')", name="ck_loyalty_account_owner_type"),
    )
    op.create_table(
        "loyalty_lot",
        sa.Column("id", sa.Integer, nullable=False, autoincrement=True),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("origin", sa.String(8), nullable=False),
        sa.Column("channel", sa.String(32)),
        sa.Column("order_id", sa.String(128)),
        sa.Column("expires_on", sa.Date),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_loyalty_lot"),
        sa.UniqueConstraint("key", name="uq_loyalty_lot_key"),
        sa.CheckConstraint("origin IN ('order', 'manual')", name="ck_loyalty_lot_origin"),
    )
    op.create_table(
        "loyalty_posting",
        sa.Column("id", sa.Integer, nullable=False, autoincrement=True),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("person_id", sa.String(64)),
        sa.Column("reason", sa.String(500)),
        sa.Column("channel", sa.String(32)),
        sa.Column("order_id", sa.String(128)),
        sa.Column("order_version", sa.BigInteger),
        sa.Column("posted_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_loyalty_posting"),
        sa.UniqueConstraint("key", name="uq_loyalty_posting_key"),
        sa.CheckConstraint("type <> 'manual_adjust' OR (reason IS NOT NULL AND reason <> '')",
                           name="ck_loyalty_posting_manual_reason"),
    )
    op.create_index("ix_loyalty_posting_person", "loyalty_posting", ["person_id"])
    op.create_table(
        "loyalty_entry",
        sa.Column("id", sa.Integer, nullable=False, autoincrement=True),
        sa.Column("posting_id", sa.Integer, nullable=False),
        sa.Column("leg", sa.Integer, nullable=False),
        sa.Column("account_id", sa.Integer, nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("lot_id", sa.Integer),
        sa.PrimaryKeyConstraint("id", name="pk_loyalty_entry"),
        sa.ForeignKeyConstraint(["posting_id"], ["loyalty_posting.id"],
                                name="fk_loyalty_entry_posting_id_loyalty_posting"),
        sa.ForeignKeyConstraint(["account_id"], ["loyalty_account.id"],
                                name="fk_loyalty_entry_account_id_loyalty_account"),
        sa.ForeignKeyConstraint(["lot_id"], ["loyalty_lot.id"], name="fk_loyalty_entry_lot_id_loyalty_lot"),
        sa.UniqueConstraint("posting_id", "leg", name="uq_loyalty_entry_posting_leg"),
        sa.CheckConstraint("amount <> 0", name="ck_loyalty_entry_nonzero"),
    )
    op.create_index("ix_loyalty_entry_account_lot", "loyalty_entry", ["account_id", "lot_id"])
    op.create_index("ix_loyalty_entry_lot", "loyalty_entry", ["lot_id"])
    op.create_table(
        "loyalty_order",
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("order_id", sa.String(128), nullable=False),
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("rate_ppm", sa.BigInteger, nullable=False),
        sa.Column("basis_fen", sa.BigInteger, nullable=False),
        sa.Column("points", sa.BigInteger, nullable=False),
        sa.Column("paid_on", sa.Date, nullable=False),
        sa.Column("released", sa.Boolean, nullable=False),
        sa.Column("lot_id", sa.Integer, nullable=False),
        sa.Column("moves", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("channel", "order_id", name="pk_loyalty_order"),
        sa.ForeignKeyConstraint(["lot_id"], ["loyalty_lot.id"], name="fk_loyalty_order_lot_id_loyalty_lot"),
    )
    op.create_index("ix_loyalty_order_person", "loyalty_order", ["person_id"])
    op.create_table(
        "loyalty_review",
        sa.Column("id", sa.Integer, nullable=False, autoincrement=True),
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.Column("posting_id", sa.Integer),
        sa.Column("note", sa.String(500), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_loyalty_review"),
        sa.ForeignKeyConstraint(["posting_id"], ["loyalty_posting.id"],
                                name="fk_loyalty_review_posting_id_loyalty_posting"),
    )
    op.create_table(
        "loyalty_tier_history",
        sa.Column("id", sa.Integer, nullable=False, autoincrement=True),
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.Column("tier", sa.String(32), nullable=False),
        sa.Column("since", sa.Date, nullable=False),
        sa.Column("spend_fen", sa.BigInteger, nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("decided_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_loyalty_tier_history"),
    )
    op.create_index("ix_loyalty_tier_history_person", "loyalty_tier_history", ["person_id"])
    op.create_table(
        "loyalty_coupon",
        sa.Column("id", sa.Integer, nullable=False, autoincrement=True),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.Column("value_fen", sa.BigInteger, nullable=False),
        sa.Column("issued_at", TS, nullable=False),
        sa.Column("valid_until", TS, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("channel", sa.String(32)),
        sa.Column("order_id", sa.String(128)),
        sa.Column("closed_at", TS),
        sa.PrimaryKeyConstraint("id", name="pk_loyalty_coupon"),
        sa.UniqueConstraint("key", name="uq_loyalty_coupon_key"),
        sa.CheckConstraint("value_fen > 0", name="ck_loyalty_coupon_value"),
        sa.CheckConstraint("status IN ('issued', 'redeemed', 'expired')", name="ck_loyalty_coupon_status"),
    )
    op.create_index("ix_loyalty_coupon_person", "loyalty_coupon", ["person_id"])


def downgrade() -> None:
    for table in ("loyalty_coupon", "loyalty_tier_history", "loyalty_review", "loyalty_order", "loyalty_entry",
                  "loyalty_posting", "loyalty_lot", "loyalty_account"):
        op.drop_table(table)
