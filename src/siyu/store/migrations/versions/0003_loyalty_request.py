"""idempotency keys of ledger requests: what each key was first used for, so a reuse with another body is refused

A frozen copy of siyu.loyalty.tables.request as of this revision.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.create_table(
        "loyalty_request",
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_loyalty_request"),
    )


def downgrade() -> None:
    op.drop_table("loyalty_request")
