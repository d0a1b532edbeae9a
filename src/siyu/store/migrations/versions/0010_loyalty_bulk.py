"""the ledger's bulk path: no foreign keys on loyalty_entry (to posting, account, lot) nor on loyalty_order.lot_id

Checking them cost half of a first sync on PostgreSQL (a per-row trigger each: 100k orders post ~400k entries,
7.2 s of inserts with them, 1.9 s without). Every entry is written by siyu.loyalty.ledger or siyu.loyalty.staged
in the transaction that writes or has locked what it refers to, and nothing is ever deleted, so the keys held.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"

_KEYS = {"loyalty_entry": [("posting_id", "loyalty_posting"), ("account_id", "loyalty_account"),
                           ("lot_id", "loyalty_lot")],
         "loyalty_order": [("lot_id", "loyalty_lot")]}


def upgrade() -> None:
    for table, keys in _KEYS.items():
        with op.batch_alter_table(table) as batch:  # SQLite copies the table; PostgreSQL alters it
            for column, target in keys:
                batch.drop_constraint(f"fk_{table}_{column}_{target}", type_="foreignkey")
    _unreleased_index()


def downgrade() -> None:
    for table, keys in _KEYS.items():
        with op.batch_alter_table(table) as batch:
            for column, target in keys:
                batch.create_foreign_key(f"fk_{table}_{column}_{target}", target, [column], ["id"])
    _unreleased_index()


def _unreleased_index() -> None:
    """0008's partial index again: SQLite's copy of loyalty_order may not carry its WHERE."""
    op.drop_index("ix_loyalty_order_unreleased", table_name="loyalty_order")
    op.create_index("ix_loyalty_order_unreleased", "loyalty_order", ["paid_on"],
                    postgresql_where=sa.text("released IS false"), sqlite_where=sa.text("released IS 0"))
