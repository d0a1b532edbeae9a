"""journeys: state per (journey, person, entry), staff tasks, API-defined journeys, opt-outs, watermarks

A frozen copy of siyu.journeys.tables as of this revision; tests/journeys/test_journeys_store.py checks they agree.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "journey_state",
        sa.Column("id", sa.Integer, nullable=False, autoincrement=True),
        sa.Column("journey", sa.String(64), nullable=False),
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.Column("entry_key", sa.String(64), nullable=False),
        sa.Column("arm", sa.String(10), nullable=False),
        sa.Column("entered_on", sa.Date, nullable=False),
        sa.Column("step", sa.Integer, nullable=False),
        sa.Column("step_since", sa.Date, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("exit_reason", sa.String(40)),
        sa.Column("bought_on", sa.Date),
        sa.Column("orders", sa.Integer, nullable=False),
        sa.Column("revenue_fen", sa.BigInteger, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_journey_state"),
        sa.UniqueConstraint("journey", "person_id", "entry_key", name="uq_journey_state_entry"),
    )
    op.create_index("ix_journey_state_due", "journey_state", ["status", "journey"])
    op.create_index("ix_journey_state_person", "journey_state", ["person_id"])
    op.create_table(
        "journey_task",
        sa.Column("id", sa.Integer, nullable=False, autoincrement=True),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("journey", sa.String(64), nullable=False),
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.Column("entry_key", sa.String(64), nullable=False),
        sa.Column("step", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("owner_staff_id", sa.String(120)),
        sa.Column("owner_store_id", sa.String(120)),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("draft", sa.Text, nullable=False),
        sa.Column("coupon_id", sa.Integer),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("due_at", TS, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("reason", sa.String(500)),
        sa.Column("acted_at", TS),
        sa.Column("acted_by", sa.String(120)),
        sa.Column("replied_at", TS),
        sa.Column("bought_on", sa.Date),
        sa.Column("revenue_fen", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_journey_task"),
        sa.UniqueConstraint("key", name="uq_journey_task_key"),
    )
    op.create_index("ix_journey_task_person_created", "journey_task", ["person_id", "created_at"])
    op.create_index("ix_journey_task_owner", "journey_task", ["owner_staff_id", "status"])
    op.create_table(
        "journey_definition",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("toml", sa.Text, nullable=False),
        sa.Column("user_name", sa.String(120), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_journey_definition"),
    )
    op.create_table(
        "journey_optout",
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.PrimaryKeyConstraint("person_id", name="pk_journey_optout"),
    )
    op.create_table(
        "journey_watermark",
        sa.Column("journey", sa.String(64), nullable=False),
        sa.Column("evaluated_on", sa.Date, nullable=False),
        sa.PrimaryKeyConstraint("journey", name="pk_journey_watermark"),
    )


def downgrade() -> None:
    for table in ("journey_watermark", "journey_optout", "journey_definition", "journey_task", "journey_state"):
        op.drop_table(table)
