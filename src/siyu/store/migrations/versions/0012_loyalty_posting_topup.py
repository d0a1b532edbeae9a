"""the facts export's stored-value holders seek their top-ups: `ix_loyalty_posting_topup` (a member's top-up
postings, partial on `type = 'topup'`), so the first top-up of a day's touched members is a few index reads, not
every posting of theirs (or of the ledger) filtered by type.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"


def upgrade() -> None:
    op.create_index("ix_loyalty_posting_topup", "loyalty_posting", ["person_id", "posted_at"],
                    postgresql_where=sa.text("type = 'topup'"), sqlite_where=sa.text("type = 'topup'"))


def downgrade() -> None:
    op.drop_index("ix_loyalty_posting_topup", table_name="loyalty_posting")
