"""the loyalty step's watermark: how far into the warehouse's imports and OneID events the ledger has read; indexes
for a day's release (orders still pending, by date) and expiry (lots by expiry date)

A frozen copy of siyu.loyalty.tables.sync_mark and those indexes as of this revision.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    op.create_table(
        "loyalty_sync_mark",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("ingested_at", sa.DateTime()),
        sa.Column("identity_at", sa.DateTime()),
        sa.Column("rules", sa.String(64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_loyalty_sync_mark"),
    )
    op.create_index("ix_loyalty_order_unreleased", "loyalty_order", ["paid_on"],
                    postgresql_where=sa.text("released IS false"), sqlite_where=sa.text("released IS 0"))
    op.create_index("ix_loyalty_lot_expires_on", "loyalty_lot", ["expires_on"])


def downgrade() -> None:
    op.drop_index("ix_loyalty_lot_expires_on", table_name="loyalty_lot")
    op.drop_index("ix_loyalty_order_unreleased", table_name="loyalty_order")
    op.drop_table("loyalty_sync_mark")
