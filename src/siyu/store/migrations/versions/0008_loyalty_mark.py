"""the loyalty step's watermark: how far into the warehouse's imports and OneID events the ledger has read

A frozen copy of siyu.loyalty.tables.sync_mark as of this revision.
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


def downgrade() -> None:
    op.drop_table("loyalty_sync_mark")
