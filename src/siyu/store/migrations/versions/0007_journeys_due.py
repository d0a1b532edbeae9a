"""journeys: each entry's next due day, so a day's evaluation reads only the entries with a step due

Active entries get their step's start day (due now: the next evaluation steps them once and writes the real day).
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    op.add_column("journey_state", sa.Column("due_on", sa.Date))
    op.execute("UPDATE journey_state SET due_on = step_since WHERE status = 'active'")
    op.create_index("ix_journey_state_due_on", "journey_state", ["status", "due_on"])


def downgrade() -> None:
    op.drop_index("ix_journey_state_due_on", table_name="journey_state")
    with op.batch_alter_table("journey_state") as batch:
        batch.drop_column("due_on")
