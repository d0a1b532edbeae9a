"""export_jobs.pid: the worker process that runs an export, so an export whose worker died is reported failed
instead of staying "running" for ever

A frozen copy of the column as of this revision.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"


def upgrade() -> None:
    with op.batch_alter_table("export_jobs") as batch:
        batch.add_column(sa.Column("pid", sa.Integer()))


def downgrade() -> None:
    with op.batch_alter_table("export_jobs") as batch:
        batch.drop_column("pid")
