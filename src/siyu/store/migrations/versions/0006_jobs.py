"""jobs: pipeline runs and imports started through the API, kept in the store so every worker sees them

A frozen copy of siyu.store.tables.jobs as of this revision.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("user_name", sa.String(120), nullable=False),
        sa.Column("slot", sa.String(40)),
        sa.Column("key", sa.String(255)),
        sa.Column("args", sa.Text, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("pid", sa.Integer),
        sa.Column("log", sa.Text),
        sa.Column("exit_code", sa.Integer),
        sa.Column("result", sa.Text),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime),
        sa.PrimaryKeyConstraint("id", name="pk_jobs"),
        sa.UniqueConstraint("slot", name="uq_jobs_slot"),
    )
    op.create_index("ix_jobs_key", "jobs", ["key"])


def downgrade() -> None:
    op.drop_index("ix_jobs_key", table_name="jobs")
    op.drop_table("jobs")
