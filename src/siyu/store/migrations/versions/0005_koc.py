"""store guides' handovers, the KOC roster and referral invitations

Frozen copies of siyu.guides.tables, siyu.koc.tables and siyu.referrals.tables as of this revision.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "guide_handover",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("from_staff_id", sa.String(120), nullable=False),
        sa.Column("to_staff_id", sa.String(120), nullable=False),
        sa.Column("store_id", sa.String(120)),
        sa.Column("customers", sa.Integer, nullable=False),
        sa.Column("user_name", sa.String(120), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("at", TZ, nullable=False),
    )
    op.create_index("ix_guide_handover_from_staff_id", "guide_handover", ["from_staff_id"])
    op.create_table(
        "guide_transfer",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("handover_id", sa.Integer, sa.ForeignKey("guide_handover.id"), nullable=False),
        sa.Column("person_id", sa.String(255), nullable=False),
        sa.Column("from_staff_id", sa.String(120), nullable=False),
        sa.Column("to_staff_id", sa.String(120), nullable=False),
        sa.Column("at", TZ, nullable=False),
    )
    op.create_index("ix_guide_transfer_handover_id", "guide_transfer", ["handover_id"])
    op.create_index("ix_guide_transfer_person_id", "guide_transfer", ["person_id"])
    op.create_table(
        "koc_member",
        sa.Column("person_id", sa.String(255), primary_key=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_index("ix_koc_member_state", "koc_member", ["state"])
    op.create_table(
        "koc_history",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("person_id", sa.String(255), nullable=False),
        sa.Column("from_state", sa.String(20)),
        sa.Column("to_state", sa.String(20), nullable=False),
        sa.Column("user_name", sa.String(120), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("at", TZ, nullable=False),
    )
    op.create_index("ix_koc_history_person_id", "koc_history", ["person_id"])
    op.create_table(
        "koc_group",
        sa.Column("group_id", sa.String(255), primary_key=True),
        sa.Column("person_id", sa.String(255), nullable=False),
        sa.Column("user_name", sa.String(120), nullable=False),
        sa.Column("at", TZ, nullable=False),
    )
    op.create_index("ix_koc_group_person_id", "koc_group", ["person_id"])
    op.create_table(
        "referral_code",
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("person_id", sa.String(255), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_referral_code_person_id", "referral_code", ["person_id"])
    op.create_table(
        "referral",
        sa.Column("invitee_id", sa.String(255), primary_key=True),
        sa.Column("inviter_id", sa.String(255), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("linked_at", TZ, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("order_ref", sa.String(255)),
        sa.Column("reward_key", sa.String(200)),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_index("ix_referral_inviter_id", "referral", ["inviter_id"])
    op.create_index("ix_referral_status", "referral", ["status"])


def downgrade() -> None:
    for name in ("referral", "referral_code", "koc_group", "koc_history", "koc_member", "guide_transfer",
                 "guide_handover"):
        op.drop_table(name)
