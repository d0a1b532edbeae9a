"""the loyalty step's facts export follows the ledger: `loyalty_touched` (members whose facts changed since they were
last exported) and `loyalty_lot.settled` (lots past their date that an expiry run found empty, indexed apart)

Every member with an account or a coupon starts touched, so the first export after this revision writes everyone
(what the export did on every run before it). A frozen copy of siyu.loyalty.tables as of this revision.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"


def upgrade() -> None:
    op.create_table(
        "loyalty_touched",
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("person_id", name="pk_loyalty_touched"),
    )
    op.execute("INSERT INTO loyalty_touched (person_id, seq) "
               "SELECT owner, 1 FROM loyalty_account WHERE owner_type = 'person' "
               "UNION SELECT person_id, 1 FROM loyalty_coupon")
    op.add_column("loyalty_lot", sa.Column("settled", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_index("ix_loyalty_lot_unsettled", "loyalty_lot", ["expires_on"],
                    postgresql_where=sa.text("settled IS false"), sqlite_where=sa.text("settled IS 0"))


def downgrade() -> None:
    op.drop_index("ix_loyalty_lot_unsettled", table_name="loyalty_lot")
    with op.batch_alter_table("loyalty_lot") as batch:
        batch.drop_column("settled")
    op.drop_table("loyalty_touched")
